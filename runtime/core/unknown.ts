/**
 * Unknown fields: what a decode read but the message does not declare (a
 * newer schema's fields, an extension, a closed enum's undeclared value) is
 * kept on the message as raw bytes and written back by its encode, so a
 * worker built from an older schema passes a newer host's fields on intact.
 * One Uint8Array, not a list of objects: messages stay structured-clone-able
 * and a message without unknown fields pays nothing.
 */
import { Code, StreampathError } from "./error.js";
import type { BinaryReader } from "./reader.js";
import { varintSize } from "./writer.js";

export interface UnknownFields {
  /** Fields the decode met but the schema does not declare, as tag-value bytes in the order read. */
  $unknown?: Uint8Array;
}

interface TypeInfo {
  readonly typeName: string;
  readonly fieldNumbers: readonly number[];
}

/**
 * Reads a field the message does not declare into `m.$unknown`. Returns true
 * at the end tag of the group `group` being read, which ends the message.
 */
export function readUnknown(r: BinaryReader, m: UnknownFields, tag: number, type: TypeInfo, group?: number): boolean {
  if ((tag & 7) === 4) {
    r.endGroup(tag >>> 3, group, type.typeName);
    return true;
  }
  const start = r.pos;
  r.skip(tag, type);
  m.$unknown = append(m.$unknown, tag, undefined, r.buf, start, r.pos);
  return false;
}

/** Keeps a closed enum's undeclared value as the varint field it came in. */
export function keepEnumValue(m: UnknownFields, field: number, value: number): void {
  const bytes = new Uint8Array(10);
  // An int32 is written sign-extended to 64 bits, as every implementation writes an enum.
  let lo = value >>> 0;
  let hi = value < 0 ? 0xffffffff : 0;
  let n = 0;
  while (hi !== 0 || lo > 127) {
    bytes[n++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  bytes[n++] = lo;
  m.$unknown = append(m.$unknown, (field << 3) >>> 0, undefined, bytes, 0, n);
}

/** Keeps a length-delimited field (a map entry whose closed enum value is undeclared) as it came. */
export function keepDelimited(m: UnknownFields, field: number, buf: Uint8Array, start: number, end: number): void {
  m.$unknown = append(m.$unknown, ((field << 3) | 2) >>> 0, end - start, buf, start, end);
}

/** `prev` + the varint `tag` (+ the varint `length`, if given) + `buf[start, end)`. */
function append(prev: Uint8Array | undefined, tag: number, length: number | undefined, buf: Uint8Array, start: number, end: number): Uint8Array {
  const before = prev?.length ?? 0;
  const out = new Uint8Array(before + varintSize(tag) + (length === undefined ? 0 : varintSize(length)) + (end - start));
  if (prev) out.set(prev);
  let pos = writeVarint(out, before, tag);
  if (length !== undefined) pos = writeVarint(out, pos, length);
  out.set(buf.subarray(start, end), pos);
  return out;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  n >>>= 0;
  while (n > 127) {
    out[pos++] = (n & 127) | 128;
    n >>>= 7;
  }
  out[pos++] = n;
  return pos;
}

/** A required field (proto2 `required`, editions LEGACY_REQUIRED) is not set. */
export function missingRequired(type: { readonly typeName: string }, field: string, decoding: boolean): never {
  throw new StreampathError(
    Code.InvalidArgument,
    decoding
      ? `cannot decode protobuf: required field ${field} of ${type.typeName} is missing`
      : `cannot encode ${type.typeName}: required field ${field} is not set`,
  );
}
