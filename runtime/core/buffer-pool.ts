/**
 * Buffers of big batches, given back once the stream they were handed to is
 * done with them (a write completed, its envelopes acknowledged), so the
 * next big batch is written into memory just used instead of fresh memory.
 * A fresh 64 KiB buffer costs more than the bytes written into it: zeroed
 * (in browsers), faulted in, and garbage the collector must count
 * (bench:browser's worker: 66 ns an event of 64 bytes, a tenth of its CPU).
 *
 * One pool per realm, shared by every stream in it, so what it holds does
 * not grow with the number of streams and an idle stream holds nothing; it
 * is bounded in bytes, and emptied once a second passes in which nothing
 * took from it, so a burst does not pin memory for the process's life.
 */

/** Most bytes the pool holds. */
export const POOL_MAX_BYTES = 2 * 1024 * 1024;
/** A buffer bigger than this is left to the garbage collector. */
const MAX_BUFFER_BYTES = 1024 * 1024;
const IDLE_MS = 1000;

const spares: Uint8Array[] = [];
let pooledBytes = 0;
let takenSinceSweep = false;
let sweeping = false;

/**
 * Gives the whole buffer under `chunk` to the pool. The caller promises
 * nothing reads or writes any view of it any more; a buffer already in the
 * pool, detached (transferred), too big or over the pool's bound is dropped.
 */
export function giveBuffer(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  const n = buffer.byteLength;
  if (n === 0 || n > MAX_BUFFER_BYTES || pooledBytes + n > POOL_MAX_BYTES) return;
  if (!(buffer instanceof ArrayBuffer)) return; // a SharedArrayBuffer is never ours alone
  for (const s of spares) if (s.buffer === buffer) return;
  spares.push(new Uint8Array(buffer));
  pooledBytes += n;
  if (!sweeping) {
    sweeping = true;
    const timer = setTimeout(sweep, IDLE_MS);
    (timer as { unref?: () => void }).unref?.();
  }
}

/** A pooled buffer of exactly `size` bytes (a plain Uint8Array at offset 0), or undefined. */
export function takeBuffer(size: number): Uint8Array | undefined {
  for (let i = spares.length - 1; i >= 0; i--) {
    const s = spares[i]!;
    if (s.byteLength !== size) continue;
    spares.splice(i, 1);
    pooledBytes -= size;
    takenSinceSweep = true;
    return s;
  }
  return undefined;
}

/** Bytes the pool holds now (for tests and benchmarks). */
export function pooledBufferBytes(): number {
  return pooledBytes;
}

function sweep(): void {
  if (!takenSinceSweep) {
    spares.length = 0;
    pooledBytes = 0;
  }
  takenSinceSweep = false;
  sweeping = spares.length > 0;
  if (sweeping) {
    const timer = setTimeout(sweep, IDLE_MS);
    (timer as { unref?: () => void }).unref?.();
  }
}
