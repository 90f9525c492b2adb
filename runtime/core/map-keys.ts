/**
 * String map keys, decoded once. Every key a decoder sets on a map object
 * is a property name, which V8 must look up in its table of internalized
 * strings: for a freshly decoded string that is a hash and a lookup on every
 * insert, as long as decoding the key itself (bench:codec's Small: map
 * inserts 13 % of decode). Keys repeat from message to message (labels,
 * attributes, headers), so the last key seen per slot of a small table is
 * kept with its bytes: a key met again is the same string, already known to
 * V8, and is not decoded again. A miss costs a hash and one compare.
 */
import { decodeUtf8 } from "./bytes.js";

/** Keys longer than this are decoded every time (long keys rarely repeat, and comparing costs). */
const MAX_KEY_BYTES = 32;
const SLOTS = 256;

const keyBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SLOTS).fill(undefined);
const keyStrings: string[] = new Array<string>(SLOTS).fill("");

/** `buf[start, end)` as UTF-8: the same string as the last time these bytes fell in this slot. */
export function recentKey(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > MAX_KEY_BYTES) return decodeUtf8(buf, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = Math.imul(h, 31) + buf[i]!;
  const slot = (h ^ (h >>> 8)) & (SLOTS - 1);
  const known = keyBytes[slot];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known[i] === buf[start + i]) i++;
    if (i === n) return keyStrings[slot]!;
  }
  const s = decodeUtf8(buf, start, end);
  keyBytes[slot] = buf.slice(start, end);
  keyStrings[slot] = s;
  return s;
}
