/**
 * Proto3 JSON mapping of scalar values (numbers, 64-bit integers as strings,
 * bools, strings, map keys, base64 bytes, enums), shared by every generated
 * `toJson`/`fromJson`. Each reader takes where the value sits, so an error
 * names the field.
 */
import { type JsonOptions, type Where, describe, isWellFormed, jsonError } from "./json.js";

/** A JSON number, as RFC 8259 spells one: what a number in a JSON string must look like too. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const JSON_INTEGER = /^-?(?:0|[1-9]\d*)$/;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The exact integer a JSON number's text denotes ("1.5e1" is 15), undefined
 * when it has a fractional part, or "huge" when it has more than 400 digits
 * (out of range for every integer type; not worth building).
 */
function decimalToBigInt(text: string): bigint | undefined | "huge" {
  const m = DECIMAL.exec(text)!;
  const fraction = m[3] ?? "";
  let digits = (m[2] + fraction).replace(/^0+/, "");
  if (digits === "") return 0n;
  let exponent = (m[4] === undefined ? 0 : Number(m[4])) - fraction.length;
  if (exponent < 0) {
    const cut = digits.length + exponent;
    if (cut <= 0 || /[^0]/.test(digits.slice(cut))) return undefined;
    digits = digits.slice(0, cut);
    exponent = 0;
  }
  if (digits.length + exponent > 400) return "huge";
  return BigInt(m[1] + digits + "0".repeat(exponent));
}


export function floatToJson(n: number): number | string {
  if (Number.isFinite(n)) return n;
  return Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
}

export function floatFromJson(json: unknown, where: Where, key?: string): number {
  return numberFromJson(json, where, key, false);
}

export function float32FromJson(json: unknown, where: Where, key?: string): number {
  return numberFromJson(json, where, key, true);
}

/**
 * A double or float: a JSON number, a string holding one (exponent
 * notation included, no spaces), or "NaN", "Infinity", "-Infinity". A
 * number past the type's range is an error, not Infinity: JSON.parse reads
 * 1.89769e+308 as Infinity, which is why an infinite number is refused too.
 */
function numberFromJson(json: unknown, where: Where, key: string | undefined, float32: boolean): number {
  let n: number;
  if (typeof json === "number") {
    if (Number.isNaN(json)) throw jsonError(where, `expected a number, got NaN (write the string "NaN")`, key);
    n = json;
  } else if (typeof json === "string") {
    if (json === "NaN") return NaN;
    if (json === "Infinity") return Infinity;
    if (json === "-Infinity") return -Infinity;
    if (!JSON_NUMBER.test(json)) throw jsonError(where, `expected a number, got ${describe(json)}`, key);
    n = Number(json);
  } else if (typeof json === "bigint") {
    n = Number(json);
  } else {
    throw jsonError(where, `expected a number, got ${describe(json)}`, key);
  }
  const type = float32 ? "float" : "double";
  if (!Number.isFinite(n)) {
    const what = typeof json === "number" ? "a number (JSON.parse made it Infinity)" : describe(json);
    throw jsonError(where, `${what} is out of range for ${type}`, key);
  }
  // Out of range is what rounds to infinity: 3.4028235e38, FLT_MAX as C++ prints it, is in.
  if (float32) {
    const f = Math.fround(n);
    if (!Number.isFinite(f)) throw jsonError(where, `${describe(json)} is out of range for float`, key);
    return f;
  }
  return n;
}

/**
 * A 32-bit integer: a JSON number or a string holding one, in exponent
 * notation too ("1e5", "1.5e1"), as long as its value is whole. The check is
 * exact: "1.0000000000000001" is not whole, though Number() rounds it to 1.
 */
function int32RangeFromJson(json: unknown, where: Where, key: string | undefined, min: number, max: number, type: string): number {
  let n: number;
  if (typeof json === "number") {
    if (!Number.isInteger(json)) {
      if (Number.isFinite(json) || Number.isNaN(json)) throw jsonError(where, `expected an integer, got ${describe(json)}`, key);
      throw jsonError(where, `a number (JSON.parse made it ${json}) is out of range for ${type}`, key);
    }
    n = json;
  } else if (typeof json === "string" && JSON_INTEGER.test(json) && json.length <= 11) {
    n = Number(json);
  } else if (typeof json === "string" && JSON_NUMBER.test(json)) {
    const exact = decimalToBigInt(json);
    if (exact === undefined) throw jsonError(where, `expected an integer, got ${describe(json)}`, key);
    if (exact === "huge") throw jsonError(where, `${describe(json)} is out of range for ${type}`, key);
    if (exact < BigInt(min) || exact > BigInt(max)) throw jsonError(where, `${exact} is out of range for ${type}`, key);
    n = Number(exact);
  } else if (typeof json === "bigint") {
    if (json < BigInt(min) || json > BigInt(max)) throw jsonError(where, `${json} is out of range for ${type}`, key);
    n = Number(json);
  } else {
    throw jsonError(where, `expected an integer, got ${describe(json)}`, key);
  }
  if (n < min || n > max) throw jsonError(where, `${n} is out of range for ${type}`, key);
  return n === 0 ? 0 : n; // no -0
}

export function int32FromJson(json: unknown, where: Where, key?: string): number {
  return int32RangeFromJson(json, where, key, -2147483648, 2147483647, "int32");
}

export function uint32FromJson(json: unknown, where: Where, key?: string): number {
  return int32RangeFromJson(json, where, key, 0, 4294967295, "uint32");
}

/**
 * A 64-bit integer: a JSON number or a string holding one. Any whole double
 * is taken exactly, as the conformance suite's 9223372036854774784 and
 * 18446744073709549568 (the largest doubles below 2^63 and 2^64); a number
 * JSON.parse had to round is beyond saving here, which is what
 * `parseJsonText` is for: it hands such an integer over as a bigint.
 */
function bigintFromJson(json: unknown, where: Where, key: string | undefined, type: string): bigint {
  if (typeof json === "number") {
    if (Number.isInteger(json)) return BigInt(json);
    if (Number.isFinite(json) || Number.isNaN(json)) throw jsonError(where, `expected an integer, got ${json}`, key);
    throw jsonError(where, `a number (JSON.parse made it ${json}) is out of range for ${type}`, key);
  }
  if (typeof json === "bigint") return json;
  if (typeof json === "string" && JSON_INTEGER.test(json)) return BigInt(json);
  if (typeof json === "string" && JSON_NUMBER.test(json)) {
    const exact = decimalToBigInt(json);
    if (exact === undefined) throw jsonError(where, `expected an integer, got ${describe(json)}`, key);
    if (exact === "huge") throw jsonError(where, `${describe(json)} is out of range for ${type}`, key);
    return exact;
  }
  throw jsonError(where, `expected an integer or a decimal string, got ${describe(json)}`, key);
}

export function int64FromJson(json: unknown, where: Where, key?: string): bigint {
  const n = bigintFromJson(json, where, key, "int64");
  if (n !== BigInt.asIntN(64, n)) throw jsonError(where, `${n} is out of range for int64`, key);
  return n;
}

export function uint64FromJson(json: unknown, where: Where, key?: string): bigint {
  const n = bigintFromJson(json, where, key, "uint64");
  if (n !== BigInt.asUintN(64, n)) throw jsonError(where, `${n} is out of range for uint64`, key);
  return n;
}

export function boolFromJson(json: unknown, where: Where, key?: string): boolean {
  if (typeof json === "boolean") return json;
  throw jsonError(where, `expected true or false, got ${describe(json)}`, key);
}

/** A string; one with a lone surrogate (`"\uD800"`) has no UTF-8 form, so it is refused. */
export function stringFromJson(json: unknown, where: Where, key?: string): string {
  if (typeof json === "string") {
    if (isWellFormed(json)) return json;
    throw jsonError(where, `${describe(json)} has a lone surrogate, so it is not UTF-8`, key);
  }
  throw jsonError(where, `expected a string, got ${describe(json)}`, key);
}

/** A map key in JSON is always a string; this reads it back as its key type. */
export function boolKeyFromJson(json: unknown, where: Where, key?: string): string {
  if (json === "true" || json === "false") return json;
  throw jsonError(where, `expected map key true or false, got ${describe(json)}`, key);
}

/** An integer map key: decimal digits with an optional minus, as C++ and Go read keys ("01" is 1). */
function integerKey(json: unknown, where: Where, key: string | undefined): bigint {
  if (typeof json === "string" && /^-?\d+$/.test(json)) return BigInt(json);
  throw jsonError(where, `expected an integer map key, got ${describe(json)}`, key);
}

function keyInRange(n: bigint, min: bigint, max: bigint, type: string, where: Where, key: string | undefined): string {
  if (n < min || n > max) throw jsonError(where, `map key ${n} is out of range for ${type}`, key);
  return String(n);
}

/** 32-bit map keys: the key normalized ("01" → "1"); the map holds it as a property name. */
export function int32KeyFromJson(json: unknown, where: Where, key?: string): string {
  return keyInRange(integerKey(json, where, key), -2147483648n, 2147483647n, "int32", where, key);
}

export function uint32KeyFromJson(json: unknown, where: Where, key?: string): string {
  return keyInRange(integerKey(json, where, key), 0n, 4294967295n, "uint32", where, key);
}

/** 64-bit map keys are kept as decimal strings; this normalizes one. */
export function int64KeyFromJson(json: unknown, where: Where, key?: string): string {
  return keyInRange(integerKey(json, where, key), -(2n ** 63n), 2n ** 63n - 1n, "int64", where, key);
}

export function uint64KeyFromJson(json: unknown, where: Where, key?: string): string {
  return keyInRange(integerKey(json, where, key), 0n, 2n ** 64n - 1n, "uint64", where, key);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
B64_INDEX["-".charCodeAt(0)] = 62; // URL-safe alphabet is accepted on input
B64_INDEX["_".charCodeAt(0)] = 63;

export function bytesToJson(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] + "=" : "==";
  }
  return out;
}

/**
 * Standard or URL-safe base64, with or without padding; padding only
 * completes the last group of four ("AQ==", "AQI="), as C++ reads it.
 */
export function bytesFromJson(json: unknown, where: Where, key?: string): Uint8Array {
  if (typeof json !== "string") throw jsonError(where, `expected a base64 string, got ${describe(json)}`, key);
  let s = json;
  if (s.length % 4 === 0 && s.endsWith("=")) s = s.slice(0, s.endsWith("==") ? -2 : -1);
  if (s.length % 4 === 1) throw jsonError(where, "invalid base64 length", key);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw jsonError(where, `invalid base64 character ${JSON.stringify(s[i])} at ${i}`, key);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

/**
 * A generated TypeScript enum is its own JSON table: `E[1]` is the name and
 * `E["NAME"]` the number (numeric keys map back to names, so check types).
 */
export type EnumObject = { readonly [key: string]: string | number };

/**
 * Enum value → its name, or the number itself for a value the schema lacks.
 * For aliases the generated enum lists the first name declared last, so its
 * reverse mapping is that name, as JSON wants.
 */
export function enumToJson(e: EnumObject, value: number): string | number {
  const name = e[value];
  return typeof name === "string" ? name : value;
}

/**
 * An enum value: its name, or its number (an int32). An unknown name is an
 * error; with `options` whose `ignoreUnknownFields` is set, it is undefined
 * instead, and the caller leaves the field unset (drops the element, the map
 * entry), as the spec says for unknown fields.
 */
export function enumFromJson(e: EnumObject, json: unknown, where: Where, key?: string): number;
export function enumFromJson(
  e: EnumObject,
  json: unknown,
  where: Where,
  key: string | undefined,
  options: JsonOptions | undefined,
): number | undefined;
export function enumFromJson(
  e: EnumObject,
  json: unknown,
  where: Where,
  key?: string,
  options?: JsonOptions,
): number | undefined {
  if (typeof json === "string") {
    const n = Object.prototype.hasOwnProperty.call(e, json) ? e[json] : undefined;
    if (typeof n === "number") return n;
    if (options?.ignoreUnknownFields) return undefined;
    throw jsonError(where, `unknown enum value ${describe(json)}`, key);
  }
  return enumNumber(json, where, key);
}

function enumNumber(json: unknown, where: Where, key: string | undefined): number {
  if (typeof json === "number" && Number.isInteger(json)) {
    if (json < -2147483648 || json > 2147483647) throw jsonError(where, `enum number ${json} is out of range for int32`, key);
    return json === 0 ? 0 : json;
  }
  throw jsonError(where, `expected an enum name or number, got ${describe(json)}`, key);
}

/**
 * A `google.protobuf.NullValue` field: JSON `null` is NULL_VALUE (for every
 * other type null means "not set"), and so are "NULL_VALUE" and 0. Options
 * as for `enumFromJson`.
 */
export function nullValueFromJson(json: unknown, where: Where, key?: string): number;
export function nullValueFromJson(
  json: unknown,
  where: Where,
  key: string | undefined,
  options: JsonOptions | undefined,
): number | undefined;
export function nullValueFromJson(json: unknown, where: Where, key?: string, options?: JsonOptions): number | undefined {
  if (json === null || json === "NULL_VALUE") return 0;
  if (typeof json === "string") {
    if (options?.ignoreUnknownFields) return undefined;
    throw jsonError(where, `unknown enum value ${describe(json)}`, key);
  }
  return enumNumber(json, where, key);
}

/** A `google.protobuf.NullValue` in JSON is always `null`, whatever the number. */
export function nullValueToJson(_value?: number): null {
  return null;
}
