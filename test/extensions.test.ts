/**
 * Extensions: typed handles over the bytes a message keeps in `$unknown`, so
 * an extension set by another implementation survives decode and encode
 * untouched, and getExtension/setExtension/hasExtension/clearExtension read
 * and change it.
 */
import path from "node:path";
import test from "ava";
import protobuf from "protobufjs";
import { clearExtension, createRegistry, getExtension, hasExtension, setExtension } from "../runtime/core/index.js";
import { fromHex, hex } from "./helpers/conformance-pbjs.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./helpers/generated.js";

const PROTO = path.join(FIXTURES, "proto2/extensions.proto");
const E = await importGenerated(await generateForThisProcess("extensions", { files: [PROTO] }), "extensions_pb.ts");
const { Host, Badge, Tier } = E;
const pbjs = new protobuf.Root().loadSync(PROTO);
pbjs.resolveAll();
const PbHost = pbjs.lookupType("p2ext.Host");

/** protobufjs adds each extension to the extended type under its full name (`.p2ext.priority`). */
function pbjsKey(name: string): string {
  const field = pbjs.lookup(name);
  if (!(field instanceof protobuf.Field) || field.extend === undefined) throw new Error(`${name} is not an extension`);
  return field.fullName;
}

/** Every extension of the fixture set, by protobufjs. */
const fromPbjs = PbHost.encode(
  PbHost.fromObject({
    name: "h",
    [pbjsKey("p2ext.priority")]: 7,
    [pbjsKey("p2ext.aliases")]: ["a", "b"],
    [pbjsKey("p2ext.badge")]: { title: "t", rank: 2 },
    [pbjsKey("p2ext.tier")]: "TIER_PRO",
    [pbjsKey("p2ext.ports")]: [80, 443],
    [pbjsKey("p2ext.Scope.owner")]: "me",
  }),
).finish();

test("the handles say what they extend", (t) => {
  t.like(E.priority, { typeName: "p2ext.priority", extendee: "p2ext.Host", number: 100 });
  t.like(E.Scope_owner, { typeName: "p2ext.Scope.owner", extendee: "p2ext.Host", number: 110 });
  t.deepEqual(Object.keys(E).filter((k) => !["Host", "Badge", "Tier", "Scope"].includes(k)).sort(), [
    "Scope_owner",
    "aliases",
    "badge",
    "ports",
    "priority",
    "tier",
  ]);
});

test("extensions set by protobufjs are read by getExtension", (t) => {
  const host = Host.decode(fromPbjs);
  t.is(host.name, "h");
  t.is(getExtension(host, E.priority), 7);
  t.deepEqual(getExtension(host, E.aliases), ["a", "b"]);
  t.deepEqual(getExtension(host, E.badge), Badge.create({ title: "t", rank: 2 }));
  t.is(getExtension(host, E.tier), Tier.TIER_PRO);
  t.deepEqual(getExtension(host, E.ports), [80, 443]);
  t.is(getExtension(host, E.Scope_owner), "me");
  for (const ext of [E.priority, E.aliases, E.badge, E.tier, E.ports, E.Scope_owner]) t.true(hasExtension(host, ext), ext.typeName);
});

test("extensions survive decode → encode byte-exact", (t) => {
  t.is(hex(Host.encode(Host.decode(fromPbjs))), hex(fromPbjs));
  // A message that declares none of them passes them on too.
  t.is(hex(Badge.encode(Badge.decode(fromPbjs.subarray(3)))), hex(fromPbjs.subarray(3)));
});

test("an extension not set: has is false, get gives undefined, or [] when repeated", (t) => {
  const host = Host.create({ name: "x" });
  t.false(hasExtension(host, E.priority));
  t.is(getExtension(host, E.priority), undefined);
  t.deepEqual(getExtension(host, E.aliases), []);
  t.is(getExtension(host, E.badge), undefined);
  t.false(Object.hasOwn(host, "$unknown"));
});

test("setExtension writes what protobufjs reads, for each kind of extension", (t) => {
  const host = Host.create({ name: "x" });
  setExtension(host, E.priority, 0);
  setExtension(host, E.aliases, ["p", "q"]);
  setExtension(host, E.badge, Badge.create({ rank: 1 }));
  setExtension(host, E.tier, Tier.TIER_FREE);
  setExtension(host, E.ports, [1, 2]);
  setExtension(host, E.Scope_owner, "you");
  // Zero is written: an extension has explicit presence.
  t.is(hex(host.$unknown), "a00600" + "aa060170aa060171" + "b206021001" + "b80600" + "c206020102" + "f20603796f75");
  t.deepEqual(PbHost.toObject(PbHost.decode(Host.encode(host))), {
    name: "x",
    ".p2ext.priority": 0,
    ".p2ext.aliases": ["p", "q"],
    ".p2ext.badge": { rank: 1 },
    ".p2ext.tier": 0,
    ".p2ext.ports": [1, 2],
    ".p2ext.Scope.owner": "you",
  });
  t.is(getExtension(host, E.priority), 0);
  t.true(hasExtension(host, E.tier));
});

test("setting an extension again replaces it, wherever it stood", (t) => {
  const host = Host.decode(fromPbjs);
  setExtension(host, E.priority, 9);
  setExtension(host, E.aliases, ["c"]);
  t.is(getExtension(host, E.priority), 9);
  t.deepEqual(getExtension(host, E.aliases), ["c"]);
  // The others as they were, then the two set, once each.
  t.is(hex(host.$unknown), "b206050a01741002" + "b80601" + "c2060350bb03" + "f206026d65" + "a00609" + "aa060163");
  setExtension(host, E.badge, Badge.create({ title: "u" }));
  t.deepEqual(getExtension(host, E.badge), Badge.create({ title: "u" }), "a message is replaced, not merged");
});

test("clearExtension removes only that extension, every occurrence of it", (t) => {
  const host = Host.decode(fromPbjs);
  clearExtension(host, E.aliases);
  t.false(hasExtension(host, E.aliases));
  t.deepEqual(getExtension(host, E.aliases), []);
  t.is(getExtension(host, E.priority), 7);
  t.is(getExtension(host, E.Scope_owner), "me");
  t.is(hex(host.$unknown), "a00607" + "b206050a01741002" + "b80601" + "c2060350bb03" + "f206026d65");
  clearExtension(host, E.aliases); // not set: nothing changes
  t.is(hex(host.$unknown), "a00607b206050a01741002b80601c2060350bb03f206026d65");
  for (const ext of [E.priority, E.badge, E.tier, E.ports, E.Scope_owner]) clearExtension(host, ext);
  t.false(Object.hasOwn(host, "$unknown"), "nothing left: no $unknown");
  t.is(hex(Host.encode(host)), "0a0168");
});

test("other unknown fields are left alone by the extension functions", (t) => {
  // Field 150 (varint 1, not declared as an extension), then priority 7.
  const host = Host.decode(fromHex("b00901 a00607"));
  t.is(getExtension(host, E.priority), 7);
  clearExtension(host, E.priority);
  t.is(hex(host.$unknown), "b00901");
  setExtension(host, E.priority, 8);
  t.is(hex(Host.encode(host)), "b00901a00608");
});

test("JSON: extensions in the registry are written and read as [pkg.ext] keys", (t) => {
  const registry = createRegistry(Host, Badge, E.priority, E.aliases, E.badge, E.tier, E.ports, E.Scope_owner);
  const host = Host.decode(fromPbjs);
  const json = {
    name: "h",
    "[p2ext.priority]": 7,
    "[p2ext.aliases]": ["a", "b"],
    "[p2ext.badge]": { title: "t", rank: 2 },
    "[p2ext.tier]": "TIER_PRO",
    "[p2ext.ports]": [80, 443],
    "[p2ext.Scope.owner]": "me",
  };
  t.deepEqual(Host.toJson(host, { registry }), json);
  t.is(hex(Host.encode(Host.fromJson(json, { registry }))), hex(fromPbjs));
});

test("JSON: an extension the registry does not know is neither written nor read", (t) => {
  const host = Host.decode(fromPbjs);
  t.deepEqual(Host.toJson(host), { name: "h" });
  t.deepEqual(Host.toJson(host, { registry: createRegistry(E.priority) }), { name: "h", "[p2ext.priority]": 7 });
  t.throws(() => Host.fromJson({ "[p2ext.priority]": 7 }, { registry: createRegistry(E.tier) }), {
    message: 'cannot read p2ext.Host from JSON: unknown field "[p2ext.priority]"',
  });
});
