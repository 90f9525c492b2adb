/**
 * Proto3 JSON mapping of scalar values, shared by every generated
 * `toJson`/`fromJson`. Generated code passes the message type and the JSON
 * key, so that an error names exactly which field held what.
 */
import { Code, StreampathError } from "./error.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Options of `toJson`/`fromJson`; the registry resolves `google.protobuf.Any`. */
export interface JsonOptions {
  registry?: TypeRegistry;
  /** fromJson: ignore fields the message does not declare instead of failing. */
  ignoreUnknownFields?: boolean;
}

/** What the registry needs of a generated message type. */
export interface MessageType<T = unknown> {
  readonly typeName: string;
  create(): T;
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  toJson(message: T, options?: JsonOptions): JsonValue;
  fromJson(json: unknown, options?: JsonOptions): T;
}

export interface TypeRegistry {
  find(typeName: string): MessageType | undefined;
}

export function createRegistry(...types: MessageType<any>[]): TypeRegistry {
  const byName = new Map<string, MessageType>(types.map((t) => [t.typeName, t]));
  return { find: (name) => byName.get(name) };
}

/** Where a JSON value sits: a type name, or a message type and the field's JSON key. */
export type Where = string | { readonly typeName: string };

export function jsonError(where: Where, message: string, key?: string): StreampathError {
  const type = typeof where === "string" ? where : where.typeName;
  const place = key === undefined ? type : `${type} field ${JSON.stringify(key)}`;
  return new StreampathError(Code.InvalidArgument, `cannot read ${place} from JSON: ${message}`);
}

function describe(json: unknown): string {
  if (json === null) return "null";
  if (Array.isArray(json)) return "an array";
  if (typeof json === "string") return JSON.stringify(json.length > 40 ? json.slice(0, 40) + "…" : json);
  if (typeof json === "object") return "an object";
  return String(json);
}

/**
 * Sets a map entry. A key "__proto__" assigned with `=` would replace the
 * object's prototype instead of adding an entry, so that one is defined.
 */
export function setEntry<V>(map: { [key: string]: V }, key: string | number, value: V): void {
  if (key === "__proto__") Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** How deep JSON objects and arrays may nest, as for binary messages. */
export const MAX_JSON_DEPTH = 100;

/** The options of one fromJson call, plus how deep it is: nested calls get this object. */
class JsonContext implements JsonOptions {
  readonly registry: TypeRegistry | undefined;
  readonly ignoreUnknownFields: boolean | undefined;
  depth = 0;
  constructor(options: JsonOptions | undefined) {
    this.registry = options?.registry;
    this.ignoreUnknownFields = options?.ignoreUnknownFields;
  }
}

/** Enters one level of a fromJson call; pair with `leaveJson` on the way out. */
export function enterJson(options: JsonOptions | undefined, where: Where): JsonContext {
  const context = options instanceof JsonContext ? options : new JsonContext(options);
  if (++context.depth > MAX_JSON_DEPTH) throw jsonError(where, `nested deeper than ${MAX_JSON_DEPTH} levels`);
  return context;
}

/** Leaves a level. A call that throws skips this, which is fine: its context dies with it. */
export function leaveJson(context: JsonContext): void {
  context.depth--;
}

/** Is `json` a plain JSON object (not null, not an array)? */
export function isJsonObject(json: unknown): json is { [key: string]: unknown } {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

export function expectObject(json: unknown, where: Where, key?: string): { [key: string]: unknown } {
  if (!isJsonObject(json)) throw jsonError(where, `expected an object, got ${describe(json)}`, key);
  return json;
}

export function expectArray(json: unknown, where: Where, key?: string): unknown[] {
  if (!Array.isArray(json)) throw jsonError(where, `expected an array, got ${describe(json)}`, key);
  return json;
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

function numberFromJson(json: unknown, where: Where, key: string | undefined, float32: boolean): number {
  let n: number;
  if (typeof json === "number") n = json;
  else if (json === "NaN") return NaN;
  else if (json === "Infinity") return Infinity;
  else if (json === "-Infinity") return -Infinity;
  else if (typeof json === "string" && json.trim() !== "" && !Number.isNaN(Number(json))) n = Number(json);
  else throw jsonError(where, `expected a number, got ${describe(json)}`, key);
  // Out of range is what rounds to infinity: 3.4028235e38, FLT_MAX as C++ prints it, is in.
  if (float32 && Number.isFinite(n) && !Number.isFinite(Math.fround(n))) {
    throw jsonError(where, `${n} is out of range for float`, key);
  }
  return float32 ? Math.fround(n) : n;
}

function integerFromJson(json: unknown, where: Where, key?: string): number {
  let n: number;
  if (typeof json === "number") n = json;
  else if (typeof json === "string" && /^-?\d+(\.0*)?([eE]\+?\d+)?$/.test(json)) n = Number(json);
  else throw jsonError(where, `expected an integer, got ${describe(json)}`, key);
  if (!Number.isInteger(n)) throw jsonError(where, `expected an integer, got ${describe(json)}`, key);
  return n;
}

export function int32FromJson(json: unknown, where: Where, key?: string): number {
  const n = integerFromJson(json, where, key);
  if (n < -2147483648 || n > 2147483647) throw jsonError(where, `${n} is out of range for int32`, key);
  return n;
}

export function uint32FromJson(json: unknown, where: Where, key?: string): number {
  const n = integerFromJson(json, where, key);
  if (n < 0 || n > 4294967295) throw jsonError(where, `${n} is out of range for uint32`, key);
  return n;
}

function bigintFromJson(json: unknown, where: Where, key?: string): bigint {
  if (typeof json === "number") {
    if (!Number.isSafeInteger(json)) throw jsonError(where, `expected an integer, got ${json}`, key);
    return BigInt(json);
  }
  if (typeof json === "string" && /^-?\d+$/.test(json)) return BigInt(json);
  throw jsonError(where, `expected an integer or a decimal string, got ${describe(json)}`, key);
}

export function int64FromJson(json: unknown, where: Where, key?: string): bigint {
  const n = bigintFromJson(json, where, key);
  if (n !== BigInt.asIntN(64, n)) throw jsonError(where, `${n} is out of range for int64`, key);
  return n;
}

export function uint64FromJson(json: unknown, where: Where, key?: string): bigint {
  const n = bigintFromJson(json, where, key);
  if (n !== BigInt.asUintN(64, n)) throw jsonError(where, `${n} is out of range for uint64`, key);
  return n;
}

export function boolFromJson(json: unknown, where: Where, key?: string): boolean {
  if (typeof json === "boolean") return json;
  throw jsonError(where, `expected true or false, got ${describe(json)}`, key);
}

export function stringFromJson(json: unknown, where: Where, key?: string): string {
  if (typeof json === "string") return json;
  throw jsonError(where, `expected a string, got ${describe(json)}`, key);
}

/** A map key in JSON is always a string; this reads it back as its key type. */
export function boolKeyFromJson(json: unknown, where: Where, key?: string): string {
  if (json === "true" || json === "false") return json;
  throw jsonError(where, `expected map key true or false, got ${describe(json)}`, key);
}

/** 64-bit map keys are kept as decimal strings; this normalizes one. */
export function int64KeyFromJson(json: unknown, where: Where, key?: string): string {
  return String(int64FromJson(json, where, key));
}

export function uint64KeyFromJson(json: unknown, where: Where, key?: string): string {
  return String(uint64FromJson(json, where, key));
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

export function bytesFromJson(json: unknown, where: Where, key?: string): Uint8Array {
  if (typeof json !== "string") throw jsonError(where, `expected a base64 string, got ${describe(json)}`, key);
  const s = json.replace(/=+$/, "");
  if (s.length % 4 === 1) throw jsonError(where, "invalid base64 length", key);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw jsonError(where, `invalid base64 character ${JSON.stringify(s[i])} at ${i}`, key);
    acc = (acc << 6) | v;
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

/** Enum value → its name, or the number itself for a value the schema lacks. */
export function enumToJson(e: EnumObject, value: number): string | number {
  const name = e[value];
  return typeof name === "string" ? name : value;
}

export function enumFromJson(e: EnumObject, json: unknown, where: Where, key?: string): number {
  if (typeof json === "number" && Number.isInteger(json)) return json;
  if (typeof json === "string") {
    const n = Object.prototype.hasOwnProperty.call(e, json) ? e[json] : undefined;
    if (typeof n === "number") return n;
    throw jsonError(where, `unknown enum value ${describe(json)}`, key);
  }
  throw jsonError(where, `expected an enum name or number, got ${describe(json)}`, key);
}

/** A JSON key that is no field of the message: an error unless the options ignore it. */
export function unknownJsonField(key: string, type: Where, options: JsonOptions | undefined): void {
  if (!options?.ignoreUnknownFields) throw jsonError(type, `unknown field ${JSON.stringify(key)}`);
}
