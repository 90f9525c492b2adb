/**
 * Unknown fields: what a decode meets but its schema does not declare is kept
 * on `$unknown` and written back after the declared fields, so a worker built
 * from an older schema passes a newer host's fields on intact.
 */
import path from "node:path";
import test from "ava";
import { FIXTURES, generateForThisProcess, importGenerated } from "./helpers/generated.js";
import { fromHex, hex } from "./helpers/conformance-pbjs.js";

const v1 = await importGenerated(
  await generateForThisProcess("unknown-v1", { files: [path.join(FIXTURES, "unknown/v1/profile.proto")] }),
  "profile_pb.ts",
);
const v2 = await importGenerated(
  await generateForThisProcess("unknown-v2", { files: [path.join(FIXTURES, "unknown/v2/profile.proto")] }),
  "profile_pb.ts",
);

/** Every field of the v2 schema set, none at its default. */
function newer() {
  return v2.Profile.create({
    name: "Ada",
    score: -5_000_000_000n,
    ratio: 0.25,
    address: v2.Address.create({ street: "Main St", zip: "0150", floor: -2 }),
    lucky: [7, -1, 300],
    tags: ["a", "b"],
    counts: { x: 1, y: -2 },
    contact: { case: "phone", value: "+47 555" },
    level: v2.Level.LEVEL_GOLD,
    history: [v2.Address.create({ street: "Old Rd", zip: "9999" }), v2.Address.create({ street: "Elm" })],
    flags: 0xdeadbeef,
    active: true,
    avatar: new Uint8Array([1, 2, 3]),
  });
}

test("v2 → v1 → v2: fields v1 does not declare come back intact, and v1's change is visible", (t) => {
  const original = newer();
  const old = v1.Profile.decode(v2.Profile.encode(original));

  // v1 keeps, in the order v2 wrote them, exactly the fields it does not declare.
  const notInV1 = v2.Profile.encode({ ...original, name: "", address: undefined, level: 0, history: [] });
  t.deepEqual(old, {
    name: "Ada",
    address: { street: "Main St", $unknown: v2.Address.encode(v2.Address.create({ zip: "0150", floor: -2 })) },
    contact: { case: undefined },
    level: 2, // an open enum keeps a number it does not name
    history: [{ street: "Old Rd", $unknown: fromHex("12 04 39393939") }, { street: "Elm" }],
    $unknown: notInV1,
  });
  t.false(Object.hasOwn(old.history[1], "$unknown"), "a nested message with nothing unknown has no $unknown");

  old.name = "Grace";
  old.address.street = "High St";
  old.history[0].street = "New Rd";
  const back = v2.Profile.decode(v1.Profile.encode(old));
  const expected = newer();
  expected.name = "Grace";
  expected.address.street = "High St";
  expected.history[0].street = "New Rd";
  t.deepEqual(back, expected);
});

test("v1 re-encoding what it did not change gives v2 its message back", (t) => {
  const original = newer();
  const passedOn = v1.Profile.encode(v1.Profile.decode(v2.Profile.encode(original)));
  t.deepEqual(v2.Profile.decode(passedOn), original);
  // Declared fields first, then the kept ones: the same length, another order.
  t.is(passedOn.length, v2.Profile.encode(original).length);
});

test("unknown fields in repeated messages stay with their own element", (t) => {
  const list = [
    v2.Address.create({ street: "a", zip: "1" }),
    v2.Address.create({ street: "b" }),
    v2.Address.create({ zip: "3", floor: 4 }),
  ];
  const old = v1.Profile.decode(v2.Profile.encode(v2.Profile.create({ history: list })));
  t.deepEqual(old.history, [
    { street: "a", $unknown: fromHex("1201 31") },
    { street: "b" },
    { street: "", $unknown: fromHex("1201 33 1808") },
  ]);
  old.history.reverse();
  t.deepEqual(v2.Profile.decode(v1.Profile.encode(old)).history, list.reverse());
});

test("structuredClone keeps $unknown, and the clone encodes the same bytes", (t) => {
  const old = v1.Profile.decode(v2.Profile.encode(newer()));
  const clone = structuredClone(old);
  t.true(clone.$unknown instanceof Uint8Array);
  t.true(clone.address.$unknown instanceof Uint8Array);
  t.deepEqual(clone, old);
  t.deepEqual(v1.Profile.encode(clone), v1.Profile.encode(old));
  t.deepEqual(v2.Profile.decode(v1.Profile.encode(clone)), newer());
});

test("toJson prints only declared fields; fromJson adds no $unknown", (t) => {
  const old = v1.Profile.decode(v2.Profile.encode(newer()));
  const json = v1.Profile.toJson(old);
  t.deepEqual(json, {
    name: "Ada",
    address: { street: "Main St" },
    level: 2,
    history: [{ street: "Old Rd" }, { street: "Elm" }],
  });
  const read = v1.Profile.fromJson(json);
  t.false(Object.hasOwn(read, "$unknown"));
  t.false(Object.hasOwn(read.address, "$unknown"));
});

test("a message with no unknown fields has no $unknown property at all", (t) => {
  const original = newer();
  t.false(Object.hasOwn(original, "$unknown"), "create");
  const decoded = v2.Profile.decode(v2.Profile.encode(original));
  t.false(Object.hasOwn(decoded, "$unknown"), "decode");
  t.false(Object.hasOwn(decoded.address, "$unknown"), "decode, nested");
  t.false(decoded.history.some((h: object) => Object.hasOwn(h, "$unknown")), "decode, repeated");
  t.false(Object.hasOwn(v1.Profile.decode(new Uint8Array(0)), "$unknown"), "decode of nothing");
  t.false(Object.keys(v1.Profile.decode(fromHex("0a03 416461"))).includes("$unknown"));
});

test("unknown fields are kept in the order read and written after the declared ones", (t) => {
  // field 50 (varint), name, field 51 (fixed32), field 52 (fixed64), field 53 (bytes)
  const f50 = "9003 2a";
  const f51 = "9d03 01020304";
  const f52 = "a103 0102030405060708";
  const f53 = "aa03 03 616263";
  const decoded = v1.Profile.decode(fromHex(f50 + "0a01 61" + f51 + f52 + f53));
  t.is(decoded.name, "a");
  t.is(hex(decoded.$unknown), (f50 + f51 + f52 + f53).replace(/ /g, ""));
  t.is(hex(v1.Profile.encode(decoded)), ("0a01 61" + f50 + f51 + f52 + f53).replace(/ /g, ""));
});

test("unknown groups are kept byte-exact, nested groups and all", (t) => {
  // Group 20 { 21: varint 150, 22: fixed64, group 23 { 24: "hi" } }; an empty group 25 inside the address.
  const group = "a301 a801 9601 b101 0102030405060708 bb01 c201 02 6869 bc01 a401";
  const emptyGroup = "cb01 cc01";
  const address = "2207 0a01 62" + emptyGroup;
  const decoded = v1.Profile.decode(fromHex("0a01 61" + group + address));
  t.is(decoded.name, "a");
  t.is(decoded.address.street, "b");
  t.is(hex(decoded.$unknown), group.replace(/ /g, ""));
  t.is(hex(decoded.address.$unknown), emptyGroup.replace(/ /g, ""));
  t.is(hex(v1.Profile.encode(decoded)), ("0a01 61" + address + group).replace(/ /g, ""), "declared fields, then the group as it came");
  // v2 does not declare them either: still there after a second hop.
  t.is(hex(v2.Profile.encode(v2.Profile.decode(v1.Profile.encode(decoded)))), hex(v1.Profile.encode(decoded)));
});
