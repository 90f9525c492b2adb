/**
 * Byte allocation and UTF-8 for longer strings, picked once per platform. Allocating a
 * fresh ArrayBuffer per message costs about a microsecond (it is a malloc
 * outside the JS heap) and dominates encoding small messages; on Node we
 * carve messages from a pool instead, as Buffer.allocUnsafe does from
 * Node's, and hand out plain Uint8Array views of it. The pool is marked
 * untransferable (as Node's is), so transferring one message cannot detach
 * another. Our own pool rather than Node's: allocUnsafe builds a Buffer we
 * would only wrap again (a 205-byte copy: 94 ns instead of 153).
 */
import { decodeShortAscii } from "./utf8.js";

interface NodeBufferClass {
  allocUnsafe(size: number): Uint8Array;
  allocUnsafeSlow(size: number): Uint8Array;
  poolSize: number;
  prototype: {
    utf8Slice(this: Uint8Array, start: number, end: number): string;
    utf8Write(this: Uint8Array, s: string, offset: number, length: number): number;
  };
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

const sliceTyped = Uint8Array.prototype.slice;

/** A fresh copy, never a view: `slice` of a Node Buffer would share its memory. */
function freshCopy(source: Uint8Array, start: number, end: number): Uint8Array {
  // TypedArray#slice is a memcpy (twice as fast as set(subarray)), but builds its result with the
  // source's constructor: only a plain Uint8Array is sure to give a plain, unshared copy.
  if (source.constructor === Uint8Array) return sliceTyped.call(source, start, end);
  const out = new Uint8Array(end - start);
  if (end - start <= 16) for (let i = start; i < end; i++) out[i - start] = source[i];
  else out.set(source.subarray(start, end));
  return out;
}

/** V8 allocates typed arrays up to this size on its own heap, which is cheap. */
const ON_HEAP = 64;

const POOL_BYTES = 8 * 1024;
const markAsUntransferable = (
  globalThis as { process?: { getBuiltinModule?(id: string): { markAsUntransferable?(o: object): void } | undefined } }
).process?.getBuiltinModule?.("node:worker_threads")?.markAsUntransferable;
let pool: ArrayBuffer | undefined;
let poolOffset = POOL_BYTES;

/** `n` (< POOL_BYTES / 2) bytes carved from the pool, which starts afresh when full. */
function pooled(n: number): Uint8Array {
  if (n > POOL_BYTES - poolOffset) {
    // Not zero-filled (half the cost of `new ArrayBuffer`): every array carved from it is written first.
    pool = NodeBuffer!.allocUnsafeSlow(POOL_BYTES).buffer as ArrayBuffer;
    markAsUntransferable!(pool);
    poolOffset = 0;
  }
  const out = new Uint8Array(pool!, poolOffset, n);
  poolOffset = (poolOffset + n + 7) & ~7; // 8-byte aligned, as Node's pool is
  return out;
}

/** A copy of `source[start, end)` as a plain Uint8Array. */
export const copyBytes: (source: Uint8Array, start: number, end: number) => Uint8Array =
  NodeBuffer && typeof NodeBuffer.allocUnsafe === "function"
    ? (source, start, end) => {
        const n = end - start;
        if (n <= ON_HEAP) return freshCopy(source, start, end);
        if (n >= NodeBuffer.poolSize >>> 1) {
          // Its own ArrayBuffer (so transferable), without zero-filling what is overwritten next.
          const own = NodeBuffer.allocUnsafeSlow(n);
          own.set(source.subarray(start, end));
          return new Uint8Array(own.buffer, own.byteOffset, n);
        }
        if (markAsUntransferable !== undefined) {
          const out = pooled(n);
          out.set(source.subarray(start, end));
          return out;
        }
        const inNodePool = NodeBuffer.allocUnsafe(n);
        inNodePool.set(source.subarray(start, end));
        return new Uint8Array(inNodePool.buffer, inNodePool.byteOffset, n);
      }
    : freshCopy;

/**
 * `n` bytes in an ArrayBuffer of their own, not zero-filled on Node (every
 * caller overwrites them before reading): a 64 KiB `new Uint8Array` spends
 * as long filling zeros as copying the payload in. Plain Uint8Array, offset 0.
 */
export const allocBytes: (n: number) => Uint8Array =
  NodeBuffer && typeof NodeBuffer.allocUnsafeSlow === "function"
    ? (n) => {
        if (n <= ON_HEAP) return new Uint8Array(n);
        const own = NodeBuffer.allocUnsafeSlow(n);
        return new Uint8Array(own.buffer, 0, n);
      }
    : (n) => new Uint8Array(n);

const utf8Slice = NodeBuffer?.prototype.utf8Slice;
const utf8Write = NodeBuffer?.prototype.utf8Write;
const encoder = new TextEncoder();

/** Encodes `s` into `buf` at `pos` (room for 3 bytes a UTF-16 unit must exist); returns the bytes written. */
export const encodeUtf8Into: (buf: Uint8Array, pos: number, s: string) => number =
  typeof utf8Write === "function"
    ? (buf, pos, s) => utf8Write.call(buf, s, pos, buf.length - pos)
    : (buf, pos, s) => encoder.encodeInto(s, buf.subarray(pos)).written;

const decodeLong: (buf: Uint8Array, start: number, end: number) => string =
  typeof utf8Slice === "function"
    ? (buf, start, end) => utf8Slice.call(buf, start, end)
    : (buf, start, end) => decoder.decode(buf.subarray(start, end));

/**
 * Decodes `buf[start, end)` as UTF-8, malformed sequences becoming U+FFFD.
 * Below 24 bytes, ASCII text is faster built in JS, by one call to
 * String.fromCharCode (utf8.ts), than through any call into native code.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start < 24) {
    const s = decodeShortAscii(buf, start, end - start);
    if (s !== undefined) return s;
  }
  return decodeLong(buf, start, end);
}

/** The default of a `bytes` field: one shared, empty (so unchangeable) array. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** The chunks one after another in one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
