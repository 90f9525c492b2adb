/**
 * Proto3 JSON: the options, the type registry, errors that name the field,
 * nesting depth and object checks, shared by every generated
 * `toJson`/`fromJson`. Scalar values: json-scalars.ts; repeated fields and
 * maps: json-collections.ts. Generated code passes the message type and the
 * JSON key, so that an error names exactly which field held what.
 */
import { Code, StreampathError } from "./error.js";
import type { Extension } from "./extension.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Options of `toJson`/`fromJson`; the registry resolves `google.protobuf.Any`. */
export interface JsonOptions {
  registry?: TypeRegistry | undefined;
  /** fromJson: ignore fields the message does not declare instead of failing. */
  ignoreUnknownFields?: boolean | undefined;
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
  /** The extension of this full name, for a `"[pkg.ext]"` JSON key. */
  findExtension?(name: string): Extension<any, any> | undefined;
  /** The extensions of `extendee` known here: toJson writes those a message has. */
  extensionsOf?(extendee: string): readonly Extension<any, any>[];
}

/** A registry of message types (for Any) and extensions (for their JSON keys). */
export function createRegistry(...types: (MessageType<any> | Extension<any, any>)[]): TypeRegistry {
  const byName = new Map<string, MessageType>();
  const extensions = new Map<string, Extension<any, any>>();
  const byExtendee = new Map<string, Extension<any, any>[]>();
  for (const t of types) {
    if ("extendee" in t) {
      extensions.set(t.typeName, t);
      byExtendee.set(t.extendee, [...(byExtendee.get(t.extendee) ?? []), t]);
    } else byName.set(t.typeName, t);
  }
  return {
    find: (name) => byName.get(name),
    findExtension: (name) => extensions.get(name),
    extensionsOf: (extendee) => byExtendee.get(extendee) ?? [],
  };
}

/** Where a JSON value sits: a type name, or a message type and the field's JSON key. */
export type Where = string | { readonly typeName: string };

export function jsonError(where: Where, message: string, key?: string): StreampathError {
  const type = typeof where === "string" ? where : where.typeName;
  const place = key === undefined ? type : `${type} field ${JSON.stringify(key)}`;
  return new StreampathError(Code.InvalidArgument, `cannot read ${place} from JSON: ${message}`);
}

/** A JSON value as an error message names it. */
export function describe(json: unknown): string {
  if (json === null) return "null";
  if (Array.isArray(json)) return "an array";
  if (typeof json === "string") return JSON.stringify(json.length > 40 ? json.slice(0, 40) + "…" : json);
  if (typeof json === "object") return "an object";
  return String(json);
}

/** Is `s` free of lone surrogates, i.e. can it be encoded as UTF-8? (Node 20 has `isWellFormed`.) */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
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

/** Two members of one oneof in the same JSON object (C++: "already set … as part of a oneof"). */
export function oneofTwiceError(where: Where, oneof: string, first: string, key: string): StreampathError {
  return jsonError(where, `oneof ${JSON.stringify(oneof)} is set twice, by ${JSON.stringify(first)} and ${JSON.stringify(key)}`, key);
}

/**
 * Throws if the JSON object has the field under both its names with values
 * that are not null (`{"f_int32": 1, "fInt32": 2}`), as C++ does. Generated
 * code calls this for fields whose proto and JSON names differ; reading the
 * JSON name, it returns at once.
 */
export function checkOtherName(j: { [key: string]: unknown }, key: string, jsonName: string, where: Where): void {
  if (key === jsonName || j[key] === null) return;
  const v = j[jsonName];
  if (v !== undefined && v !== null && Object.prototype.hasOwnProperty.call(j, jsonName)) {
    throw jsonError(where, `field set twice, as ${JSON.stringify(jsonName)} and ${JSON.stringify(key)}`, key);
  }
}

/** A JSON key that is no field of the message: an error unless the options ignore it. */
export function unknownJsonField(key: string, type: Where, options: JsonOptions | undefined): void {
  if (!options?.ignoreUnknownFields) throw jsonError(type, `unknown field ${JSON.stringify(key)}`);
}
