/**
 * Proto3 JSON of the well-known types, checked against the strings of the
 * ProtoJSON spec (https://protobuf.dev/programming-guides/json/), both
 * directly on the generated google/protobuf/*_pb.ts codecs and as fields of
 * conformance.WellKnown.
 */
import test from "ava";
import { Code, StreampathError, createRegistry } from "../runtime/core/index.js";
import { generateConformance } from "./helpers/conformance-pbjs.js";
import { importGenerated } from "./helpers/generated.js";

const { dir, C } = await generateConformance("wkt-json");
const wkt = async (name: string) => importGenerated(dir, `google/protobuf/${name}_pb.ts`);
const { Timestamp } = await wkt("timestamp");
const { Duration } = await wkt("duration");
const { Any } = await wkt("any");
const { FieldMask } = await wkt("field_mask");
const { Struct, Value } = await wkt("struct");
const { Int64Value } = await wkt("wrappers");
const { WellKnown, Scalars, Color } = C;

function rejects(t: any, run: () => unknown, message: RegExp, what: string) {
  const error = t.throws(run, { instanceOf: StreampathError, message }, what);
  if (error) t.is(error.code, Code.InvalidArgument, `${what}: code`);
}

/** Asserts `type.fromJson(json)` returns `expected`, failing (not throwing) if it throws. */
function parses(t: any, type: any, json: unknown, expected: unknown, what = JSON.stringify(json)) {
  try {
    t.deepEqual(type.fromJson(json), expected, what);
  } catch (e) {
    t.fail(`${what}: ${String(e)}`);
  }
}

const MIN_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

test("Timestamp → RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits", (t) => {
  const cases: [bigint, number, string][] = [
    [63108020n, 21000000, "1972-01-01T10:00:20.021Z"],
    [63108020n, 0, "1972-01-01T10:00:20Z"],
    [63108020n, 21000, "1972-01-01T10:00:20.000021Z"],
    [63108020n, 21, "1972-01-01T10:00:20.000000021Z"],
    [63108020n, 100000000, "1972-01-01T10:00:20.100Z"],
    [63108020n, 123456780, "1972-01-01T10:00:20.123456780Z"],
    [0n, 0, "1970-01-01T00:00:00Z"],
    [-1n, 500000000, "1969-12-31T23:59:59.500Z"],
    [MIN_SECONDS, 0, "0001-01-01T00:00:00Z"],
    [MAX_SECONDS, 999999999, "9999-12-31T23:59:59.999999999Z"],
  ];
  for (const [seconds, nanos, json] of cases) {
    t.is(Timestamp.toJson({ seconds, nanos }), json, `${seconds}s ${nanos}ns`);
    parses(t, Timestamp, json, { seconds, nanos });
  }
});

test("Timestamp from JSON: offsets, 1 to 9 fractional digits", (t) => {
  const at = { seconds: 63108020n, nanos: 21000000 };
  parses(t, Timestamp, "1972-01-01T11:00:20.021+01:00", at);
  parses(t, Timestamp, "1972-01-01T05:30:20.021-04:30", at);
  parses(t, Timestamp, "1972-01-02T00:00:20.021+14:00", at, "an offset across midnight");
  parses(t, Timestamp, "1972-01-01T10:00:20.5Z", { seconds: 63108020n, nanos: 500000000 });
  parses(t, Timestamp, "1972-01-01T10:00:20.12345678Z", { seconds: 63108020n, nanos: 123456780 });
  parses(t, Timestamp, "0001-01-01T00:00:00Z", { seconds: MIN_SECONDS, nanos: 0 }, "the earliest, year 1");
  parses(t, Timestamp, "0099-12-31T23:59:59Z", { seconds: -59011459201n, nanos: 0 }, "year 99");
  parses(t, Timestamp, "0100-01-01T00:00:00Z", { seconds: -59011459200n, nanos: 0 }, "year 100");
  t.deepEqual(WellKnown.fromJson({ wTimestamp: "1972-01-01T10:00:20.021Z" }).wTimestamp, at);
});

test("Timestamp: out of range or malformed is an error", (t) => {
  const where = /google\.protobuf\.Timestamp/;
  rejects(t, () => Timestamp.toJson({ seconds: MAX_SECONDS + 1n, nanos: 0 }), where, "after 9999");
  rejects(t, () => Timestamp.toJson({ seconds: MIN_SECONDS - 1n, nanos: 0 }), where, "before year 1");
  rejects(t, () => Timestamp.toJson({ seconds: 0n, nanos: -1 }), where, "negative nanos");
  rejects(t, () => Timestamp.toJson({ seconds: 0n, nanos: 1e9 }), where, "nanos of a whole second");
  for (const json of [
    "9999-12-31T23:59:59-01:00", // past the end once the offset is applied
    "0001-01-01T00:00:00+01:00", // before the start
    "10000-01-01T00:00:00Z",
    "1972-01-01T10:00:20", // no offset
    "1972-01-01T10:00:20.1234567891Z", // ten digits
    "1972-01-01T10:00:20.Z",
    "1972-1-01T10:00:20Z",
    "2021-13-01T00:00:00Z", // month 13
    "2021-02-30T00:00:00Z", // no February 30th
    "2021-04-31T00:00:00Z",
    "2021-01-01T24:00:00Z",
    "2021-01-01T23:60:00Z",
    "2021-01-01T00:00:00+25:00",
  ]) {
    rejects(t, () => Timestamp.fromJson(json), where, JSON.stringify(json));
  }
  rejects(t, () => Timestamp.fromJson(0), where, "a number");
  rejects(t, () => WellKnown.fromJson({ wTimestamp: "yesterday" }), where, "as a field");
});

test("Duration → seconds with 0, 3, 6 or 9 fractional digits and an s", (t) => {
  const cases: [bigint, number, string][] = [
    [1n, 340012, "1.000340012s"],
    [-3n, 0, "-3s"],
    [0n, 500000000, "0.500s"],
    [0n, -500000000, "-0.500s"],
    [-1n, -500000000, "-1.500s"],
    [0n, 0, "0s"],
    [5n, 10000, "5.000010s"],
    [315576000000n, 999999999, "315576000000.999999999s"],
    [-315576000000n, -999999999, "-315576000000.999999999s"],
  ];
  for (const [seconds, nanos, json] of cases) {
    t.is(Duration.toJson({ seconds, nanos }), json, `${seconds}s ${nanos}ns`);
    parses(t, Duration, json, { seconds, nanos });
  }
  t.deepEqual(Duration.fromJson("0.5s"), { seconds: 0n, nanos: 500000000 });
  t.deepEqual(Duration.fromJson("-0.5s"), { seconds: 0n, nanos: -500000000 });
  t.deepEqual(Duration.fromJson("1.000340012s"), { seconds: 1n, nanos: 340012 });
});

test("Duration: out of range, mixed signs, or malformed is an error", (t) => {
  const where = /google\.protobuf\.Duration/;
  rejects(t, () => Duration.toJson({ seconds: 315576000001n, nanos: 0 }), where, "too long");
  rejects(t, () => Duration.toJson({ seconds: 1n, nanos: -1 }), where, "positive seconds, negative nanos");
  rejects(t, () => Duration.toJson({ seconds: -1n, nanos: 1 }), where, "negative seconds, positive nanos");
  for (const json of ["1", "1.5", "s", "-s", "1.0000000001s", "315576000001s", "-315576000001s", "1e3s", " 1s"]) {
    rejects(t, () => Duration.fromJson(json), where, JSON.stringify(json));
  }
  rejects(t, () => Duration.fromJson(1), where, "a number");
});

test("wrappers are their bare values; 64-bit ones strings; null leaves the field unset", (t) => {
  const m = WellKnown.create({
    wInt32: { value: -5 }, wInt64: { value: -9223372036854775808n }, wUint64: { value: 18446744073709551615n },
    wUint32: { value: 4294967295 }, wString: { value: "" }, wBool: { value: false },
    wBytes: { value: new Uint8Array([1, 2, 3, 250]) }, wDouble: { value: -Infinity }, wFloat: { value: 1.5 },
  });
  const json = {
    wInt32: -5, wInt64: "-9223372036854775808", wString: "", wBool: false, wBytes: "AQID+g==",
    wDouble: "-Infinity", wFloat: 1.5, wUint32: 4294967295, wUint64: "18446744073709551615",
  };
  t.deepEqual(WellKnown.toJson(m), json, "a wrapper holding its default is still written");
  t.deepEqual(WellKnown.fromJson(json), m);
  t.deepEqual(WellKnown.fromJson({ wInt64: 12, wUint64: "12", w_int32: "7" }),
    WellKnown.create({ wInt64: { value: 12n }, wUint64: { value: 12n }, wInt32: { value: 7 } }));
  t.deepEqual(WellKnown.fromJson({ wInt32: null, wString: null, wBool: null }), WellKnown.create());
  t.is(Int64Value.toJson({ value: 1n }), "1");
  rejects(t, () => WellKnown.fromJson({ wInt32: "x" }), /google\.protobuf\.Int32Value/, "a bad wrapped value");
});

test("Struct, Value and ListValue are plain JSON, null included", (t) => {
  const struct = { a: 1.5, b: [true, null, "x", { c: {} }, []], d: null, e: "" };
  const m = WellKnown.fromJson({ wStruct: struct, wValue: null, wList: [1, "a", null, [], {}] });
  t.deepEqual(m.wValue, { kind: { case: "nullValue", value: 0 } }, "null in a Value field is NULL_VALUE, not unset");
  t.deepEqual(m.wStruct.fields.d, { kind: { case: "nullValue", value: 0 } });
  t.deepEqual(m.wStruct.fields.b.kind.value.values[3], {
    kind: { case: "structValue", value: { fields: { c: { kind: { case: "structValue", value: { fields: {} } } } } } },
  });
  t.deepEqual(WellKnown.toJson(m), { wStruct: struct, wValue: null, wList: [1, "a", null, [], {}] });
  t.deepEqual(WellKnown.toJson(WellKnown.decode(WellKnown.encode(m))), WellKnown.toJson(m), "through binary");
  for (const v of ["s", 0, -0.5, false, { x: [1] }, [null]]) t.deepEqual(Value.toJson(Value.fromJson(v)), v);
  t.deepEqual(Struct.fromJson({}), { fields: {} });
  rejects(t, () => Struct.fromJson([]), /google\.protobuf\.Struct/, "an array as Struct");
  rejects(t, () => Value.toJson({ kind: { case: "numberValue", value: NaN } }), /google\.protobuf\.Value/, "NaN");
  rejects(t, () => Value.toJson({ kind: { case: undefined } }), /google\.protobuf\.Value/, "no kind");
});

test("Empty is {} and FieldMask a comma-separated string of lowerCamelCase paths", (t) => {
  t.deepEqual(WellKnown.toJson(WellKnown.create({ wEmpty: {} })), { wEmpty: {} });
  t.deepEqual(WellKnown.fromJson({ wEmpty: {} }), WellKnown.create({ wEmpty: {} }));
  const mask = { paths: ["foo_bar", "baz", "a.b_c"] };
  t.is(FieldMask.toJson(mask), "fooBar,baz,a.bC");
  t.deepEqual(FieldMask.fromJson("fooBar,baz,a.bC"), mask);
  t.deepEqual(WellKnown.toJson(WellKnown.create({ wMask: mask })), { wMask: "fooBar,baz,a.bC" });
  t.is(FieldMask.toJson({ paths: [] }), "");
  t.deepEqual(FieldMask.fromJson(""), { paths: [] });
  rejects(t, () => FieldMask.toJson({ paths: ["fooBar"] }), /google\.protobuf\.FieldMask/, "not snake_case");
  rejects(t, () => FieldMask.fromJson(["a"]), /google\.protobuf\.FieldMask/, "an array");
});

test("Any: its message's fields plus @type, or @type and value for a well-known type", (t) => {
  const registry = createRegistry(Scalars, Duration, Timestamp, Struct, Int64Value, Any);
  const scalars = Scalars.create({ fInt32: 1, fString: "x", fColor: Color.COLOR_BLUE, fInt64: 5n });
  const url = "type.googleapis.com/conformance.Scalars";
  const any = { typeUrl: url, value: Scalars.encode(scalars) };
  const json = { "@type": url, fInt32: 1, fInt64: "5", fString: "x", fColor: "COLOR_BLUE" };
  t.deepEqual(Any.toJson(any, { registry }), json);
  t.deepEqual(Any.fromJson(json, { registry }), any);
  t.deepEqual(WellKnown.toJson(WellKnown.create({ wAny: any }), { registry }), { wAny: json }, "as a field");
  const wrapped: [any, unknown, unknown][] = [
    [Duration, { seconds: 1n, nanos: 0 }, "1s"],
    [Timestamp, { seconds: 63108020n, nanos: 21000000 }, "1972-01-01T10:00:20.021Z"],
    [Int64Value, { value: 5n }, "5"],
    [Struct, { fields: { a: { kind: { case: "boolValue", value: true } } } }, { a: true }],
  ];
  for (const [type, message, value] of wrapped) {
    const inner = { typeUrl: `type.googleapis.com/${type.typeName}`, value: type.encode(message) };
    const expected = { "@type": inner.typeUrl, value };
    t.deepEqual(Any.toJson(inner, { registry }), expected, type.typeName);
    t.deepEqual(Any.fromJson(expected, { registry }), inner, type.typeName);
  }
  const duration = { typeUrl: "type.googleapis.com/google.protobuf.Duration", value: Duration.encode({ seconds: 1n, nanos: 0 }) };
  const nested = { typeUrl: "type.googleapis.com/google.protobuf.Any", value: Any.encode(duration) };
  t.deepEqual(Any.toJson(nested, { registry }), {
    "@type": "type.googleapis.com/google.protobuf.Any",
    value: { "@type": "type.googleapis.com/google.protobuf.Duration", value: "1s" },
  });
  t.deepEqual(Any.toJson({ typeUrl: "", value: new Uint8Array(0) }), {}, "an empty Any");
});

test("Any: a type the registry lacks, or no registry, is a clear error", (t) => {
  const url = "type.googleapis.com/conformance.Scalars";
  const any = { typeUrl: url, value: Scalars.encode(Scalars.create({ fInt32: 1 })) };
  const unknown = /google\.protobuf\.Any.*"type\.googleapis\.com\/conformance\.Scalars".*registry/;
  rejects(t, () => Any.toJson(any), unknown, "toJson without a registry");
  rejects(t, () => Any.fromJson({ "@type": url, fInt32: 1 }), unknown, "fromJson without a registry");
  rejects(t, () => Any.toJson(any, { registry: createRegistry(Duration) }), unknown, "not in the registry");
  rejects(t, () => WellKnown.toJson(WellKnown.create({ wAny: any })), unknown, "as a field, no registry");
  rejects(t, () => Any.fromJson({ fInt32: 1 }, { registry: createRegistry(Scalars) }), /"@type"/, "no @type");
  rejects(t, () => Any.fromJson({ "@type": url, nope: 1 }, { registry: createRegistry(Scalars) }),
    /conformance\.Scalars.*unknown field "nope"/, "an unknown field inside");
});
