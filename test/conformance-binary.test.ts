/**
 * Binary conformance against protobufjs reflection: for thousands of seeded
 * random messages of every shape in test/fixtures/conformance, our encode is
 * byte-identical to protobufjs', and our decode reads both encodings back to
 * the message we started from. Reproduce a failure with the printed
 * CONFORMANCE_SEED.
 */
import test from "ava";
import { StreampathError } from "../runtime/core/index.js";
import {
  byteDiff,
  conformanceSource,
  fromHex,
  generateConformance,
  hex,
  loadPbjs,
  same,
  show,
  toPbjs,
} from "./helpers/conformance-pbjs.js";
import { wellKnown } from "./helpers/conformance-random-wkt.js";
import * as random from "./helpers/random-message.js";
import { type Msg, Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const { C } = await generateConformance("conformance-binary");
const root = loadPbjs();

/** Runs `count` random messages of `name` through both libraries. */
function conformance(name: string, make: (r: Rng) => Msg, count: number) {
  test(`${name}: encode is byte-identical to protobufjs and decode reads both back (${count} messages)`, (t) => {
    const X = C[name];
    const T = root.lookupType(`conformance.${name}`);
    const label = `binary ${name}`;
    const r = new Rng(seedFor(label));
    for (let i = 0; i < count; i++) {
      const m = make(r);
      const where = seedInfo(label, i);
      const ours: Uint8Array = X.encode(m);
      // protobufjs returns a Node Buffer; decoding from a Buffer has a test of its own below.
      const theirs = new Uint8Array(T.encode(T.fromObject(toPbjs(T, m))).finish());
      const diff = byteDiff(ours, theirs);
      if (diff !== undefined) {
        t.log(show(m));
        t.fail(`${name}.encode differs from protobufjs ${where}: ${diff}`);
        return;
      }
      for (const [what, bytes] of [["protobufjs' bytes", theirs], ["our bytes", ours]] as const) {
        let back: unknown;
        try {
          back = X.decode(bytes);
        } catch (e) {
          t.log(show(m));
          t.fail(`${name}.decode(${what}) threw ${String(e)} ${where}; bytes ${hex(bytes).slice(0, 400)}`);
          return;
        }
        if (!same(back, m)) {
          t.log(show(m));
          t.deepEqual(back, m, `${name}.decode(${what}) is not the message encoded ${where}`);
          return;
        }
      }
    }
    t.pass();
  });
}

conformance("Scalars", random.scalars, 4000);
conformance("Optionals", random.optionals, 3000);
conformance("Repeated", random.repeated, 1500);
conformance("Maps", random.maps, 2000);
conformance("Choice", random.choice, 3000);
conformance("Nested", random.nested, 2000);
conformance("WellKnown", wellKnown, 2000);
conformance("Everything", (r) => random.everything(r), 1000);

test("OddKeys (64-bit and bool map keys): random messages round-trip through our own codec", (t) => {
  const label = "binary OddKeys";
  const r = new Rng(seedFor(label));
  for (let i = 0; i < 3000; i++) {
    const m = random.oddKeys(r);
    const back = C.OddKeys.decode(C.OddKeys.encode(m));
    if (!same(back, m)) return t.deepEqual(back, m, `OddKeys round trip ${seedInfo(label, i)}`);
  }
  t.pass();
});

test("OddKeys: one entry of each key type has the known bytes", (t) => {
  const cases: [Msg, string][] = [
    [{ mInt64: { "-1": "a" } }, "0a0e 08 ffffffffffffffffff01 1201 61"],
    [{ mInt64: { "-9223372036854775808": "a" } }, "0a0e 08 80808080808080808001 1201 61"],
    [{ mUint64: { "18446744073709551615": "b" } }, "120e 08 ffffffffffffffffff01 1201 62"],
    [{ mBool: { true: "c" } }, "1a05 0801 1201 63"],
    [{ mBool: { false: "d" } }, "1a05 0800 1201 64"],
    [{ mSint64: { "-2": "e" } }, "2205 0803 1201 65"],
    [{ mSint64: { "9223372036854775807": "e" } }, "220e 08 feffffffffffffffff01 1201 65"],
    [{ mFixed64: { "9223372036854775808": "f" } }, "2a0c 09 0000000000000080 1201 66"],
  ];
  for (const [init, expected] of cases) {
    const m = C.OddKeys.create(init);
    t.is(hex(C.OddKeys.encode(m)), hex(fromHex(expected)), `encode ${JSON.stringify(init)}`);
    t.deepEqual(C.OddKeys.decode(fromHex(expected)), m, `decode ${expected}`);
  }
  // An entry without key or value decodes to the key type's default.
  t.deepEqual(C.OddKeys.decode(fromHex("0a00")).mInt64, { "0": "" });
  t.deepEqual(C.OddKeys.decode(fromHex("2a02 1200")).mFixed64, { "0": "" });
  t.deepEqual(C.OddKeys.decode(fromHex("1a00")).mBool, { false: "" });
});

test("repeated scalars are packed, u_* fields ([packed = false]) are not", (t) => {
  const m = C.Repeated.create({ rInt32: [1, 2], uInt32: [1, 2], rDouble: [1], uDouble: [1], uColor: [1, -3] });
  t.is(
    hex(C.Repeated.encode(m)),
    "0a08000000000000f03f" + // r_double = 1, packed: one LEN record
      "1a020102" + // r_int32 = 3, packed
      "900101900102" + // u_int32 = 18: one VARINT record per element
      "a101000000000000f03f" + // u_double = 20
      "a80101a801fdffffffffffffffff01", // u_color = 21, -3 as a ten-byte varint
  );
});

test("decode accepts packed bytes for unpacked fields and unpacked bytes for packed ones", (t) => {
  // The same schema with packed flipped on every numeric repeated field.
  const flippedSource = conformanceSource()
    .replace(/\[packed = false\]/g, "[packed = true]")
    .replace(/(repeated (?:double|float|u?int32|u?int64|sint32|sint64|s?fixed32|s?fixed64|bool|Color) r_\w+ = \d+);/g, "$1 [packed = false];");
  const T = loadPbjs(flippedSource).lookupType("conformance.Repeated");
  t.false(T.fields.rInt32.packed, "flipped schema: r_int32 unpacked");
  t.true(T.fields.uInt32.packed, "flipped schema: u_int32 packed");
  const label = "binary flipped packing";
  const r = new Rng(seedFor(label));
  let differed = 0;
  for (let i = 0; i < 1000; i++) {
    const m = random.repeated(r);
    const flipped = new Uint8Array(T.encode(T.fromObject(toPbjs(T, m))).finish());
    if (byteDiff(flipped, C.Repeated.encode(m)) !== undefined) differed++;
    const back = C.Repeated.decode(flipped);
    if (!same(back, m)) return t.deepEqual(back, m, `decode of flipped packing ${seedInfo(label, i)}`);
  }
  t.true(differed > 900, `flipped encodings differed from ours only ${differed} times in 1000`);
});

test("decode merges a message field that appears twice; the last scalar wins", (t) => {
  const { Nested, Choice, Maps } = C;
  const first = Nested.encode(
    Nested.create({ inner: { label: "a", level: 1, child: { label: "x", level: 0, child: undefined } }, level: 1,
      inners: [{ label: "i1", level: 0, child: undefined }] }),
  );
  const second = Nested.encode(
    Nested.create({ inner: { label: "", level: 2, child: { label: "", level: 1, child: undefined } }, level: 2,
      inners: [{ label: "i2", level: 0, child: undefined }], item: { name: "n", count: 5n, tags: ["t"] } }),
  );
  const both = new Uint8Array([...first, ...second]);
  t.deepEqual(
    Nested.decode(both),
    Nested.create({
      inner: { label: "a", level: 2, child: { label: "x", level: 1, child: undefined } },
      level: 2,
      inners: [{ label: "i1", level: 0, child: undefined }, { label: "i2", level: 0, child: undefined }],
      item: { name: "n", count: 5n, tags: ["t"] },
    }),
  );
  // A oneof message member merges too; a different member replaces it.
  const s1 = Choice.encode(Choice.create({ pick: { case: "cMessage", value: C.Scalars.create({ fInt32: 1 }) } }));
  const s2 = Choice.encode(Choice.create({ pick: { case: "cMessage", value: C.Scalars.create({ fString: "s" }) } }));
  t.deepEqual(Choice.decode(new Uint8Array([...s1, ...s2])).pick, {
    case: "cMessage",
    value: C.Scalars.create({ fInt32: 1, fString: "s" }),
  });
  const s3 = Choice.encode(Choice.create({ pick: { case: "cInt64", value: 7n } }));
  t.deepEqual(Choice.decode(new Uint8Array([...s1, ...s3])).pick, { case: "cInt64", value: 7n });
  // A map key seen twice keeps the last value.
  const k1 = Maps.encode(Maps.create({ mStringString: { k: "one" } }));
  const k2 = Maps.encode(Maps.create({ mStringString: { k: "two" } }));
  t.deepEqual(Maps.decode(new Uint8Array([...k1, ...k2])).mStringString, { k: "two" });
});

test("string lengths across the one-byte length prefix and the short/long writer paths", (t) => {
  const T = root.lookupType("conformance.Scalars");
  for (const unit of ["a", "é", "中", "😀"]) {
    for (const n of [1, 20, 21, 41, 42, 43, 44, 63, 64, 65, 127, 128, 129, 5000]) {
      const s = unit.repeat(Math.ceil(n / unit.length)).slice(0, n - (n % unit.length));
      const m = C.Scalars.create({ fString: s });
      const diff = byteDiff(C.Scalars.encode(m), T.encode(T.fromObject({ fString: s })).finish());
      t.is(diff, undefined, `${JSON.stringify(unit)} × ${s.length} UTF-16 units`);
      t.is(C.Scalars.decode(C.Scalars.encode(m)).fString, s);
    }
  }
});

test("a map key named __proto__ is kept as an entry, not taken as the map's prototype", (t) => {
  // JSON.parse makes "__proto__" an own property, as a decoder must.
  const messages = JSON.parse('{"__proto__": null}');
  Object.defineProperty(messages, "__proto__", { value: C.Scalars.create({ fInt32: 9 }), enumerable: true });
  const m = C.Maps.create({ mStringString: JSON.parse('{"__proto__": "v"}'), mStringMessage: messages });
  const bytes = C.Maps.encode(m);
  t.true(hex(bytes).includes(hex(new TextEncoder().encode("__proto__"))), "the entry is written");
  const back = C.Maps.decode(bytes);
  t.deepEqual(Object.keys(back.mStringString), ["__proto__"], "decoded string map keeps the key");
  t.true(Object.getPrototypeOf(back.mStringMessage) === Object.prototype, "decoding must not replace a map's prototype");
  t.deepEqual(Object.keys(back.mStringMessage), ["__proto__"], "decoded message map keeps the key");
});

test("bytes decoded from a Node Buffer are plain Uint8Array copies, whatever their length", (t) => {
  for (const n of [0, 1, 100, 4095, 4096, 5000, 20000]) {
    const input = Buffer.from(C.Scalars.encode(C.Scalars.create({ fBytes: new Uint8Array(n).fill(7) })));
    const { fBytes } = C.Scalars.decode(input);
    t.is(Object.getPrototypeOf(fBytes).constructor.name, "Uint8Array", `${n} bytes: a plain Uint8Array, not a Buffer`);
    t.is(fBytes.length, n);
    input.fill(0);
    t.true(fBytes.every((b: number) => b === 7), `${n} bytes: a copy, not a view of the input`);
  }
});

test("decode errors are StreampathErrors (sanity check of the error class identity)", (t) => {
  t.throws(() => C.Scalars.decode(fromHex("0880")), { instanceOf: StreampathError });
});
