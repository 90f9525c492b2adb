/**
 * The envelope decoder: the same bytes decode to the same envelopes however
 * the stream is split; a hostile length is refused before it is allocated;
 * a stream cut inside an envelope is an error.
 */
import test from "ava";
import {
  ENVELOPE_HEADER_BYTES,
  type Envelope,
  EnvelopeDecoder,
  EnvelopeFlag,
  encodeEnvelope,
  writeEnvelopeHeader,
} from "../runtime/core/envelope.js";
import { Code, StreampathError } from "../runtime/core/error.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
const show = (envelopes: Envelope[]) => envelopes.map((e) => `${e.flags}:${hex(e.data)}`);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Seeded envelopes: empty ones, small ones, and a few larger than a typical chunk. */
function randomEnvelopes(r: Rng, n: number): Envelope[] {
  const out: Envelope[] = [];
  for (let i = 0; i < n; i++) {
    const length = r.chance(0.1) ? 0 : r.chance(0.05) ? 5_000 + r.below(20_000) : r.below(300);
    const data = new Uint8Array(length);
    for (let j = 0; j < length; j++) data[j] = r.below(256);
    out.push({ flags: r.pick([0, EnvelopeFlag.Compressed, EnvelopeFlag.EndStream, 0xff]), data });
  }
  return out;
}

/** Feeds `stream` to a fresh decoder in chunks of the sizes `next` picks; ends it cleanly. */
function decodeSplit(stream: Uint8Array, next: () => number, max = 1 << 20): Envelope[] {
  const decoder = new EnvelopeDecoder({ maxMessageBytes: max });
  const out: Envelope[] = [];
  for (let at = 0; at < stream.length;) {
    const size = Math.min(next(), stream.length - at);
    out.push(...decoder.decode(stream.subarray(at, at + size)));
    at += size;
  }
  decoder.end();
  return out;
}

test("encodeEnvelope writes flags and a big-endian length", (t) => {
  const env = encodeEnvelope(EnvelopeFlag.EndStream, new Uint8Array([7, 8, 9]));
  t.is(hex(env), "0200000003070809");
  t.is(hex(encodeEnvelope(0, new Uint8Array(0x0304)).subarray(0, 5)), "0000000304");
  // Lengths with the top bit set stay unsigned (written without allocating 4 GiB).
  const header = new Uint8Array(5);
  writeEnvelopeHeader(header, 0, 1, 0xfffffffe);
  t.is(hex(header), "01fffffffe");
  t.is(
    t.throws(() => writeEnvelopeHeader(header, 0, 0, 2 ** 32), { instanceOf: StreampathError })?.code,
    Code.ResourceExhausted,
  );
  t.is(hex(encodeEnvelope(0x81, new Uint8Array(0))), "8100000000");
  for (const flags of [256, -1, 1.5]) {
    const error = t.throws(() => encodeEnvelope(flags, new Uint8Array(1)), { instanceOf: StreampathError });
    t.is(error?.code, Code.Internal);
  }
});

test("one chunk, 1-byte, 2-byte and random splits decode to the same envelopes", (t) => {
  const label = "envelope splits";
  for (let i = 0; i < 8; i++) {
    const r = new Rng(seedFor(label) + i);
    const expected = randomEnvelopes(r, 60);
    const stream = concat(expected.map((e) => encodeEnvelope(e.flags, e.data)));
    const want = show(expected);
    const where = seedInfo(label, i);
    t.deepEqual(show(decodeSplit(stream, () => stream.length)), want, `one chunk ${where}`);
    t.deepEqual(show(decodeSplit(stream, () => 1)), want, `1-byte chunks ${where}`);
    t.deepEqual(show(decodeSplit(stream, () => 2)), want, `2-byte chunks ${where}`);
    t.deepEqual(show(decodeSplit(stream, () => 1 + r.below(12))), want, `small random chunks ${where}`);
    t.deepEqual(show(decodeSplit(stream, () => 1 + r.below(20_000))), want, `large random chunks ${where}`);
  }
});

test("a chunk holding many envelopes returns them all, in order", (t) => {
  const parts = [1, 2, 3, 4].map((n) => encodeEnvelope(n, new Uint8Array(n).fill(n)));
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 100 });
  t.deepEqual(show(decoder.decode(concat(parts))), ["1:01", "2:0202", "3:030303", "4:04040404"]);
  t.is(decoder.buffered, 0);
  t.notThrows(() => decoder.end());
});

test("an envelope inside one chunk is a plain Uint8Array view of it; a split one is a fresh copy", (t) => {
  const stream = Buffer.concat([
    Buffer.alloc(3),
    encodeEnvelope(0, new Uint8Array([1, 2, 3])),
    encodeEnvelope(0, new Uint8Array([4, 5, 6, 7])),
  ]);
  // A chunk that is itself a view at an offset, and a Node Buffer.
  const chunk = stream.subarray(3, 3 + 8 + 7);
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 100 });
  const [first] = decoder.decode(chunk);
  t.is(first.data.constructor, Uint8Array);
  t.is(first.data.buffer, stream.buffer, "no copy");
  t.is(first.data.byteOffset, chunk.byteOffset + ENVELOPE_HEADER_BYTES);
  t.is(hex(first.data), "010203");

  const rest = Buffer.from(stream.subarray(3 + 8 + 7));
  t.is(decoder.buffered, 5 + 2, "the second header and two payload bytes");
  const [second] = decoder.decode(rest);
  t.is(second.data.constructor, Uint8Array);
  t.not(second.data.buffer, stream.buffer);
  t.not(second.data.buffer, rest.buffer);
  stream.fill(0xee);
  rest.fill(0xee);
  t.is(hex(second.data), "04050607", "the decoder copied the split envelope and keeps no chunk");
});

test("buffered counts the bytes of the envelope in progress", (t) => {
  const stream = encodeEnvelope(0, new Uint8Array(10));
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 100 });
  t.deepEqual(decoder.decode(stream.subarray(0, 3)), []);
  t.is(decoder.buffered, 3);
  t.deepEqual(decoder.decode(stream.subarray(3, 5)), []);
  t.is(decoder.buffered, 5);
  t.deepEqual(decoder.decode(stream.subarray(5, 9)), []);
  t.is(decoder.buffered, 9);
  t.is(decoder.decode(stream.subarray(9)).length, 1);
  t.is(decoder.buffered, 0);
});

test("a length at the limit is accepted, one above it is not", (t) => {
  const ok = new EnvelopeDecoder({ maxMessageBytes: 4 });
  t.is(ok.decode(encodeEnvelope(0, new Uint8Array(4))).length, 1);
  const tooBig = new EnvelopeDecoder({ maxMessageBytes: 4 });
  const error = t.throws(() => tooBig.decode(encodeEnvelope(0, new Uint8Array(5))), { instanceOf: StreampathError });
  t.is(error?.code, Code.ResourceExhausted);
  t.is(error?.message, "message of 5 bytes exceeds the limit of 4 bytes");
});

test("a 2 GiB length is refused after exactly 5 bytes, without allocating it", (t) => {
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 1 << 20 });
  const header = new Uint8Array([0, 0x80, 0, 0, 0]);
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 4; i++) t.deepEqual(decoder.decode(header.subarray(i, i + 1)), [], `byte ${i + 1}`);
  const error = t.throws(() => decoder.decode(header.subarray(4, 5)), { instanceOf: StreampathError });
  const grown = process.memoryUsage().arrayBuffers - before;
  t.is(error?.code, Code.ResourceExhausted);
  t.is(error?.message, "message of 2147483648 bytes exceeds the limit of 1048576 bytes");
  t.true(grown < 1 << 20, `array buffers grew by ${grown} bytes`);
  // The decoder stays failed, with the same error.
  t.is(
    t.throws(() => decoder.decode(new Uint8Array(1))),
    error,
  );
  t.is(
    t.throws(() => decoder.end()),
    error,
  );
});

test("an oversized header after good envelopes in one chunk fails the chunk", (t) => {
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 100 });
  const chunk = concat([encodeEnvelope(0, new Uint8Array(3)), new Uint8Array([0, 0xff, 0xff, 0xff, 0xff])]);
  const error = t.throws(() => decoder.decode(chunk), { instanceOf: StreampathError });
  t.is(error?.code, Code.ResourceExhausted);
  t.is(error?.message, "message of 4294967295 bytes exceeds the limit of 100 bytes");
});

test("a stream cut inside an envelope: end() throws Internal", (t) => {
  const stream = encodeEnvelope(0, new Uint8Array(10));
  const inHeader = new EnvelopeDecoder({ maxMessageBytes: 100 });
  inHeader.decode(stream.subarray(0, 3));
  const e1 = t.throws(() => inHeader.end(), { instanceOf: StreampathError });
  t.is(e1?.code, Code.Internal);
  t.is(e1?.message, "stream ended inside an envelope: got 3 of 5 bytes");
  t.is(
    t.throws(() => inHeader.decode(stream.subarray(3))),
    e1,
    "stays failed",
  );

  const inBody = new EnvelopeDecoder({ maxMessageBytes: 100 });
  inBody.decode(stream.subarray(0, 7));
  const e2 = t.throws(() => inBody.end(), { instanceOf: StreampathError });
  t.is(e2?.code, Code.Internal);
  t.is(e2?.message, "stream ended inside an envelope: got 7 of 15 bytes");

  const atHeaderEnd = new EnvelopeDecoder({ maxMessageBytes: 100 });
  atHeaderEnd.decode(stream.subarray(0, 5));
  t.is(t.throws(() => atHeaderEnd.end())?.message, "stream ended inside an envelope: got 5 of 15 bytes");

  const clean = new EnvelopeDecoder({ maxMessageBytes: 100 });
  t.notThrows(() => clean.end(), "an empty stream is fine");
});

test("an empty chunk changes nothing; invalid limits are refused", (t) => {
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 10 });
  t.deepEqual(decoder.decode(new Uint8Array(0)), []);
  decoder.decode(new Uint8Array([1, 0]));
  t.deepEqual(decoder.decode(new Uint8Array(0)), []);
  t.is(decoder.buffered, 2);
  for (const max of [-1, 1.5, Number.NaN]) {
    const error = t.throws(() => new EnvelopeDecoder({ maxMessageBytes: max }), { instanceOf: StreampathError });
    t.is(error?.code, Code.InvalidArgument);
  }
});

/** The envelopes `each` visits, as `show` prints them, copied while the visitor runs. */
function eachSplit(stream: Uint8Array, next: () => number): string[] {
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 1 << 20 });
  const out: string[] = [];
  for (let at = 0; at < stream.length;) {
    const size = Math.min(next(), stream.length - at);
    decoder.each(stream.subarray(at, at + size), (flags, bytes, start, end) => {
      out.push(`${flags}:${hex(bytes.subarray(start, end))}`);
    });
    at += size;
  }
  decoder.end();
  return out;
}

test("each visits what decode returns, however the stream is split, in place for whole envelopes", (t) => {
  const label = "envelope each";
  for (let i = 0; i < 4; i++) {
    const r = new Rng(seedFor(label) + i);
    const expected = randomEnvelopes(r, 60);
    const stream = concat(expected.map((e) => encodeEnvelope(e.flags, e.data)));
    const want = show(expected);
    const where = seedInfo(label, i);
    t.deepEqual(eachSplit(stream, () => stream.length), want, `one chunk ${where}`);
    t.deepEqual(eachSplit(stream, () => 1), want, `1-byte chunks ${where}`);
    t.deepEqual(eachSplit(stream, () => 2), want, `2-byte chunks ${where}`);
    t.deepEqual(eachSplit(stream, () => 1 + r.below(20_000)), want, `random chunks ${where}`);
  }
  // Whole envelopes are handed over as the chunk itself, with offsets: no view is made.
  const chunk = concat([encodeEnvelope(0, new Uint8Array([1, 2])), encodeEnvelope(0, new Uint8Array([3]))]);
  const seen: [Uint8Array, number, number][] = [];
  new EnvelopeDecoder({ maxMessageBytes: 10 }).each(chunk, (_f, bytes, start, end) => void seen.push([bytes, start, end]));
  t.deepEqual(seen, [
    [chunk, 5, 7],
    [chunk, 12, 13],
  ]);
});

test("each: envelopes before a fault are visited; a visitor's error ends the decoder with it", (t) => {
  const good = encodeEnvelope(0, new Uint8Array([1]));
  const oversized = new Uint8Array(5);
  writeEnvelopeHeader(oversized, 0, 0, 11);
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 10 });
  const seen: number[] = [];
  const error = t.throws(() => decoder.each(concat([good, oversized]), (_f, bytes, start) => void seen.push(bytes[start])));
  t.deepEqual(seen, [1]);
  t.is((error as StreampathError).code, Code.ResourceExhausted);
  t.is(t.throws(() => decoder.each(good, () => undefined)), error, "every later call throws the same error");

  const refusing = new EnvelopeDecoder({ maxMessageBytes: 10 });
  const mine = new StreampathError(Code.InvalidArgument, "not this one");
  t.is(t.throws(() => refusing.each(concat([good, good]), () => { throw mine; })), mine);
  t.is(t.throws(() => refusing.decode(good)), mine);
});

test("each: a split envelope is visited as owned, in a buffer of exactly its size; a whole one is not", (t) => {
  const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(3000).fill(9)];
  const stream = concat(payloads.map((p) => encodeEnvelope(0, p)));
  const seen: { owned: boolean; bytes: Uint8Array; start: number; end: number }[] = [];
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 1 << 20 });
  // The first envelope whole in the first chunk; the second split over three.
  for (const [from, to] of [[0, 1000], [1000, 2000], [2000, stream.length]]) {
    const chunk = stream.slice(from, to);
    decoder.each(chunk, (_f, bytes, start, end, owned) => void seen.push({ owned, bytes, start, end }));
    chunk.fill(0xee); // the caller's chunk may change once each() returns
  }
  decoder.end();
  t.is(seen.length, 2);
  t.false(seen[0].owned, "a whole envelope lies in the caller's chunk");
  const split = seen[1];
  t.true(split.owned);
  t.deepEqual([split.start, split.end, split.bytes.byteOffset, split.bytes.buffer.byteLength], [0, 3000, 0, 3000]);
  t.true(split.bytes.every((b) => b === 9), "the decoder forgot its buffer: nothing overwrote it");
});
