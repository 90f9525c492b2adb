/**
 * A resumed pair replays every envelope after the last one the peer has,
 * starting inside a sealed chunk when the peer has part of it. The Outbox
 * keeps only each chunk and its envelope count, and finds where envelope k
 * starts from the envelopes' own length headers: for every point a replay
 * can start, the bytes replayed must be exactly the envelopes after it,
 * whatever their sizes (lengths of one to three significant bytes).
 */
import test from "ava";
import { encodeEnvelope } from "../runtime/core/envelope.js";
import { PairFlag, endPayload } from "../runtime/core/pair.js";
import { Outbox } from "../runtime/core/pair-window.js";
import type { BinaryWriter } from "../runtime/core/writer.js";

/** Writes a message's bytes as they are: the envelope's payload is the message. */
const rawCodec = { write: (m: Uint8Array, w: BinaryWriter) => w.raw(m) };

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
};

test("replayFrom(k) gives exactly the envelopes after k, from inside chunks as from their starts", (t) => {
  const sizes = [0, 1, 60, 255, 256, 300, 4, 70_000, 17, 65_536, 2, 129];
  const outbox = new Outbox({ messages: 1000, bytes: Infinity }, { messages: 1000, bytes: Infinity });
  const envelopes: Uint8Array[] = [];
  sizes.forEach((n, i) => {
    const payload = Uint8Array.from({ length: n }, (_, j) => (i * 31 + j) & 0xff);
    outbox.add(rawCodec, payload);
    envelopes.push(encodeEnvelope(0, payload));
    // Sealed in chunks of one, two and four envelopes.
    if (i === 0 || i === 2 || i === 6 || i === 7) t.truthy(outbox.take());
  });
  const end = endPayload();
  outbox.addEnd(end);
  envelopes.push(encodeEnvelope(PairFlag.End, end));
  t.truthy(outbox.take());
  for (let received = 0; received <= envelopes.length; received++) {
    const replay = outbox.replayFrom(received);
    const bytes = concat(replay.map((s) => s.chunk));
    t.deepEqual(bytes, concat(envelopes.slice(received)), `replay after ${received} envelopes`);
    if (received < envelopes.length) t.is(replay[0]!.first, received + 1, `the first replayed after ${received} is ${received + 1}`);
    else t.is(replay.length, 0);
    // Each replayed chunk's `first` numbers its first envelope.
    let next = received + 1;
    for (const s of replay) {
      t.is(s.first, next);
      let bytes = 0;
      while (bytes < s.chunk.length) bytes += envelopes[next++ - 1]!.length;
      t.is(bytes, s.chunk.length, `the chunk from ${s.first} ends where an envelope ends`);
    }
    t.is(next, envelopes.length + 1);
  }
});

test("after an ack, a replay from before it is refused and the acknowledged chunks are gone", (t) => {
  const outbox = new Outbox({ messages: 100, bytes: Infinity }, { messages: 100, bytes: Infinity });
  for (let i = 0; i < 6; i++) {
    outbox.add(rawCodec, new Uint8Array(10 + i));
    if (i % 2 === 1) outbox.take();
  }
  outbox.control({ ack: 3 });
  t.throws(() => outbox.replayFrom(2), { message: /cannot resume: the peer has 2 envelopes, this side keeps 4–6/ });
  const replay = outbox.replayFrom(3);
  t.deepEqual(
    replay.map((s) => s.first),
    [4, 5],
    "envelope 4 from inside the chunk of 3–4, then the chunk of 5–6",
  );
  t.is(replay[0]!.chunk.length, 5 + 13);
});
