/**
 * TypeScript property names come from the field name (lowerCamelCase, as
 * protobuf-es names them), never from json_name, which only renames the JSON
 * key; names every object already has get a `$`. Also what the generated
 * text says about a schema: @deprecated, comments, alias enums, defaults.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import test from "ava";
import { StreampathError } from "../runtime/core/index.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { loadSchema } from "../schema/load.js";
import { FIXTURES, ROOT, generateForThisProcess, importGenerated } from "./helpers/generated.js";

const DIR = "test/fixtures/names-json";
const dir = await generateForThisProcess("property-names", {
  files: [path.join(FIXTURES, "names-json/names.proto"), path.join(FIXTURES, "names-json/defaults.proto")],
});
const N = await importGenerated(dir, "names_pb.ts");
const Defaults = await importGenerated(dir, "defaults_pb.ts");
const source = readFileSync(path.join(dir, "names_pb.ts"), "utf8");

test("json_name renames the JSON key only; the property is the field name in lowerCamelCase", (t) => {
  const person = N.Person.create({ fullName: "Ada Lovelace", ageInYears: 36, nick: "ada" });
  t.deepEqual(Object.keys(person), ["fullName", "ageInYears", "nick", "alias", "status", "history"]);
  t.deepEqual(N.Person.toJson(person), { displayName: "Ada Lovelace", ageInYears: 36, handle: "ada" });
  t.deepEqual(N.Person.decode(N.Person.encode(person)), person);
});

test("fromJson reads the JSON name and the proto name, and nothing else", (t) => {
  const expected = N.Person.create({ fullName: "A", ageInYears: 2, nick: "n" });
  t.deepEqual(N.Person.fromJson({ displayName: "A", ageInYears: 2, handle: "n" }), expected);
  t.deepEqual(N.Person.fromJson({ full_name: "A", age_in_years: 2, nick: "n" }), expected);
  // The property name is neither, when json_name differs from it.
  t.throws(() => N.Person.fromJson({ fullName: "A" }), {
    instanceOf: StreampathError,
    message: 'cannot read njson.Person from JSON: unknown field "fullName"',
  });
});

test("fields that would be one property are a name-conflict at the second one", (t) => {
  const load = (name: string) => loadSchema({ cwd: ROOT, files: [`${DIR}/${name}`] }).diagnostics.map(formatDiagnostic);
  // line 6: `  string fooBar = 2;` (JSON names differ: json_name = "first")
  t.deepEqual(load("conflict.proto"), [
    `${DIR}/conflict.proto:6:10: field fooBar and field foo_bar of njson.conflict.Clash would both be the TypeScript property "fooBar" [name-conflict]`,
  ]);
  // line 6: `  optional int32 totalCount = 2;` (proto2 has no JSON-name rule)
  t.deepEqual(load("conflict-proto2.proto"), [
    `${DIR}/conflict-proto2.proto:6:18: field totalCount and field total_count of njson.conflict2.Clash would both be the TypeScript property "totalCount" [name-conflict]`,
  ]);
});

test("a oneof and a field that would be one property are a name-conflict too", (t) => {
  // `string kind_of = 1;` and `oneof kindOf { … }` (line 6): both `kindOf`, which no interface can hold twice.
  const { diagnostics } = loadSchema({ cwd: ROOT, files: [`${DIR}/conflict-oneof.proto`] });
  t.is(diagnostics.length, 1, diagnostics.map(formatDiagnostic).join("\n"));
  t.like(diagnostics[0], { file: `${DIR}/conflict-oneof.proto`, line: 6, rule: "name-conflict" });
  t.regex(diagnostics[0]?.message ?? "", /kind_of.*kindOf|kindOf.*kind_of/);
});

test("names every object has get a $; their JSON keys do not", (t) => {
  const values = { constructor$: "c", toString$: "t", valueOf$: "v", hasOwnProperty$: "h", isPrototypeOf$: "i", toJSON$: "j", plain: "p" };
  const m = N.Reserved.create(values);
  t.deepEqual(Object.keys(N.Reserved.create()), Object.keys(values));
  const json = { constructor: "c", toString: "t", valueOf: "v", hasOwnProperty: "h", isPrototypeOf: "i", toJSON: "j", plain: "p" };
  t.deepEqual(N.Reserved.toJson(m), json);
  t.deepEqual(N.Reserved.fromJson(JSON.parse(JSON.stringify(json))), m);
  const byProtoName = N.Reserved.fromJson({ to_string: "t", value_of: "v", to_JSON: "j" });
  t.deepEqual(byProtoName, N.Reserved.create({ toString$: "t", valueOf$: "v", toJSON$: "j" }));
  t.deepEqual(N.Reserved.decode(N.Reserved.encode(m)), m);
  // What every object has still works on a message.
  t.is(String(m), "[object Object]");
  t.true(m.hasOwnProperty("plain"));
  t.is(JSON.parse(JSON.stringify(m)).toJSON$, "j");
  const oneof = N.ReservedOneof.create({ toString$: { case: "b", value: 4 } });
  t.deepEqual(N.ReservedOneof.toJson(oneof), { b: 4 });
  t.deepEqual(N.ReservedOneof.decode(N.ReservedOneof.encode(oneof)), oneof);
  t.true(source.includes("export interface Reserved extends UnknownFields {\n  constructor$: string;\n  toString$: string;\n"));
});

test('a json_name of "__proto__" is still a key of the JSON object', (t) => {
  const json = N.ProtoKey.toJson(N.ProtoKey.create({ proto: "x" }));
  t.deepEqual(Object.keys(json), ["__proto__"]);
  t.is(JSON.stringify(json), '{"__proto__":"x"}');
  t.deepEqual(N.ProtoKey.fromJson(JSON.parse('{"__proto__":"y"}')), N.ProtoKey.create({ proto: "y" }));
});

test("@deprecated and comments become JSDoc on what they describe", (t) => {
  const has = (text: string) => t.true(source.includes(text), text);
  has("/** A person, as the directory lists them. */\nexport interface Person extends UnknownFields {\n");
  has("  /** What the directory shows; its JSON key was renamed. */\n  fullName: string;\n  ageInYears: number;\n");
  has("  /**\n   * Replaced by nick.\n   * @deprecated\n   */\n  alias: string;\n");
  has("/** @deprecated */\nexport interface Gone extends UnknownFields {\n");
  has("/** @deprecated */\nexport const Gone: MessageCodec<Gone> = {\n");
  has("/** @deprecated */\nexport enum Legacy {\n");
  has("  /** @deprecated */\n  STATUS_STOPPED = 2,\n");
  // Only what is deprecated says so: the message's interface and codec, a field, an enum, a value.
  t.is(source.match(/@deprecated/g)?.length, 5);
});

test("an enum with aliases prints the first declared name of a number, and reads every name", (t) => {
  const { Person, Status } = N;
  t.is(Status.STATUS_RUNNING, 1);
  t.is(Status.STATUS_ACTIVE, 1);
  t.is(Status[1], "STATUS_RUNNING");
  const person = Person.create({ status: Status.STATUS_ACTIVE, history: [1, 2, 0] });
  t.deepEqual(Person.toJson(person), { status: "STATUS_RUNNING", history: ["STATUS_RUNNING", "STATUS_STOPPED", "STATUS_UNKNOWN"] });
  const read = Person.fromJson({ status: "STATUS_ACTIVE", history: ["STATUS_RUNNING", "STATUS_ACTIVE"] });
  t.deepEqual(read, Person.create({ status: 1, history: [1, 1] }));
});

test("[default = …] values are exported exactly as Settings$defaults; unset fields stay undefined", (t) => {
  const { Settings, Settings$defaults, Level } = Defaults;
  t.deepEqual(Settings$defaults, {
    retries: 3,
    big: 9007199254740993n,
    huge: 18446744073709551615n,
    lowest: -9223372036854775808n,
    mask: 18446744073709551615n,
    octal: 15,
    negative: -16,
    ratio: Infinity,
    below: -Infinity,
    nothing: NaN,
    small: 0.0015,
    greeting: 'hi "you"\n',
    magic: new Uint8Array([0, 255, 65]),
    enabled: true,
    level: Level.HIGH,
    top: 4294967295,
  });
  t.false("plain" in Settings$defaults, "a field without a default is not listed");
  const decoded = Settings.decode(new Uint8Array(0));
  t.is(decoded.retries, undefined);
  t.is(decoded.retries ?? Settings$defaults.retries, 3);
  t.is(Settings.decode(Settings.encode(Settings.create({ retries: 0 }))).retries ?? Settings$defaults.retries, 0);
  t.is(Settings.encode(Settings.create()).length, 0, "defaults are not written");
});
