/**
 * The pair's Outbox keeps a big chunk as the batch's own buffer (no copy)
 * and gives the buffer back to the pool for the next chunk, but only once
 * nothing can read it: after the chunk's envelopes are acknowledged and the
 * next chunk's too (a control written after the envelopes is not covered by
 * their acknowledgement), and never once a replay has handed it to another
 * stream, which an older stream may still be reading. A chunk written to a
 * stream must keep its bytes for as long as that is not known. Serial: the
 * pool is one per process.
 */
import test from "ava";
import { pooledBufferBytes, takeBuffer } from "../runtime/core/buffer-pool.js";
import { encodeControl } from "../runtime/core/pair.js";
import { Outbox } from "../runtime/core/pair-window.js";
import type { BinaryWriter } from "../runtime/core/writer.js";

const rawCodec = { write: (m: Uint8Array, w: BinaryWriter) => w.raw(m) };
const unbounded = { messages: 1_000_000, bytes: Infinity };
const KiB = 1024;

function drainPool(): void {
  for (const size of [64 * KiB, 128 * KiB]) while (takeBuffer(size)) {}
}

/** Seals 100 envelopes of 500 bytes (about 50 KB: handed over, not copied) filled with `fill`. */
function bigChunk(outbox: Outbox, fill: number, trailer?: Uint8Array): { wire: Uint8Array; copy: Uint8Array; last: number } {
  for (let i = 0; i < 100; i++) outbox.add(rawCodec, new Uint8Array(500).fill((fill + i) & 0xff));
  const sealed = outbox.take(trailer)!;
  return { wire: sealed.chunk, copy: sealed.chunk.slice(), last: outbox.sent };
}

test.serial("an acknowledged chunk's buffer is reused only after the next chunk is acknowledged too", (t) => {
  drainPool();
  const outbox = new Outbox(unbounded, unbounded);
  const control = encodeControl({ ack: 7, limit: 99 });
  const a = bigChunk(outbox, 1, control);
  t.deepEqual(a.wire.subarray(a.wire.length - control.length), control, "the control goes after the envelopes, in their chunk");
  const b = bigChunk(outbox, 2);
  outbox.control({ ack: a.last });
  t.is(pooledBufferBytes(), 0, "a's control may still be unread");
  const c = bigChunk(outbox, 3);
  t.deepEqual(a.wire, a.copy, "a's bytes, control included, are intact after the next chunk was written");
  outbox.control({ ack: b.last });
  t.is(pooledBufferBytes(), a.wire.buffer.byteLength, "once b is acknowledged, a's buffer is free");
  const d = bigChunk(outbox, 4);
  t.is(d.wire.buffer, a.wire.buffer, "and the next chunk is written into it");
  t.deepEqual(b.wire, b.copy);
  t.deepEqual(c.wire, c.copy);
});

test.serial("chunks a replay handed to a new stream are never reused, acknowledged or not", (t) => {
  drainPool();
  const outbox = new Outbox(unbounded, unbounded);
  const a = bigChunk(outbox, 1);
  const b = bigChunk(outbox, 2);
  const replayed = outbox.replayFrom(0);
  t.is(replayed.length, 2);
  outbox.control({ ack: a.last });
  outbox.control({ ack: b.last });
  const later = [bigChunk(outbox, 3), bigChunk(outbox, 4), bigChunk(outbox, 5)];
  for (const c of later) outbox.control({ ack: c.last });
  const more = [bigChunk(outbox, 6), bigChunk(outbox, 7)];
  t.deepEqual(a.wire, a.copy, "the first stream may still hold a");
  t.deepEqual(b.wire, b.copy);
  for (const c of [...later, ...more]) {
    t.not(c.wire.buffer, a.wire.buffer);
    t.not(c.wire.buffer, b.wire.buffer);
  }
  // Chunks written after the replay went to one stream only: those are reused.
  t.true(more.some((c) => later.some((l) => l.wire.buffer === c.wire.buffer)), "chunks sealed after the replay are reused");
});

test.serial("a kept chunk counts its whole buffer against the Outbox's byte bound", (t) => {
  drainPool();
  const outbox = new Outbox(unbounded, { messages: 1_000_000, bytes: 120 * KiB });
  const a = bigChunk(outbox, 1);
  t.is(a.wire.buffer.byteLength, 64 * KiB);
  t.true(outbox.hasCredit, "50 KB in a 64 KiB buffer: 64 KiB of 120 kept");
  bigChunk(outbox, 2);
  t.false(outbox.hasCredit, "two buffers, 128 KiB, are past 120 KiB (their envelopes are 101 KB)");
  outbox.control({ ack: a.last });
  t.true(outbox.hasCredit, "acknowledging a frees its whole buffer");
});

test.serial("a control with nothing to seal is a chunk of its own, numbered as what follows, and is not kept", (t) => {
  const outbox = new Outbox(unbounded, unbounded);
  const control = encodeControl({ ack: 3 });
  t.deepEqual(outbox.take(control), { first: 1, chunk: control });
  t.is(outbox.take(), undefined);
  const a = bigChunk(outbox, 1);
  t.deepEqual(outbox.take(control), { first: 101, chunk: control });
  t.deepEqual(outbox.replayFrom(0).map((s) => s.chunk), [a.wire], "the replay holds the envelopes only");
});
