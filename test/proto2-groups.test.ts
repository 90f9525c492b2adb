/**
 * proto2 groups and editions DELIMITED fields: a message value written
 * between a start-group and an end-group tag instead of behind a length.
 * Bytes are checked against protobufjs, which writes groups too.
 */
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import protobuf from "protobufjs";
import { Code, StreampathError } from "../runtime/core/index.js";
import { fromHex, hex } from "./helpers/conformance-pbjs.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./helpers/generated.js";

const GROUPS = path.join(FIXTURES, "proto2/groups.proto");
const DELIMITED = path.join(FIXTURES, "editions/delimited.proto");
const dir = await generateForThisProcess("proto2-groups", { files: [GROUPS, DELIMITED] });
const G = await importGenerated(dir, "groups_pb.ts");
const D = await importGenerated(dir, "delimited_pb.ts");
const pbjs = new protobuf.Root().loadSync([GROUPS, DELIMITED]);
pbjs.resolveAll();

/** Our bytes are protobufjs' bytes, and each side reads the other's back. */
function sameAsProtobufjs(t: ExecutionContext, codec: any, typeName: string, ours: unknown, plain: object) {
  const type = pbjs.lookupType(typeName);
  const theirs = type.encode(type.fromObject(plain)).finish();
  t.is(hex(codec.encode(ours)), hex(theirs), "bytes");
  t.deepEqual(codec.decode(theirs), ours, "protobufjs' bytes decoded");
  t.deepEqual(type.toObject(type.decode(codec.encode(ours))), plain, "our bytes, decoded by protobufjs");
}

/** Decoding `bytes` fails with InvalidArgument and exactly `message`. */
function rejects(t: ExecutionContext, codec: any, bytes: string, message: string) {
  const error = t.throws(() => codec.decode(fromHex(bytes)), { instanceOf: StreampathError }, bytes);
  t.is(error?.message, message);
  t.is((error as StreampathError | undefined)?.code, Code.InvalidArgument);
}

test("proto2 groups, nested and repeated, are written as protobufjs writes them", (t) => {
  const order = G.Order.create({
    id: 5,
    shipping: G.Order_Shipping.create({ city: "Oslo", box: G.Order_Shipping_Box.create({ weight: 3, labels: ["a", "b"] }) }),
    line: [G.Order_Line.create({ sku: "x", qty: 1 }), G.Order_Line.create({ sku: "y" })],
    note: "n",
    giftwrap: G.Order_GiftWrap.create({ paper: "red" }),
  });
  const plain = {
    id: 5,
    shipping: { city: "Oslo", box: { weight: 3, labels: ["a", "b"] } },
    line: [{ sku: "x", qty: 1 }, { sku: "y" }],
    note: "n",
    giftWrap: { paper: "red" },
  };
  sameAsProtobufjs(t, G.Order, "p2groups.Order", order, plain);
  // Start tag (field << 3 | 3), the fields, end tag (field << 3 | 4): no length anywhere.
  t.is(
    hex(G.Order.encode(order)),
    "0805" + "13" + "1a044f736c6f" + "23" + "2803" + "320161" + "320162" + "24" + "14" +
      "3b" + "420178" + "4801" + "3c" + "3b" + "420179" + "3c" + "52016e" + "5b" + "6203726564" + "5c",
  );
});

test("an empty group is its two tags; an unset one is nothing", (t) => {
  sameAsProtobufjs(t, G.Order, "p2groups.Order", G.Order.create({ shipping: G.Order_Shipping.create() }), { shipping: {} });
  t.is(hex(G.Order.encode(G.Order.create({ shipping: G.Order_Shipping.create() }))), "1314");
  t.is(hex(G.Order.encode(G.Order.create({ line: [G.Order_Line.create(), G.Order_Line.create()] }))), "3b3c3b3c");
  t.is(hex(G.Order.encode(G.Order.create())), "");
});

test("a singular group seen twice merges, as a length-delimited message does", (t) => {
  // Shipping { city: "a" }, then Shipping { Box { weight: 2 } }.
  const order = G.Order.decode(fromHex("13 1a0161 14 13 23 2802 24 14"));
  t.deepEqual(order.shipping, G.Order_Shipping.create({ city: "a", box: G.Order_Shipping_Box.create({ weight: 2 }) }));
});

test("unknown fields inside a group stay inside it", (t) => {
  // Field 127 (varint 1) inside Shipping, field 126 (varint 2) after it.
  const order = G.Order.decode(fromHex("13 1a0161 f80701 14 f00702"));
  t.is(hex(order.shipping.$unknown), "f80701");
  t.is(hex(order.$unknown), "f00702");
  t.is(hex(G.Order.encode(order)), "131a0161f8070114f00702");
});

test("editions DELIMITED fields are written as protobufjs writes them", (t) => {
  const dims = (width?: number, height?: number) => D.Dimensions.create({ width, height });
  const parcel = D.Parcel.create({
    id: 1,
    size: dims(2, 3),
    parts: [dims(4), dims(undefined, 5)],
    label: dims(6),
    inside: D.Parcel.create({ id: 7, size: dims(8) }),
  });
  const plain = {
    id: 1,
    size: { width: 2, height: 3 },
    parts: [{ width: 4 }, { height: 5 }],
    label: { width: 6 },
    inside: { id: 7, size: { width: 8 } },
  };
  sameAsProtobufjs(t, D.Parcel, "edgroups.Parcel", parcel, plain);
  // size, parts and inside between group tags; label (not DELIMITED) behind its length.
  const inside = "2b" + "0807" + "130808" + "14" + "2c";
  t.is(hex(D.Parcel.encode(parcel)), "0801" + "1308021003" + "14" + "1b08041c" + "1b10051c" + "22020806" + inside);
});

test("a group's JSON key is protoc's name for its field: the group name, lowercased", (t) => {
  // protoc names the field of `group GiftWrap` "giftwrap" (test_messages_proto2_editions.proto spells
  // MultiWordGroupField's field "multiwordgroupfield"): other implementations print and expect that key.
  const order = G.Order.create({ giftwrap: G.Order_GiftWrap.create({ paper: "red" }) });
  t.deepEqual(G.Order.toJson(order), { giftwrap: { paper: "red" } });
  t.deepEqual(G.Order.encode(G.Order.fromJson({ giftwrap: { paper: "red" } })), G.Order.encode(order));
});

test("single-word groups keep the JSON key protoc gives them", (t) => {
  const created = G.Order.create({ shipping: G.Order_Shipping.create({ city: "c" }), line: [G.Order_Line.create({ qty: 2 })] });
  const order = G.Order.decode(G.Order.encode(created));
  const json = { shipping: { city: "c" }, line: [{ qty: 2 }] };
  t.deepEqual(G.Order.toJson(order), json);
  t.deepEqual(G.Order.fromJson(json), order);
});

test("a group without its end tag is an error naming the group", (t) => {
  rejects(t, G.Order, "13 1a024f73", "cannot decode protobuf: group 2 has no end tag at byte 5");
  rejects(t, G.Order, "13 23 2801", "cannot decode protobuf: group 4 has no end tag at byte 4");
  rejects(t, D.Parcel, "13 0801", "cannot decode protobuf: group 2 has no end tag at byte 3");
  rejects(t, D.Parcel, "2b 13 0801 14", "cannot decode protobuf: group 5 has no end tag at byte 5");
});

test("an end tag of another group is an error naming both", (t) => {
  rejects(t, G.Order, "13 1a024f73 24", "cannot decode protobuf: end of group 4 where group 2 is open in p2groups.Order.Shipping at byte 6");
  rejects(t, G.Order, "13 23 2801 14 14", "cannot decode protobuf: end of group 2 where group 4 is open in p2groups.Order.Shipping.Box at byte 5");
  rejects(t, G.Order, "3b 420178 5c", "cannot decode protobuf: end of group 11 where group 7 is open in p2groups.Order.Line at byte 5");
  rejects(t, D.Parcel, "13 0801 1c", "cannot decode protobuf: end of group 3 where group 2 is open in edgroups.Dimensions at byte 4");
  rejects(t, G.Order, "14", "cannot decode protobuf: end of group 2 where no group is open in p2groups.Order at byte 1");
});
