/**
 * Closed enums (proto2 enums, editions `enum_type = CLOSED`) hold only the
 * numbers they declare: another number read from the wire stays an unknown
 * field, written back as it came, and the field stays unset. Open enums
 * (proto3, editions by default) keep any number in the field.
 */
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { fromHex, hex } from "./helpers/conformance-pbjs.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./helpers/generated.js";

const dir = await generateForThisProcess("closed-enums", {
  files: [
    path.join(FIXTURES, "proto2/closed-enums.proto"),
    path.join(FIXTURES, "editions/enum-types.proto"),
    path.join(FIXTURES, "proto3/open-enums.proto"),
  ],
});
const P2 = await importGenerated(dir, "closed-enums_pb.ts");
const ED = await importGenerated(dir, "enum-types_pb.ts");
const P3 = await importGenerated(dir, "open-enums_pb.ts");

const h = (s: string) => s.replace(/\s+/g, "");

/** Decodes `input`, checks the message and its $unknown, and that encode writes `output`. */
function roundTrip(t: ExecutionContext, codec: any, input: string, fields: object, unknown: string | undefined, output: string) {
  const m = codec.decode(fromHex(input));
  const { $unknown, ...declared } = m;
  t.deepEqual(declared, codec.create(fields), `${input}: fields`);
  t.is($unknown === undefined ? undefined : hex($unknown), unknown === undefined ? undefined : h(unknown), `${input}: $unknown`);
  t.is(hex(codec.encode(m)), h(output), `${input}: written back`);
  return m;
}

test("proto2, singular: an undeclared number leaves the field unset and is written back as it came", (t) => {
  const { Paint, Color } = P2;
  roundTrip(t, Paint, "0802", { color: Color.BLUE }, undefined, "0802");
  roundTrip(t, Paint, "2801 0807", { after: 1 }, "0807", "2801 0807");
  // A negative number is ten bytes on the wire, and stays so.
  roundTrip(t, Paint, "08 ffffffffffffffffff01", {}, "08 ffffffffffffffffff01", "08 ffffffffffffffffff01");
  // A declared value keeps the field; the later undeclared one is kept beside it (last one wins for a reader that knows it).
  roundTrip(t, Paint, "0801 0807", { color: Color.GREEN }, "0807", "0801 0807");
  // In a oneof: the oneof stays unset.
  roundTrip(t, Paint, "3009", { pick: { case: undefined } }, "3009", "3009");
  roundTrip(t, Paint, "3001", { pick: { case: "chosen", value: Color.GREEN } }, undefined, "3001");
});

test("proto2, repeated: undeclared elements leave the list, each kept as a varint field", (t) => {
  const { Paint, Color } = P2;
  roundTrip(t, Paint, "1001 1009 1002", { loose: [Color.GREEN, Color.BLUE] }, "1009", "1001 1002 1009");
  // Packed: the undeclared element is kept as an unpacked varint, as protobuf C++ and Java keep it.
  roundTrip(t, Paint, "1a03 01 07 02", { packed: [Color.GREEN, Color.BLUE] }, "1807", "1a02 0102 1807");
  roundTrip(t, Paint, "1a02 0708", { packed: [] }, "1807 1808", "1807 1808");
  // Each form is read whatever the field's own: packed bytes for the unpacked field, and the other way round.
  roundTrip(t, Paint, "1202 0109", { loose: [Color.GREEN] }, "1009", "1001 1009");
  roundTrip(t, Paint, "1802 1805", { packed: [Color.BLUE] }, "1805", "1a01 02 1805");
});

test("proto2, map value: an entry with an undeclared value is kept whole", (t) => {
  const { Paint, Color } = P2;
  roundTrip(t, Paint, "2205 0a0161 1001", { byName: { a: Color.GREEN } }, undefined, "2205 0a0161 1001");
  roundTrip(t, Paint, "2205 0a0161 1009", { byName: {} }, "2205 0a0161 1009", "2205 0a0161 1009");
  // Value before key, as a writer may put them: still kept byte for byte.
  roundTrip(t, Paint, "2205 1009 0a0162 2205 0a0163 1002", { byName: { c: Color.BLUE } }, "2205 1009 0a0162", "2205 0a0163 1002 2205 1009 0a0162");
});

test("proto2: a reader with an open enum gets every number back from what the closed one wrote", (t) => {
  const read = P2.Paint.decode(fromHex("0807 1001 1009 1a03 010702 2205 0a0161 1009 2803"));
  const passedOn = P2.Paint.encode(read);
  t.deepEqual(P3.Paint.decode(passedOn), P3.Paint.create({ color: 7, loose: [1, 9], packed: [1, 2, 7], byName: { a: 9 }, after: 3 }));
});

test("editions CLOSED: singular, packed, expanded and map value as in proto2", (t) => {
  const { Look, Shade } = ED;
  roundTrip(t, Look, "0802", { shade: Shade.DARK }, undefined, "0802");
  roundTrip(t, Look, "0805", {}, "0805", "0805");
  t.is(Look.decode(fromHex("0805")).shade, undefined);
  // shades is packed (the editions default), loose EXPANDED.
  roundTrip(t, Look, "1203 01 05 02", { shades: [Shade.LIGHT, Shade.DARK] }, "1005", "1202 0102 1005");
  roundTrip(t, Look, "1801 1806", { loose: [Shade.LIGHT] }, "1806", "1801 1806");
  roundTrip(t, Look, "2204 0801 1009", { byId: {} }, "2204 0801 1009", "2204 0801 1009");
  roundTrip(t, Look, "2204 0801 1002", { byId: { 1: Shade.DARK } }, undefined, "2204 0801 1002");
});

test("editions OPEN (the default): any number stays in the field", (t) => {
  const { Look } = ED;
  roundTrip(t, Look, "2805", { mood: 5 }, undefined, "2805");
  roundTrip(t, Look, "320c 01 05 ffffffffffffffffff01", { moods: [1, 5, -1] }, undefined, "320c 01 05 ffffffffffffffffff01");
  roundTrip(t, Look, "3a04 0801 1009", { moodsById: { 1: 9 } }, undefined, "3a04 0801 1009");
  t.deepEqual(Look.toJson(Look.decode(fromHex("2805 3202 0105"))), { mood: 5, moods: ["HAPPY", 5] });
});

test("proto3 enums are open: numbers the enum does not name stay in the field", (t) => {
  const { Paint } = P3;
  roundTrip(t, Paint, "0807", { color: 7 }, undefined, "0807");
  roundTrip(t, Paint, "08 ffffffffffffffffff01", { color: -1 }, undefined, "08 ffffffffffffffffff01");
  roundTrip(t, Paint, "1001 1009", { loose: [1, 9] }, undefined, "1001 1009");
  roundTrip(t, Paint, "1a03 010702", { packed: [1, 7, 2] }, undefined, "1a03 010702");
  roundTrip(t, Paint, "2205 0a0161 1009", { byName: { a: 9 } }, undefined, "2205 0a0161 1009");
});
