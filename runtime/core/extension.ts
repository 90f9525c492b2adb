/**
 * Extensions, typed: a message keeps an extension's bytes among its unknown
 * fields (so one set by another implementation survives a decode and an
 * encode untouched), and these functions read and write it through the
 * codec generated for it.
 */
import type { JsonObject, JsonOptions } from "./json.js";
import type { MessageCodec } from "./message.js";
import { BinaryReader } from "./reader.js";
import type { UnknownFields } from "./unknown.js";

/** The extension's value, as the one field of a message the generator makes for it. */
export interface ExtensionValue extends UnknownFields {
  value?: unknown;
}

/** What generated code exports for `extend E { T name = N; }`. */
export interface Extension<E extends UnknownFields, V extends ExtensionValue> {
  /** Full protobuf name of the extension (`pkg.name`), its JSON key in brackets. */
  readonly typeName: string;
  /** Full name of the message it extends. */
  readonly extendee: string;
  readonly number: number;
  /** Reads and writes the value: a message whose only field is the extension's. */
  readonly container: MessageCodec<V>;
  /** Never set: ties the handle to the message type it extends. */
  readonly $extendee?: E;
}

/** The extension's value in `message`: the default (undefined, or [] when repeated) if it is not set. */
export function getExtension<E extends UnknownFields, V extends ExtensionValue>(message: E, ext: Extension<E, V>): V["value"] {
  const bytes = message.$unknown;
  if (bytes === undefined || !hasExtension(message, ext)) return ext.container.create().value;
  // The container reads its field wherever it stands and merges repeats as protobuf does; the rest it leaves.
  return ext.container.decode(bytes).value;
}

/** Sets the extension, replacing what `message` had for it. */
export function setExtension<E extends UnknownFields, V extends ExtensionValue>(
  message: E,
  ext: Extension<E, V>,
  value: NonNullable<V["value"]>,
): void {
  clearExtension(message, ext);
  const bytes = ext.container.encode(ext.container.create({ value } as Partial<V>));
  if (bytes.length === 0) return;
  const before = message.$unknown;
  if (before === undefined) message.$unknown = bytes;
  else {
    const out = new Uint8Array(before.length + bytes.length);
    out.set(before);
    out.set(bytes, before.length);
    message.$unknown = out;
  }
}

export function hasExtension<E extends UnknownFields>(message: E, ext: Extension<E, ExtensionValue>): boolean {
  let found = false;
  eachField(message.$unknown, (field) => {
    found ||= field === ext.number;
  });
  return found;
}

export function clearExtension<E extends UnknownFields>(message: E, ext: Extension<E, ExtensionValue>): void {
  const bytes = message.$unknown;
  if (bytes === undefined) return;
  const kept: Uint8Array[] = [];
  let size = 0;
  eachField(bytes, (field, start, end) => {
    if (field === ext.number) return;
    kept.push(bytes.subarray(start, end));
    size += end - start;
  });
  if (size === bytes.length) return;
  if (size === 0) {
    delete message.$unknown;
    return;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const k of kept) {
    out.set(k, pos);
    pos += k.length;
  }
  message.$unknown = out;
}

/** Calls `visit` with each field's number and its bytes' bounds, tag included. */
function eachField(bytes: Uint8Array | undefined, visit: (field: number, start: number, end: number) => void): void {
  if (bytes === undefined) return;
  const r = new BinaryReader(bytes);
  while (r.pos < bytes.length) {
    const start = r.pos;
    const tag = r.uint32();
    r.skipValue(tag & 7, tag >>> 3, "unknown fields");
    visit(tag >>> 3, start, r.pos);
  }
}

/** Writes the extensions `message` has that the registry knows, under `"[pkg.ext]"` keys. */
export function extensionsToJson(message: UnknownFields, type: { readonly typeName: string }, json: JsonObject, options: JsonOptions | undefined): void {
  const bytes = message.$unknown;
  const known = options?.registry?.extensionsOf?.(type.typeName);
  if (bytes === undefined || !known?.length) return;
  for (const ext of known) {
    if (!hasExtension(message, ext)) continue;
    // The container's one field has the extension's JSON key.
    const key = `[${ext.typeName}]`;
    const value = (ext.container.toJson(ext.container.decode(bytes), options) as JsonObject)[key];
    if (value !== undefined) json[key] = value;
  }
}

/**
 * Reads a `"[pkg.ext]"` key as the extension it names, if the registry knows
 * one of this message; false for any other key (an unknown field).
 */
export function extensionFromJson(
  message: UnknownFields,
  type: { readonly typeName: string },
  key: string,
  value: unknown,
  options: JsonOptions | undefined,
): boolean {
  if (key.length < 3 || key[0] !== "[" || key[key.length - 1] !== "]") return false;
  const ext = options?.registry?.findExtension?.(key.slice(1, -1));
  if (ext === undefined || ext.extendee !== type.typeName) return false;
  const read = ext.container.fromJson({ [key]: value }, options).value;
  if (read !== undefined) setExtension(message, ext, read);
  return true;
}
