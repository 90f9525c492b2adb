/**
 * Repeated fields and maps in proto3 JSON. Generated code calls one of these
 * per field instead of spelling out a loop, which keeps generated lines
 * short and the conversion rules in one place.
 */
import {
  type EnumObject,
  type JsonObject,
  type JsonOptions,
  type JsonValue,
  type Where,
  enumFromJson,
  enumToJson,
  expectArray,
  expectObject,
  setEntry,
} from "./json.js";

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

export function enumsFromJson(e: EnumObject, json: unknown, where: Where, key: string): number[] {
  return expectArray(json, where, key).map((v) => enumFromJson(e, v, where, key));
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

/** Reads a JSON object as a map, checking each key (as its key type) and value. */
export function mapFromJson<V>(
  json: unknown,
  where: Where,
  key: string,
  readKey: ScalarFromJson<string | number>,
  readValue: ScalarFromJson<V>,
): { [key: string]: V } {
  const obj = expectObject(json, where, key);
  const out: { [key: string]: V } = {};
  for (const k of Object.keys(obj)) setEntry(out, readKey(k, where, key), readValue(obj[k], where, key));
  return out;
}

export function enumMapFromJson(
  e: EnumObject,
  json: unknown,
  where: Where,
  key: string,
  readKey: ScalarFromJson<string | number>,
): { [key: string]: number } {
  return mapFromJson(json, where, key, readKey, (v) => enumFromJson(e, v, where, key));
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
