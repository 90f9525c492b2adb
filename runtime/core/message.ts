import type { JsonOptions, JsonValue, MessageType } from "./json.js";
import { BinaryReader } from "./reader.js";
import type { BinaryWriter } from "./writer.js";

/**
 * What generated code exports for each message, beside its interface of the
 * same name: plain functions over plain objects, so messages stay
 * structured-clone-able and codecs need no reflection.
 */
export interface MessageCodec<T> extends MessageType<T> {
  /** Full protobuf name, e.g. `shop.Order.Item`. */
  readonly typeName: string;
  /** Field numbers the message declares; decoding tells them from unknown fields. */
  readonly fieldNumbers: readonly number[];
  /** A message with every field at its default, then `init`'s fields. */
  create(init?: Partial<T>): T;
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  /** Writes the message's fields (no length prefix) to `w`. */
  write(message: T, w: BinaryWriter): void;
  /**
   * Reads fields up to `end`, merging into `into` if given; a message written
   * as a group (`group` is its field number) ends at its end tag instead.
   */
  read(r: BinaryReader, end: number, into?: T, group?: number): T;
  toJson(message: T, options?: JsonOptions): JsonValue;
  fromJson(json: unknown, options?: JsonOptions): T;
}

/** The field numbers of a map entry, for the reader's unknown-field check. */
export const MAP_ENTRY = { typeName: "map entry", fieldNumbers: [1, 2] } as const;

/** A `bytes` field this long or longer may be a view of an owned buffer (see `decodeAt`). */
const SHARE_FROM = 1024;

/**
 * The message at `bytes[start, end)`, read in place: what `codec.decode`
 * gives for those bytes, without a view made of them (an envelope inside a
 * chunk; see EnvelopeDecoder.each). If `owned` (the decoder's own buffer for
 * an envelope that arrived in pieces), the message's large `bytes` field is a
 * view of that buffer rather than a copy: a 64 KiB payload is not copied a
 * second time.
 */
export function decodeAt<T>(codec: MessageCodec<T>, bytes: Uint8Array, start: number, end: number, owned = false): T {
  const r = new BinaryReader(bytes, start, end);
  if (owned) r.shareFrom = SHARE_FROM;
  return codec.read(r, r.enterAll());
}
