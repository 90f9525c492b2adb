/**
 * The realm's pool of big batch buffers (runtime/core/buffer-pool.ts): a
 * buffer given back is handed out again for its exact size, once; the pool
 * never holds more than its bound, nor a buffer twice, nor one that was
 * transferred away; and a second with nothing taken empties it, so a burst
 * does not pin memory. Serial: the pool is one per process.
 */
import test from "ava";
import { POOL_MAX_BYTES, giveBuffer, pooledBufferBytes, takeBuffer } from "../runtime/core/buffer-pool.js";
import { MessageBatch } from "../runtime/core/batch.js";
import type { BinaryWriter } from "../runtime/core/writer.js";

const KiB = 1024;

/** Takes every buffer of these sizes out, so each test starts from an empty pool. */
function drain(): void {
  for (const size of [64 * KiB, 128 * KiB, 256 * KiB, 1024 * KiB]) while (takeBuffer(size)) {}
}

test.serial("a buffer given back is taken once, for its exact size, whole and at offset 0", (t) => {
  drain();
  const buffer = new Uint8Array(64 * KiB);
  giveBuffer(buffer.subarray(0, 1000));
  t.is(pooledBufferBytes(), 64 * KiB);
  t.is(takeBuffer(128 * KiB), undefined, "no buffer of another size");
  const taken = takeBuffer(64 * KiB)!;
  t.is(taken.buffer, buffer.buffer);
  t.is(taken.byteOffset, 0);
  t.is(taken.length, 64 * KiB);
  t.is(takeBuffer(64 * KiB), undefined, "handed out once");
  t.is(pooledBufferBytes(), 0);
});

test.serial("the same buffer given twice is pooled once: two writers never share it", (t) => {
  drain();
  const buffer = new Uint8Array(64 * KiB);
  giveBuffer(buffer.subarray(0, 10));
  giveBuffer(buffer.subarray(5, 20));
  t.is(pooledBufferBytes(), 64 * KiB);
  t.truthy(takeBuffer(64 * KiB));
  t.is(takeBuffer(64 * KiB), undefined);
});

test.serial("the pool holds at most POOL_MAX_BYTES, and no buffer over 1 MiB", (t) => {
  drain();
  for (let i = 0; i < (2 * POOL_MAX_BYTES) / (256 * KiB); i++) giveBuffer(new Uint8Array(256 * KiB));
  t.is(pooledBufferBytes(), POOL_MAX_BYTES);
  drain();
  giveBuffer(new Uint8Array(2 * 1024 * KiB));
  t.is(pooledBufferBytes(), 0);
});

test.serial("a transferred (detached) buffer is not pooled", (t) => {
  drain();
  const buffer = new Uint8Array(64 * KiB);
  structuredClone(buffer.buffer, { transfer: [buffer.buffer] });
  giveBuffer(buffer);
  t.is(pooledBufferBytes(), 0);
});

test.serial("a second in which nothing takes from the pool empties it", async (t) => {
  drain();
  giveBuffer(new Uint8Array(64 * KiB));
  t.is(pooledBufferBytes(), 64 * KiB);
  const deadline = Date.now() + 5000;
  while (pooledBufferBytes() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.is(pooledBufferBytes(), 0);
});

test.serial("a MessageBatch that handed a big buffer over writes its next batch into it once it is recycled", (t) => {
  drain();
  const raw = { write: (m: Uint8Array, w: BinaryWriter) => w.raw(m) };
  const batch = new MessageBatch(true);
  for (let i = 0; i < 100; i++) batch.add(raw, new Uint8Array(500).fill(i));
  const first = batch.take()!;
  t.true(batch.lastLent, "50 KB in a 64 KiB buffer is handed over, not copied");
  batch.recycle(first);
  for (let i = 0; i < 100; i++) batch.add(raw, new Uint8Array(500).fill(i + 1));
  const second = batch.take()!;
  t.is(second.buffer, first.buffer, "the next batch is written into the buffer given back");
  t.is(second[5], 1);
});
