/**
 * Proto3 JSON against protobufjs: for thousands of seeded random messages,
 * our toJson equals protobufjs' `toObject(…, { json: true, longs: String,
 * enums: String, bytes: String })` of the same bytes, and fromJson reads our
 * JSON back to the message. Then fromJson's leniencies and its errors.
 */
import test from "ava";
import protobuf from "protobufjs";
import { Code, StreampathError } from "../runtime/core/index.js";
import { generateConformance, loadPbjs, same, show } from "./helpers/conformance-pbjs.js";
import * as random from "./helpers/random-message.js";
import { type Msg, Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const { C } = await generateConformance("conformance-json");
const root = loadPbjs();
const PBJS_JSON: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/** What survives JSON text: -0 becomes 0 (JSON.stringify(-0) is "0"). */
function withoutNegativeZero(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(withoutNegativeZero);
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    const out: Msg = {};
    for (const k of Object.keys(v)) out[k] = withoutNegativeZero((v as Msg)[k]);
    return out;
  }
  return v;
}

/** The same JSON with proto field names (`f_int32`) instead of JSON names, at every level. */
function protoNames(type: protobuf.Type, json: Msg): Msg {
  const out: Msg = {};
  for (const key of Object.keys(json)) {
    const field = type.fields[key];
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    let v = json[key];
    if (sub && field.map) v = Object.fromEntries(Object.entries(v).map(([k, e]) => [k, protoNames(sub, e as Msg)]));
    else if (sub && Array.isArray(v)) v = v.map((e: Msg) => protoNames(sub, e));
    else if (sub) v = protoNames(sub, v);
    out[(field as any).protoName ?? key] = v;
  }
  return out;
}

function conformance(name: string, make: (r: Rng) => Msg, count: number) {
  test(`${name}: toJson matches protobufjs toObject, fromJson reads it back (${count} messages)`, (t) => {
    const X = C[name];
    const T = root.lookupType(`conformance.${name}`);
    const label = `json ${name}`;
    const r = new Rng(seedFor(label));
    for (let i = 0; i < count; i++) {
      const m = make(r);
      const where = seedInfo(label, i);
      const bytes: Uint8Array = X.encode(m);
      const ours = X.toJson(X.decode(bytes));
      const theirs = T.toObject(T.decode(bytes), PBJS_JSON);
      if (!same(ours, theirs)) {
        t.log(show(m));
        return t.deepEqual(ours, theirs, `${name}.toJson differs from protobufjs ${where}`);
      }
      const text = JSON.stringify(ours);
      const expected = withoutNegativeZero(m);
      for (const [what, json] of [["JSON names", JSON.parse(text)], ["proto names", protoNames(T, JSON.parse(text))]]) {
        let back: unknown;
        try {
          back = X.fromJson(json);
        } catch (e) {
          t.log(show(m));
          return t.fail(`${name}.fromJson (${what}) threw ${String(e)} ${where}; JSON ${text.slice(0, 500)}`);
        }
        if (!same(back, expected)) {
          t.log(show(m));
          return t.deepEqual(back, expected, `${name}.fromJson(${what}) is not the message ${where}`);
        }
      }
    }
    t.pass();
  });
}

conformance("Scalars", random.scalars, 3000);
conformance("Optionals", random.optionals, 3000);
conformance("Repeated", random.repeated, 800);
conformance("Maps", random.maps, 1500);
conformance("Choice", random.choice, 3000);
conformance("Nested", random.nested, 2000);
conformance("Everything", (r) => random.everything(r), 400);

test("OddKeys: 64-bit and bool map keys round-trip through JSON", (t) => {
  const label = "json OddKeys";
  const r = new Rng(seedFor(label));
  for (let i = 0; i < 2000; i++) {
    const m = random.oddKeys(r);
    const back = C.OddKeys.fromJson(JSON.parse(JSON.stringify(C.OddKeys.toJson(m))));
    if (!same(back, m)) return t.deepEqual(back, m, `OddKeys JSON round trip ${seedInfo(label, i)}`);
  }
  t.deepEqual(C.OddKeys.toJson(C.OddKeys.create({ mBool: { true: "t" }, mUint64: { "18446744073709551615": "u" } })), {
    mUint64: { "18446744073709551615": "u" },
    mBool: { true: "t" },
  });
});

test("fromJson: 64-bit integers as strings or numbers, 32-bit ones as strings too", (t) => {
  const { Scalars } = C;
  t.deepEqual(
    Scalars.fromJson({ fInt64: 5, fUint64: "18446744073709551615", fSint64: "-9223372036854775808", fInt32: "-7" }),
    Scalars.create({ fInt64: 5n, fUint64: 18446744073709551615n, fSint64: -9223372036854775808n, fInt32: -7 }),
  );
  t.deepEqual(Scalars.fromJson({ fFixed64: 9007199254740991, fSfixed64: "-1", fUint32: "4294967295" }),
    Scalars.create({ fFixed64: 9007199254740991n, fSfixed64: -1n, fUint32: 4294967295 }));
  t.deepEqual(Scalars.fromJson({ fDouble: "1.5", fFloat: "NaN", fInt32: 1e2, fColor: 2 }),
    Scalars.create({ fDouble: 1.5, fFloat: NaN, fInt32: 100, fColor: 2 }));
  t.deepEqual(Scalars.fromJson({ fColor: "COLOR_BLUE" }).fColor, -3);
  t.deepEqual(Scalars.fromJson({ fColor: 42 }).fColor, 42, "an unknown enum number is kept");
  t.deepEqual(Scalars.fromJson({ fBytes: "-_8=" }).fBytes, new Uint8Array([0xfb, 0xff]), "URL-safe base64");
});

test("fromJson: null means the field's default, for every kind of field", (t) => {
  const names = (type: string) => root.lookupType(`conformance.${type}`).fieldsArray;
  for (const type of ["Scalars", "Optionals", "Repeated", "Maps", "Choice", "Nested", "Everything"]) {
    const allNull: Msg = {};
    for (const f of names(type)) allNull[f.name] = null;
    t.deepEqual(C[type].fromJson(allNull), C[type].create(), `${type} with every field null`);
  }
});

function rejects(t: any, run: () => unknown, message: RegExp, what: string) {
  const error = t.throws(run, { instanceOf: StreampathError, message }, what);
  if (error) t.is(error.code, Code.InvalidArgument, `${what}: code`);
}

test("fromJson errors name the type and the field", (t) => {
  const { Scalars, Optionals, Repeated, Maps, Everything, Choice } = C;
  const field = (type: string, key: string) => new RegExp(`conformance\\.${type}\\b.*\\b${key}\\b`);
  rejects(t, () => Scalars.fromJson({ fInt32: "abc" }), field("Scalars", "fInt32"), "a string in an int32");
  rejects(t, () => Scalars.fromJson({ f_int32: 1.5 }), field("Scalars", "f_int32"), "a fraction in an int32");
  rejects(t, () => Scalars.fromJson({ fInt32: 2147483648 }), /fInt32.*out of range for int32/, "int32 overflow");
  rejects(t, () => Scalars.fromJson({ fUint32: -1 }), /fUint32.*out of range for uint32/, "negative uint32");
  rejects(t, () => Scalars.fromJson({ fInt64: "9223372036854775808" }), /fInt64.*out of range for int64/, "int64");
  rejects(t, () => Scalars.fromJson({ fUint64: "-1" }), /fUint64.*out of range for uint64/, "negative uint64");
  rejects(t, () => Scalars.fromJson({ fInt64: "1.5" }), field("Scalars", "fInt64"), "a fraction in an int64");
  rejects(t, () => Scalars.fromJson({ fFloat: 1e39 }), /fFloat.*out of range for float/, "float overflow");
  rejects(t, () => Scalars.fromJson({ fBool: "true" }), field("Scalars", "fBool"), "a string in a bool");
  rejects(t, () => Scalars.fromJson({ fString: 5 }), field("Scalars", "fString"), "a number in a string");
  rejects(t, () => Scalars.fromJson({ fBytes: "a*b=" }), field("Scalars", "fBytes"), "bad base64");
  rejects(t, () => Scalars.fromJson({ fColor: "COLOR_PURPLE" }), /fColor.*unknown enum value "COLOR_PURPLE"/, "enum");
  rejects(t, () => Optionals.fromJson({ oInt64: {} }), field("Optionals", "oInt64"), "an object in an int64");
  rejects(t, () => Repeated.fromJson({ rInt32: 5 }), field("Repeated", "rInt32"), "a number for a repeated field");
  rejects(t, () => Repeated.fromJson({ rInt32: [1, "x"] }), field("Repeated", "rInt32"), "a bad element");
  rejects(t, () => Maps.fromJson({ mInt32Int32: { abc: 1 } }), field("Maps", "mInt32Int32"), "a bad int32 map key");
  rejects(t, () => Maps.fromJson({ mStringString: [] }), field("Maps", "mStringString"), "an array for a map");
  rejects(t, () => Choice.fromJson({ cInt64: true }), field("Choice", "cInt64"), "a bool in a oneof int64");
  rejects(t, () => Everything.fromJson({ scalars: { fSint32: "x" } }), field("Scalars", "fSint32"), "nested");
  rejects(t, () => Everything.fromJson({ scalars: [] }), /conformance\.Scalars.*expected an object/, "array as message");
  rejects(t, () => Everything.fromJson("{}"), /conformance\.Everything.*expected an object/, "a string as message");
});

test("fromJson: unknown fields are errors unless ignoreUnknownFields", (t) => {
  const { Scalars, Everything } = C;
  rejects(t, () => Scalars.fromJson({ fInt32: 1, bogus: 2 }), /conformance\.Scalars.*unknown field "bogus"/, "top");
  rejects(t, () => Everything.fromJson({ nested: { inner: { nope: 1 } } }), /conformance\.Nested\.Inner.*"nope"/, "deep");
  const ignore = { ignoreUnknownFields: true };
  t.deepEqual(Scalars.fromJson({ fInt32: 1, bogus: 2 }, ignore), Scalars.create({ fInt32: 1 }));
  t.deepEqual(
    Everything.fromJson({ nested: { inner: { nope: 1, label: "x" } }, zzz: [] }, ignore),
    Everything.create({ nested: C.Nested.create({ inner: C.Nested_Inner.create({ label: "x" }) }) }),
  );
});

/** The conformance suite lets a parser either reject a duplicate or let the last one win. */
function rejectsOrLastWins(t: any, run: () => Msg, pick: (m: Msg) => unknown, last: unknown, what: string) {
  let result: Msg;
  try {
    result = run();
  } catch (e) {
    t.true(e instanceof StreampathError, `${what}: threw ${String(e)}, not a StreampathError`);
    return;
  }
  t.deepEqual(pick(result), last, `${what}: accepted, so the last one must win`);
}

test("fromJson: duplicates are rejected or the last wins (OneofFieldDuplicate, FieldNameDuplicateDifferentCasing)", (t) => {
  const { Choice, Scalars } = C;
  rejectsOrLastWins(t, () => Choice.fromJson({ cString: "a", cInt64: "1" }), (m) => m.pick,
    { case: "cInt64", value: 1n }, "two members of oneof pick");
  rejectsOrLastWins(t, () => Choice.fromJson({ cInt64: "1", cString: "a" }), (m) => m.pick,
    { case: "cString", value: "a" }, "the same, reversed");
  rejectsOrLastWins(t, () => Choice.fromJson({ s_bool: true, sItem: {} }), (m) => m.second,
    { case: "sItem", value: { name: "", count: 0n, tags: [] } }, "oneof second, mixed names");
  rejectsOrLastWins(t, () => Scalars.fromJson({ f_int32: 1, fInt32: 2 }), (m) => m.fInt32, 2, "proto and JSON name");
  // A null member does not count as set.
  t.deepEqual(Choice.fromJson({ cString: null, cInt64: "1" }).pick, { case: "cInt64", value: 1n });
});

test("fromJson: a float printed with 9 significant digits by other runtimes reads back (FLT_MAX)", (t) => {
  // C++ and Java print FLT_MAX as 3.4028235e+38, a hair above the float's exact value; Java's parser allows for it.
  for (const json of [3.4028235e38, "3.4028235e38", -3.4028235e38]) {
    try {
      t.is(Math.abs(C.Scalars.fromJson({ fFloat: json }).fFloat), 3.4028234663852886e38, String(json));
    } catch (e) {
      t.fail(`${json}: ${String(e)}`);
    }
  }
  rejects(t, () => C.Scalars.fromJson({ fFloat: 3.5e38 }), /fFloat.*out of range for float/, "really too large");
});

test("fromJson: JSON nested deeper than the binary limit is a StreampathError, not a stack overflow", (t) => {
  let json: Msg = {};
  for (let i = 0; i < 20_000; i++) json = { children: [json] };
  t.throws(() => C.Everything.fromJson(json), { instanceOf: StreampathError }, "20 000 nested children");
  let inner: Msg = {};
  for (let i = 0; i < 20_000; i++) inner = { child: inner };
  t.throws(() => C.Nested.fromJson({ inner }), { instanceOf: StreampathError }, "20 000 nested Inner.child");
});

test("toJson output is JSON: no bigint, no undefined, no Uint8Array", (t) => {
  const r = new Rng(seedFor("json text"));
  for (let i = 0; i < 300; i++) {
    const json = C.Everything.toJson(random.everything(r));
    t.notThrows(() => JSON.stringify(json));
    if (!same(JSON.parse(JSON.stringify(json)), withoutNegativeZero(json))) {
      return t.fail(`toJson output does not survive JSON text ${seedInfo("json text", i)}`);
    }
  }
});
