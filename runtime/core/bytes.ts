/**
 * Byte allocation and UTF-8 decoding, picked once per platform. Allocating a
 * fresh ArrayBuffer per message costs about a microsecond (it is a malloc
 * outside the JS heap) and dominates encoding small messages; on Node we
 * carve messages from Node's own Buffer pool instead, as Buffer.allocUnsafe
 * does, and hand out plain Uint8Array views of it. Node marks that pool
 * untransferable, so transferring one message cannot detach another.
 */

interface NodeBufferClass {
  allocUnsafe(size: number): Uint8Array;
  poolSize: number;
  prototype: { utf8Slice(this: Uint8Array, start: number, end: number): string };
}

const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** A copy of `source[start, end)` as a plain Uint8Array. */
export const copyBytes: (source: Uint8Array, start: number, end: number) => Uint8Array =
  NodeBuffer && typeof NodeBuffer.allocUnsafe === "function"
    ? (source, start, end) => {
        const n = end - start;
        if (n >= NodeBuffer.poolSize >>> 1) return source.slice(start, end);
        const pooled = NodeBuffer.allocUnsafe(n);
        pooled.set(source.subarray(start, end));
        return new Uint8Array(pooled.buffer, pooled.byteOffset, n);
      }
    : (source, start, end) => source.slice(start, end);

const utf8Slice = NodeBuffer?.prototype.utf8Slice;

/** Decodes `buf[start, end)` as UTF-8, malformed sequences becoming U+FFFD. */
export const decodeUtf8: (buf: Uint8Array, start: number, end: number) => string =
  typeof utf8Slice === "function"
    ? (buf, start, end) => utf8Slice.call(buf, start, end)
    : (buf, start, end) => decoder.decode(buf.subarray(start, end));

/** The default of a `bytes` field: one shared, empty (so unchangeable) array. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
