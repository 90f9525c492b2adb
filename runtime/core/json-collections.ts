/**
 * Repeated fields and maps in proto3 JSON. Generated code calls one of these
 * per field instead of spelling out a loop, which keeps generated lines
 * short and the conversion rules in one place.
 */
import { type JsonObject, type JsonOptions, type JsonValue, type Where, expectArray, expectObject, jsonError, setEntry } from "./json.js";
import { type EnumObject, enumFromJson, enumToJson, nullValueFromJson } from "./json-scalars.js";

/** Reads one JSON value as a scalar: the runtime's `xFromJson` functions. */
export type ScalarFromJson<T> = (json: unknown, where: Where, key?: string) => T;

interface JsonCodec<T> {
  readonly typeName: string;
  toJson(message: T, options?: JsonOptions): JsonValue;
  fromJson(json: unknown, options?: JsonOptions): T;
}

export function scalarsFromJson<T>(json: unknown, where: Where, key: string, read: ScalarFromJson<T>): T[] {
  return expectArray(json, where, key).map((e) => read(e, where, key));
}

/**
 * Repeated enums; with `options` whose `ignoreUnknownFields` is set, an
 * element with an unknown name is dropped (["FOO", "NOPE", "FOO"] → [FOO, FOO]).
 */
export function enumsFromJson(e: EnumObject, json: unknown, where: Where, key: string, options?: JsonOptions): number[] {
  const out: number[] = [];
  for (const v of expectArray(json, where, key)) {
    const n = enumFromJson(e, v, where, key, options);
    if (n !== undefined) out.push(n);
  }
  return out;
}

/** Repeated `google.protobuf.NullValue`: elements may be null (NULL_VALUE), unlike any other repeated field. */
export function nullValuesFromJson(json: unknown, where: Where, key: string, options?: JsonOptions): number[] {
  const out: number[] = [];
  for (const v of expectArray(json, where, key)) {
    const n = nullValueFromJson(v, where, key, options);
    if (n !== undefined) out.push(n);
  }
  return out;
}

export function nullValuesToJson(values: number[]): null[] {
  return values.map(() => null);
}

export function enumsToJson(e: EnumObject, values: number[]): JsonValue[] {
  return values.map((v) => enumToJson(e, v));
}

export function messagesFromJson<T>(type: JsonCodec<T>, json: unknown, o: JsonOptions | undefined): T[] {
  return expectArray(json, type).map((e) => type.fromJson(e, o));
}

export function messagesToJson<T>(type: JsonCodec<T>, values: T[], o: JsonOptions | undefined): JsonValue[] {
  return values.map((v) => type.toJson(v, o));
}

/** A map with scalar values; `toJson` converts each value (identity when omitted). */
export function mapToJson<V>(map: { [key: string]: V }, toJson?: (value: V) => JsonValue): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(map)) setEntry(out, k, toJson ? toJson(map[k]) : (map[k] as JsonValue));
  return out;
}

export function nullValueMapToJson(map: { [key: string]: number }): JsonObject {
  return mapToJson(map, () => null);
}

export function enumMapToJson(e: EnumObject, map: { [key: string]: number }): JsonObject {
  return mapToJson(map, (v) => enumToJson(e, v));
}

export function messageMapToJson<T>(
  type: JsonCodec<T>,
  map: { [key: string]: T },
  o: JsonOptions | undefined,
): JsonObject {
  return mapToJson(map, (v) => type.toJson(v, o));
}

/**
 * Reads a JSON object as a map, checking each key (as its key type) and
 * value. A value `readValue` returns as undefined is dropped (an unknown enum
 * name under `ignoreUnknownFields`). Two keys naming one entry ("1" and "01"
 * in a map<int32, …>) are an error, not a silent overwrite.
 */
export function mapFromJson<V>(
  json: unknown,
  where: Where,
  key: string,
  readKey: ScalarFromJson<string | number>,
  readValue: (json: unknown, where: Where, key?: string) => V | undefined,
): { [key: string]: V } {
  const obj = expectObject(json, where, key);
  const out: { [key: string]: V } = {};
  let normalized = false;
  const keys = Object.keys(obj);
  for (const k of keys) {
    const entryKey = readKey(k, where, key);
    if (String(entryKey) !== k) {
      if (Object.prototype.hasOwnProperty.call(out, entryKey)) throw duplicateKey(where, key, k, entryKey);
      normalized = true;
    }
    const value = readValue(obj[k], where, key);
    if (value !== undefined) setEntry(out, entryKey, value);
  }
  // A normalized key written before the plain one it equals ("01", then "1") slipped past the check above.
  if (normalized && Object.keys(out).length < keys.length) {
    const seen = new Set<string>();
    for (const k of keys) {
      const entryKey = readKey(k, where, key);
      if (seen.has(String(entryKey))) throw duplicateKey(where, key, k, entryKey);
      seen.add(String(entryKey));
    }
  }
  return out;
}

function duplicateKey(where: Where, key: string, jsonKey: string, entryKey: string | number) {
  return jsonError(where, `map key ${JSON.stringify(jsonKey)} repeats the key ${JSON.stringify(String(entryKey))}`, key);
}

/** A map of enums; with `options` whose `ignoreUnknownFields` is set, an entry with an unknown name is dropped. */
export function enumMapFromJson(
  e: EnumObject,
  json: unknown,
  where: Where,
  key: string,
  readKey: ScalarFromJson<string | number>,
  options?: JsonOptions,
): { [key: string]: number } {
  return mapFromJson(json, where, key, readKey, (v) => enumFromJson(e, v, where, key, options));
}

/** A map of `google.protobuf.NullValue`: values may be null (NULL_VALUE). */
export function nullValueMapFromJson(
  json: unknown,
  where: Where,
  key: string,
  readKey: ScalarFromJson<string | number>,
  options?: JsonOptions,
): { [key: string]: number } {
  return mapFromJson(json, where, key, readKey, (v) => nullValueFromJson(v, where, key, options));
}

export function messageMapFromJson<T>(
  type: JsonCodec<T>,
  json: unknown,
  o: JsonOptions | undefined,
  where: Where,
  key: string,
  readKey: ScalarFromJson<string | number>,
): { [key: string]: T } {
  return mapFromJson(json, where, key, readKey, (v) => type.fromJson(v, o));
}
