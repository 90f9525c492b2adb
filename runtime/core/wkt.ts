/**
 * The proto3 JSON forms of Google's well-known types. Generated
 * `google/protobuf/*_pb.ts` modules call these; the shapes below are the
 * generated interfaces, repeated structurally so runtime imports no
 * generated code.
 */
import {
  enterJson,
  expectArray,
  expectObject,
  isJsonObject,
  isWellFormed,
  leaveJson,
  jsonError,
  setEntry,
  type JsonObject,
  type JsonOptions,
  type JsonValue,
} from "./json.js";

interface SecondsNanos {
  seconds: bigint;
  nanos: number;
}

const MIN_SECONDS = -62135596800n; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z

function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const digits = String(Math.abs(nanos)).padStart(9, "0");
  // 3, 6 or 9 digits, as the proto3 JSON spec asks.
  if (digits.endsWith("000000")) return "." + digits.slice(0, 3);
  if (digits.endsWith("000")) return "." + digits.slice(0, 6);
  return "." + digits;
}

export function timestampToJson(t: SecondsNanos): string {
  if (t.seconds < MIN_SECONDS || t.seconds > MAX_SECONDS || t.nanos < 0 || t.nanos > 999999999) {
    throw jsonError("google.protobuf.Timestamp", `seconds ${t.seconds} nanos ${t.nanos} is out of range`);
  }
  const iso = new Date(Number(t.seconds) * 1000).toISOString(); // 1970-01-01T00:00:00.000Z
  return iso.slice(0, 19) + fraction(t.nanos) + "Z";
}

/**
 * RFC 3339 as the proto3 JSON spec narrows it: an upper-case "T" and "Z"
 * (C++ and the conformance suite refuse "t" and "z"), 1 to 9 fractional
 * digits, and "Z" or a "+hh:mm"/"-hh:mm" offset.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

export function timestampFromJson(json: unknown): SecondsNanos {
  const m = typeof json === "string" ? TIMESTAMP.exec(json) : null;
  if (!m) throw jsonError("google.protobuf.Timestamp", `expected an RFC 3339 string, got ${JSON.stringify(json)}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, leaves years 0-99 alone.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    (!m[8] || (+m[9] < 24 && +m[10] < 60));
  if (!valid) throw jsonError("google.protobuf.Timestamp", `${json} is not a valid date and time`);
  const offset = m[8] ? (m[8] === "-" ? -1 : 1) * (+m[9] * 60 + +m[10]) * 60 : 0;
  const seconds = BigInt(date.getTime() / 1000 - offset);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw jsonError("google.protobuf.Timestamp", `${json} is out of range`);
  }
  return { seconds, nanos: m[7] ? Number(m[7].padEnd(9, "0")) : 0 };
}

export function durationToJson(d: SecondsNanos): string {
  if (d.seconds < -315576000000n || d.seconds > 315576000000n || d.nanos < -999999999 || d.nanos > 999999999) {
    throw jsonError("google.protobuf.Duration", `seconds ${d.seconds} nanos ${d.nanos} is out of range`);
  }
  if ((d.seconds > 0n && d.nanos < 0) || (d.seconds < 0n && d.nanos > 0)) {
    throw jsonError("google.protobuf.Duration", `seconds ${d.seconds} and nanos ${d.nanos} have different signs`);
  }
  const negative = d.seconds < 0n || d.nanos < 0;
  const seconds = d.seconds < 0n ? -d.seconds : d.seconds;
  return (negative ? "-" : "") + seconds.toString() + fraction(d.nanos) + "s";
}

export function durationFromJson(json: unknown): SecondsNanos {
  const m = typeof json === "string" ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (!m) throw jsonError("google.protobuf.Duration", `expected a string like "1.5s", got ${JSON.stringify(json)}`);
  const seconds = BigInt(m[2]);
  if (seconds > 315576000000n) throw jsonError("google.protobuf.Duration", `${json} is out of range`);
  const nanos = m[3] ? Number(m[3].padEnd(9, "0")) : 0;
  return m[1] ? { seconds: -seconds, nanos: nanos === 0 ? 0 : -nanos } : { seconds, nanos };
}

/**
 * A path has a JSON form only if lowerCamelCase takes it there and back:
 * lower-case letters, digits and dots, with each "_" before a lower-case
 * letter ("foo_bar" → "fooBar"). "fooBar", "foo__bar", "foo_3_bar" and
 * "foo_" would come back as other paths, so they are errors.
 */
const MASK_PATH = /^(?:[a-z0-9.]|_[a-z])*$/;

export function fieldMaskToJson(mask: { paths: string[] }): string {
  return mask.paths
    .map((path) => {
      if (!MASK_PATH.test(path)) {
        throw jsonError(
          "google.protobuf.FieldMask",
          `path ${JSON.stringify(path)} has no JSON form: it does not round-trip through lowerCamelCase`,
        );
      }
      return path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    })
    .join(",");
}

/** Comma-separated lowerCamelCase paths: letters, digits and dots only ("foo_bar" is an error, not a path). */
export function fieldMaskFromJson(json: unknown): { paths: string[] } {
  if (typeof json !== "string") throw jsonError("google.protobuf.FieldMask", "expected a string");
  if (json === "") return { paths: [] };
  return {
    paths: json.split(",").map((p) => {
      if (!/^[a-zA-Z0-9.]*$/.test(p)) {
        throw jsonError(
          "google.protobuf.FieldMask",
          `path ${JSON.stringify(p)} is not lowerCamelCase: only letters, digits and "." may appear`,
        );
      }
      return p.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
    }),
  };
}

// google.protobuf.Value and friends, as generated.
export type ProtoValue = {
  kind:
    | { case: "nullValue"; value: number }
    | { case: "numberValue"; value: number }
    | { case: "stringValue"; value: string }
    | { case: "boolValue"; value: boolean }
    | { case: "structValue"; value: ProtoStruct }
    | { case: "listValue"; value: ProtoListValue }
    | { case: undefined; value?: undefined };
};
export type ProtoStruct = { fields: { [key: string]: ProtoValue } };
export type ProtoListValue = { values: ProtoValue[] };

export function valueToJson(v: ProtoValue): JsonValue {
  const k = v.kind;
  switch (k.case) {
    case "nullValue":
      return null;
    case "numberValue":
      if (!Number.isFinite(k.value)) throw jsonError("google.protobuf.Value", `${k.value} has no JSON form`);
      return k.value;
    case "stringValue":
    case "boolValue":
      return k.value;
    case "structValue":
      return structToJson(k.value);
    case "listValue":
      return listValueToJson(k.value);
    default:
      throw jsonError("google.protobuf.Value", "no kind is set");
  }
}

export function valueFromJson(json: unknown, options?: JsonOptions): ProtoValue {
  if (json === null) return { kind: { case: "nullValue", value: 0 } };
  switch (typeof json) {
    case "number":
      if (!Number.isFinite(json)) throw jsonError("google.protobuf.Value", `${json} is not a JSON number (out of range)`);
      return { kind: { case: "numberValue", value: json } };
    case "bigint": {
      // parseJsonText hands over an integer a number could not hold exactly; a Value holds a double.
      const n = Number(json);
      if (!Number.isFinite(n)) throw jsonError("google.protobuf.Value", `${json} is out of range for a double`);
      return { kind: { case: "numberValue", value: n } };
    }
    case "string":
      if (!isWellFormed(json)) throw jsonError("google.protobuf.Value", `${JSON.stringify(json)} has a lone surrogate`);
      return { kind: { case: "stringValue", value: json } };
    case "boolean":
      return { kind: { case: "boolValue", value: json } };
    case "object":
      return Array.isArray(json)
        ? { kind: { case: "listValue", value: listValueFromJson(json, options) } }
        : { kind: { case: "structValue", value: structFromJson(json, options) } };
    default:
      throw jsonError("google.protobuf.Value", `${typeof json} is not JSON`);
  }
}

export function structToJson(s: ProtoStruct): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(s.fields)) setEntry(out, key, valueToJson(s.fields[key]));
  return out;
}

export function structFromJson(json: unknown, options?: JsonOptions): ProtoStruct {
  const context = enterJson(options, "google.protobuf.Struct");
  const obj = expectObject(json, "google.protobuf.Struct");
  const fields: { [key: string]: ProtoValue } = {};
  for (const key of Object.keys(obj)) {
    if (!isWellFormed(key)) throw jsonError("google.protobuf.Struct", `key ${JSON.stringify(key)} has a lone surrogate`);
    setEntry(fields, key, valueFromJson(obj[key], context));
  }
  leaveJson(context);
  return { fields };
}

export function listValueToJson(l: ProtoListValue): JsonValue[] {
  return l.values.map(valueToJson);
}

export function listValueFromJson(json: unknown, options?: JsonOptions): ProtoListValue {
  const context = enterJson(options, "google.protobuf.ListValue");
  const values = expectArray(json, "google.protobuf.ListValue").map((v) => valueFromJson(v, context));
  leaveJson(context);
  return { values };
}

// Types whose JSON is not an object sit under "value" inside an Any.
const NOT_OBJECT_JSON = new Set(
  ["Duration", "Timestamp", "FieldMask", "Value", "ListValue", "Struct", "Any"]
    .concat(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value"])
    .concat(["BoolValue", "StringValue", "BytesValue"])
    .map((n) => "google.protobuf." + n),
);

/** The type a type URL names: its last "/"-separated segment, looked up in the options' registry. */
function anyType(typeUrl: string, options: JsonOptions | undefined) {
  const slash = typeUrl.lastIndexOf("/");
  if (slash < 0 || slash === typeUrl.length - 1) {
    throw jsonError("google.protobuf.Any", `${JSON.stringify(typeUrl)} is not a type URL (like "type.googleapis.com/pkg.Message")`);
  }
  const type = options?.registry?.find(typeUrl.slice(slash + 1));
  if (!type) {
    throw jsonError("google.protobuf.Any", `type ${JSON.stringify(typeUrl)} is not in the JSON options' registry`);
  }
  return type;
}

export function anyToJson(any: { typeUrl: string; value: Uint8Array }, options?: JsonOptions): JsonObject {
  if (any.typeUrl === "") {
    if (any.value.length > 0) throw jsonError("google.protobuf.Any", "a value without a type URL has no JSON form");
    return {};
  }
  const type = anyType(any.typeUrl, options);
  const json = type.toJson(type.decode(any.value), options);
  if (NOT_OBJECT_JSON.has(type.typeName)) return { "@type": any.typeUrl, value: json };
  return { "@type": any.typeUrl, ...(json as JsonObject) };
}

/**
 * `{"@type": url, …fields}`, or `{"@type": url, "value": json}` for a
 * well-known type with a JSON form of its own; there, any other key is an
 * error, a missing "value" is the type's default, and "value": null too
 * (except for Value, where null is NULL_VALUE), as C++ reads it.
 */
export function anyFromJson(json: unknown, options?: JsonOptions): { typeUrl: string; value: Uint8Array } {
  if (!isJsonObject(json)) throw jsonError("google.protobuf.Any", "expected an object");
  const typeUrl = json["@type"];
  if (typeUrl === undefined && Object.keys(json).length === 0) return { typeUrl: "", value: new Uint8Array(0) };
  if (typeof typeUrl !== "string") throw jsonError("google.protobuf.Any", `"@type" must be a string`);
  const type = anyType(typeUrl, options);
  const context = enterJson(options, "google.protobuf.Any");
  let message: unknown;
  if (NOT_OBJECT_JSON.has(type.typeName)) {
    for (const key of Object.keys(json)) {
      if (key !== "@type" && key !== "value") {
        throw jsonError("google.protobuf.Any", `${JSON.stringify(key)} is neither "@type" nor "value", for ${type.typeName}`);
      }
    }
    const inner = json.value;
    message =
      inner === undefined || (inner === null && type.typeName !== "google.protobuf.Value")
        ? type.create()
        : type.fromJson(inner, context);
  } else {
    const { "@type": _, ...rest } = json;
    message = type.fromJson(rest, context);
  }
  leaveJson(context);
  return { typeUrl, value: type.encode(message) };
}
