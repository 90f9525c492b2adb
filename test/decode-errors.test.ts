/**
 * Malformed binary input: every decode either returns a message or throws a
 * StreampathError (code InvalidArgument) naming the problem, promptly, and
 * without allocating what a hostile length prefix asks for.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { fromHex, generateConformance, hex } from "./helpers/conformance-pbjs.js";
import * as random from "./helpers/random-message.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const { C } = await generateConformance("decode-errors");
const { Scalars, Optionals, Repeated, Everything, Nested, Nested_Inner, Maps, WellKnown } = C;

/** Asserts decoding `bytes` as `type` throws InvalidArgument with a message matching `message`. */
function rejects(t: any, type: any, bytes: Uint8Array | string, message: RegExp, what: string) {
  const input = typeof bytes === "string" ? fromHex(bytes) : bytes;
  const error = t.throws(() => type.decode(input), { instanceOf: StreampathError, message }, what);
  if (error) t.is(error.code, Code.InvalidArgument, `${what}: code`);
}

/** A length-delimited record: tag, varint length, body. */
function ld(tag: number, body: Uint8Array): Uint8Array {
  const out = [tag];
  let n = body.length;
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  const b = new Uint8Array(out.length + body.length);
  b.set(out);
  b.set(body, out.length);
  return b;
}

test("truncated varints", (t) => {
  rejects(t, Scalars, "1880", /truncated varint/, "int32 (field 3) cut after a continuation byte");
  rejects(t, Scalars, "20ffff", /truncated varint/, "int64 (field 4) cut short");
  rejects(t, Scalars, "40ffffffffffffff", /truncated varint/, "sint64 (field 8) cut short");
  rejects(t, Scalars, "68ff", /truncated varint/, "bool (field 13) cut short");
  rejects(t, Scalars, "80", /truncated varint/, "a tag cut short");
  rejects(t, Scalars, "7280", /truncated varint/, "a length prefix cut short");
});

test("varints longer than ten bytes", (t) => {
  const eleven = "ffffffffffffffffffff01";
  rejects(t, Scalars, "18" + eleven, /varint longer than 10 bytes/, "int32");
  rejects(t, Scalars, "20" + eleven, /varint longer than 10 bytes/, "int64");
  rejects(t, Scalars, "30" + eleven, /varint longer than 10 bytes/, "uint64");
  rejects(t, Scalars, "68" + eleven, /varint longer than 10 bytes/, "bool");
  rejects(t, Scalars, "8080808080808080808000", /varint longer than 10 bytes/, "a tag");
  // Ten bytes is the longest legal varint: -1 as int32 and int64.
  t.is(Scalars.decode(fromHex("18ffffffffffffffffff01")).fInt32, -1);
  t.is(Scalars.decode(fromHex("20ffffffffffffffffff01")).fInt64, -1n);
});

test("truncated fixed-width values", (t) => {
  rejects(t, Scalars, "4d010203", /4 bytes expected, 3 left/, "fixed32 with 3 bytes");
  rejects(t, Scalars, "5d", /4 bytes expected, 0 left/, "sfixed32 with none");
  rejects(t, Scalars, "15 0000", /4 bytes expected, 2 left/, "float with 2 bytes");
  // (fixed64 is read as two fixed32 halves, so its message may speak of the second half.)
  rejects(t, Scalars, "51 01020304050607", /(8 bytes expected, 7|4 bytes expected, 3) left/, "fixed64 with 7 bytes");
  rejects(t, Scalars, "61 0102", /8 bytes expected, 2 left|4 bytes expected, 2 left/, "sfixed64 with 2 bytes");
  rejects(t, Scalars, "09 00000000", /8 bytes expected, 4 left/, "double with 4 bytes");
  rejects(t, Repeated, "0a08 00000000000000", /past the end/, "packed doubles whose length runs past the end");
});

test("a length prefix past the end fails fast, without allocating it", (t) => {
  const huge = "ffffffff07"; // 0x7fffffff
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  rejects(t, Scalars, "72" + huge + "6869", /length 2147483647 past the end \(2 bytes left\)/, "string (field 14)");
  rejects(t, Scalars, "7a" + huge + "00", /length 2147483647 past the end/, "bytes (field 15)");
  rejects(t, Scalars, "7a ffffffff0f 00", /length 4294967295 past the end/, "bytes, length 2^32-1");
  rejects(t, Repeated, "1a" + huge + "01", /past the end/, "packed int32 (field 3)");
  rejects(t, Everything, "0a" + huge, /past the end/, "message field (scalars)");
  rejects(t, Maps, "0a" + huge, /past the end/, "map entry");
  rejects(t, Everything, "ca3e" + huge, /past the end/, "unknown length-delimited field 1001");
  const grew = process.memoryUsage().arrayBuffers - before;
  t.true(grew < 10 * 1024 * 1024, `array buffers grew by ${grew} bytes`);
  t.true(performance.now() - started < 1000, "failed fast");
});

test("a nested message whose length runs past the end of its parent", (t) => {
  // Everything.nested (6) claims 4 bytes, but its Inner (field 1) claims 10, reaching into the bytes after it.
  rejects(t, Everything, "3204 0a0a 0a08 6162636465666768", /past the end of its message/, "inner past nested");
});

test("a packed run whose last element crosses the run's length", (t) => {
  // Each run's length is inside the buffer, but its last element reads on past it.
  rejects(t, Repeated, "1a01 8001", /past the end|packed/, "packed int32: varint crosses the packed length");
  rejects(t, Repeated, "0a01 000000000000f03f", /past the end|packed/, "packed double: 8 bytes in a 1-byte run");
  rejects(t, Repeated, "1202 0000803f", /past the end|packed/, "packed float: 4 bytes in a 2-byte run");
});

test("a known field with the wrong wire type", (t) => {
  rejects(t, Scalars, "70 01", /wire type 0 is wrong for field 14 of conformance\.Scalars/, "string as varint");
  rejects(t, Scalars, "1d 00000000", /wire type 5 is wrong for field 3/, "int32 as fixed32");
  rejects(t, Everything, "08 01", /wire type 0 is wrong for field 1 of conformance\.Everything/, "message as varint");
  rejects(t, Maps, "0a04 0801 1201", /wire type 0 is wrong for field 1 of map entry|past the end/, "string key as varint");
  rejects(t, Nested_Inner, "1a02 0800", /wire type 0 is wrong for field 1 of conformance\.Nested\.Inner/, "in a child");
});

test("invalid wire types 6 and 7, field number 0", (t) => {
  rejects(t, Scalars, "a606 00", /invalid wire type 6 for field 100/, "unknown field 100, wire type 6");
  rejects(t, Scalars, "a706 00", /invalid wire type 7 for field 100/, "unknown field 100, wire type 7");
  rejects(t, Scalars, "1e 00", /wire type 6 is wrong for field 3|invalid wire type 6/, "known field 3, wire type 6");
  rejects(t, Scalars, "00", /field number 0 in conformance\.Scalars/, "tag 0");
  rejects(t, Scalars, "02 00", /field number 0/, "field 0, wire type 2");
  rejects(t, Everything, "3a02 0000", /field number 0 in conformance\.Everything/, "field 0 in a child");
  rejects(t, Scalars, "a406", /invalid wire type 4|group/, "an end-group tag with no group");
});

test("groups: kept as unknown fields when terminated, an error when not", (t) => {
  // Unknown group 100 holding a varint field 101 and a nested group 102.
  const group = "a306 a80601 b306 b406 a406";
  const decoded = Scalars.decode(fromHex(group + "1807"));
  t.deepEqual(decoded, { ...Scalars.create({ fInt32: 7 }), $unknown: fromHex(group) }, "terminated group kept, bytes as they came");
  t.deepEqual(Scalars.encode(decoded), fromHex("1807" + group), "written back after the declared fields");
  rejects(t, Scalars, "a306 a80601", /unterminated group 100 in conformance\.Scalars/, "no end tag");
  rejects(t, Scalars, "a306 ac06", /group 100 ended by 101/, "ended by another field's end tag");
  rejects(t, Scalars, "a306 a806", /truncated varint/, "cut inside the group");
  const deepGroups = new Uint8Array(200_000).map((_, i) => (i % 2 === 0 ? 0xa3 : 0x06));
  rejects(t, Scalars, deepGroups, /nested deeper than 100/, "100 000 nested groups");
});

/** `levels` Everything messages each holding the next as its only child. */
function nestedEverything(levels: number): Uint8Array {
  let bytes: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < levels; i++) bytes = ld(0x3a, bytes);
  return bytes;
}

test("recursion deeper than 100 levels is an error, not a stack overflow", (t) => {
  const ok = Everything.decode(nestedEverything(99));
  let depth = 0;
  for (let m = ok; m.children.length > 0; m = m.children[0]) depth++;
  t.is(depth, 99, "99 nested children decode");
  rejects(t, Everything, nestedEverything(100), /messages nested deeper than 100/, "100 nested children");
  rejects(t, Everything, nestedEverything(20_000), /messages nested deeper than 100/, "20 000 nested children");
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 5_000; i++) inner = ld(0x1a, inner); // Nested.Inner.child
  rejects(t, Nested, ld(0x0a, inner), /messages nested deeper than 100/, "5 000 nested Inner.child");
  // Struct ↔ Value recursion inside WellKnown.w_value.
  let value: Uint8Array = fromHex("0800");
  for (let i = 0; i < 300; i++) value = ld(0x32, ld(0x0a, value)); // Value.list_value → ListValue.values
  rejects(t, WellKnown, ld(0x6a, value), /messages nested deeper than 100/, "300 nested ListValues");
});

test("a message that does not end where its length says", (t) => {
  rejects(t, Everything, "0a02 18", /truncated varint|past the end/, "scalars cut inside a varint");
  rejects(t, Everything, "0a01 1801", /past the end of its message/, "scalars' last field runs one byte past");
});

/** Decodes `bytes` with every type; anything but a result or a StreampathError fails the test. */
function decodeOrReject(t: any, bytes: Uint8Array, where: string): boolean {
  for (const type of [Scalars, Optionals, Repeated, Maps, Everything, Nested, WellKnown, C.Choice, C.OddKeys]) {
    try {
      type.decode(bytes);
    } catch (e) {
      if (!(e instanceof StreampathError) || e.code !== Code.InvalidArgument) {
        t.fail(`${type.typeName}.decode(${hex(bytes).slice(0, 200)}) threw ${String(e)} ${where}`);
        return false;
      }
      if (!/^cannot decode protobuf: .+ at byte \d+$/.test(e.message)) {
        t.fail(`unclear message ${JSON.stringify(e.message)} ${where}`);
        return false;
      }
    }
  }
  return true;
}

test("random garbage decodes or throws StreampathError, nothing else", (t) => {
  const label = "garbage";
  const r = new Rng(seedFor(label));
  const started = performance.now();
  for (let i = 0; i < 3000; i++) {
    const bytes = new Uint8Array(r.below(80));
    for (let j = 0; j < bytes.length; j++) bytes[j] = r.chance(0.2) ? r.pick([0x80, 0xff, 0x00, 0x0a, 0x3a]) : r.u32() & 255;
    if (!decodeOrReject(t, bytes, seedInfo(label, i))) return;
  }
  t.true(performance.now() - started < 10_000, "3000 buffers within 10 s");
});

test("corrupted valid encodings decode or throw StreampathError, nothing else", (t) => {
  const label = "corrupted";
  const r = new Rng(seedFor(label));
  for (let i = 0; i < 1500; i++) {
    const bytes = Everything.encode(random.everything(r, 1));
    if (bytes.length === 0) continue;
    const mutated = r.chance(0.3) ? bytes.slice(0, r.below(bytes.length)) : bytes.slice();
    for (let n = 1 + r.below(4); n > 0 && mutated.length > 0; n--) mutated[r.below(mutated.length)] = r.u32() & 255;
    if (!decodeOrReject(t, mutated, seedInfo(label, i))) return;
  }
  t.pass();
});
