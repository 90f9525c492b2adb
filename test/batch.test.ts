/**
 * Write batching: envelopes gathered into one chunk, byte-identical to
 * encoding them one by one, and flushed once per tick or at a size threshold.
 */
import test from "ava";
import { EnvelopeBatch, Flusher } from "../runtime/core/batch.js";
import { EnvelopeDecoder, encodeEnvelope } from "../runtime/core/envelope.js";
import { Code, StreampathError } from "../runtime/core/error.js";

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
const payload = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test("a batch is the concatenation of its envelopes; take() resets it", (t) => {
  const batch = new EnvelopeBatch();
  t.is(batch.take(), undefined, "nothing added");
  const envelopes = [
    encodeEnvelope(0, payload(3, 1)),
    encodeEnvelope(2, payload(0, 0)),
    encodeEnvelope(1, payload(70, 9)),
  ];
  batch.add(0, payload(3, 1));
  batch.add(2, payload(0, 0));
  batch.addEncoded(envelopes[2]);
  t.is(batch.count, 3);
  t.is(batch.bytes, 8 + 5 + 75);
  const chunk = batch.take()!;
  t.is(hex(chunk), envelopes.map(hex).join(""));
  t.is(batch.count, 0);
  t.is(batch.bytes, 0);
  t.is(batch.take(), undefined, "taken");
});

test("the buffer grows by doubling and every envelope survives it", (t) => {
  const batch = new EnvelopeBatch({ initialBytes: 8 });
  const expected: string[] = [];
  for (let i = 0; i < 200; i++) {
    const data = payload(i % 37, i & 0xff);
    batch.add(i & 3, data);
    expected.push(`${i & 3}:${hex(data)}`);
  }
  const decoded = new EnvelopeDecoder({ maxMessageBytes: 100 }).decode(batch.take()!);
  t.deepEqual(
    decoded.map((e) => `${e.flags}:${hex(e.data)}`),
    expected,
  );
});

test("a taken chunk is never touched again, whether copied or handed over", (t) => {
  for (const size of [10, 10_000]) {
    const batch = new EnvelopeBatch({ initialBytes: 64 });
    const data = payload(size, 0xaa);
    batch.add(0, data);
    data.fill(0xbb); // add() copied the payload
    const first = batch.take()!;
    const before = hex(first);
    t.true(before.endsWith("aaaa"), `size ${size}`);
    for (let i = 0; i < 50; i++) batch.add(1, payload(size, 0xcc));
    batch.take();
    batch.add(1, payload(5, 0xdd));
    t.is(hex(first), before, `size ${size}: later adds left the first chunk alone`);
  }
});

test("invalid envelopes and options are refused", (t) => {
  const batch = new EnvelopeBatch();
  t.is(t.throws(() => batch.add(256, payload(1, 0)), { instanceOf: StreampathError })?.code, Code.Internal);
  const bad = encodeEnvelope(0, payload(4, 0));
  t.is(t.throws(() => batch.addEncoded(bad.subarray(0, 7)), { instanceOf: StreampathError })?.code, Code.Internal);
  t.is(t.throws(() => batch.addEncoded(payload(3, 0)), { instanceOf: StreampathError })?.code, Code.Internal);
  t.is(batch.count, 0, "nothing half-added");
  t.is(
    t.throws(() => new EnvelopeBatch({ initialBytes: 0 }), { instanceOf: StreampathError })?.code,
    Code.InvalidArgument,
  );
});

/** A batch, a flusher over it, and the chunks it wrote. */
function setup(maxBytes: number) {
  const batch = new EnvelopeBatch();
  const writes: Uint8Array[] = [];
  const flusher = new Flusher(
    () => {
      const chunk = batch.take();
      if (chunk !== undefined) writes.push(chunk);
    },
    { maxBytes, pending: () => batch.bytes },
  );
  const send = (fill: number, size = 10) => {
    batch.add(0, payload(size, fill));
    flusher.notify();
  };
  return { batch, writes, flusher, send };
}

test("N envelopes in one tick go out in one write, on a microtask", async (t) => {
  const { writes, send } = setup(1 << 20);
  for (let i = 0; i < 100; i++) send(i);
  t.is(writes.length, 0, "nothing written synchronously");
  await Promise.resolve();
  t.is(writes.length, 1, "one write after the microtask");
  t.is(new EnvelopeDecoder({ maxMessageBytes: 100 }).decode(writes[0]).length, 100);
  await tick();
  t.is(writes.length, 1, "and no other");
  send(1);
  send(2);
  await tick();
  t.is(writes.length, 2, "the next tick's envelopes are the next write");
});

test("reaching maxBytes flushes at once, and the tick's remainder follows in one write", async (t) => {
  const { writes, send } = setup(100);
  const fills: number[] = [];
  for (let i = 0; i < 10; i++) {
    send(i, 20); // 25 bytes each: every fourth one reaches 100
    fills.push(i);
  }
  t.is(writes.length, 2, "two immediate flushes of four envelopes");
  t.deepEqual(
    writes.map((w) => w.length),
    [100, 100],
  );
  await tick();
  t.is(writes.length, 3, "the last two in one write");
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 100 });
  t.deepEqual(
    writes.flatMap((w) => decoder.decode(w)).map((e) => e.data[0]),
    fills,
    "in order, none lost or repeated",
  );
});

test("flushNow() writes at once and drops the scheduled flush; cancel() drops it", async (t) => {
  const a = setup(1 << 20);
  a.send(1);
  a.flusher.flushNow();
  t.is(a.writes.length, 1);
  let flushes = 0;
  const counting = new Flusher(() => flushes++, { maxBytes: 10, pending: () => 0 });
  counting.notify();
  counting.flushNow();
  await tick();
  t.is(flushes, 1, "the scheduled flush did not run as well");
  counting.notify();
  counting.cancel();
  await tick();
  t.is(flushes, 1, "canceled");
  counting.notify();
  await tick();
  t.is(flushes, 2, "notify works again after cancel");
});

test("MessageBatch with handOver: a big batch is handed over uncopied, and later adds never touch it", async (t) => {
  const { MessageBatch } = await import("../runtime/core/batch.js");
  const raw = { write: (m: Uint8Array, w: import("../runtime/core/writer.js").BinaryWriter) => w.raw(m) };
  const batch = new MessageBatch(true);
  batch.add(raw, payload(40_000, 0xaa)); // grows the 16 KiB writer to 64 KiB, 40,005 of it used
  const big = batch.take()!;
  t.is(big.length, 40_005);
  t.true(big.buffer.byteLength >= big.length && big.buffer.byteLength <= 2 * big.length, "its own buffer, at most twice its size");
  const before = hex(big);
  for (let i = 0; i < 3; i++) {
    batch.add(raw, payload(40_000, 0xbb));
    batch.take();
  }
  batch.add(raw, payload(10, 0xcc));
  const small = batch.take()!;
  t.is(hex(small), "000000000a" + "cc".repeat(10));
  t.not(small.buffer, big.buffer);
  t.is(hex(big), before, "the handed-over chunk was left alone");
});

test("MessageBatch: a chunk given back once written is filled again; nothing else is", async (t) => {
  const { MessageBatch } = await import("../runtime/core/batch.js");
  const raw = { write: (m: Uint8Array, w: import("../runtime/core/writer.js").BinaryWriter) => w.raw(m) };
  const batch = new MessageBatch(true);
  batch.add(raw, payload(40_000, 0xaa));
  const first = batch.take()!;
  t.true(batch.lastLent);
  batch.recycle(first); // its write completed
  batch.add(raw, payload(40_000, 0xbb));
  const second = batch.take()!;
  t.is(second.buffer, first.buffer, "the written chunk's buffer, filled again");
  t.true(hex(second).endsWith("bbbb"));

  batch.add(raw, payload(40_000, 0xcc));
  const third = batch.take()!;
  t.not(third.buffer, second.buffer, "not given back: a new buffer");
  batch.add(raw, payload(10, 0xdd));
  const small = batch.take()!;
  t.false(batch.lastLent, "a small batch is copied out");
  batch.recycle(small); // not the batch's buffer: ignored
  batch.add(raw, payload(40_000, 0xee));
  t.not(batch.take()!.buffer, small.buffer);
  t.true(hex(third).endsWith("cccc"), "left alone");
});

test("MessageBatch without handOver (a pair's replay window): every chunk is an exact copy", async (t) => {
  const { MessageBatch } = await import("../runtime/core/batch.js");
  const raw = { write: (m: Uint8Array, w: import("../runtime/core/writer.js").BinaryWriter) => w.raw(m) };
  const batch = new MessageBatch();
  batch.add(raw, payload(40_000, 0xaa));
  const chunk = batch.take()!;
  t.false(batch.lastLent);
  t.is(chunk.length, 40_005);
  t.is(chunk.buffer.byteLength, 40_005, "its own buffer, of exactly its size");
  batch.add(raw, payload(40_000, 0xbb));
  t.true(hex(chunk).endsWith("aaaa"), "the next batch did not touch it");
});
