/**
 * decodeAt: a message read in place inside a bigger buffer (an envelope of
 * a chunk) is what codec.decode gives for a copy of its bytes, and reading
 * stops at its end, not the buffer's: a field that runs past it is an error
 * even when the buffer goes on, and error positions count from its start.
 */
import test from "ava";
import { Code, MessageBatch, StreampathError, decodeAt } from "../runtime/core/index.js";
import { fromHex, generateConformance } from "./helpers/conformance-pbjs.js";
import * as random from "./helpers/random-message.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const { C } = await generateConformance("decode-at");
const { Everything } = C;

test("messages side by side in one buffer decode in place as they do alone", (t) => {
  const label = "decodeAt";
  const r = new Rng(seedFor(label));
  const messages = Array.from({ length: 40 }, () => random.everything(r));
  const batch = new MessageBatch();
  for (const m of messages) batch.add(Everything, m);
  const chunk = batch.take()!;
  let pos = 0;
  for (const [i, m] of messages.entries()) {
    const length = new DataView(chunk.buffer, chunk.byteOffset + pos + 1, 4).getUint32(0);
    const start = pos + 5;
    const end = start + length;
    const alone = Everything.decode(chunk.slice(start, end));
    t.deepEqual(decodeAt(Everything, chunk, start, end), alone, `message ${i} ${seedInfo(label, 0)}`);
    t.deepEqual(alone, Everything.decode(Everything.encode(m)));
    pos = end;
  }
  t.is(pos, chunk.length);
});

test("a field running past the message's end fails though the buffer goes on; positions count from the start", (t) => {
  // [3 bytes before] [field 1, a message of length 5, but this message is 4 bytes long] [more bytes]
  const buf = fromHex("ffffff" + "0a05010203" + "0405060708");
  const error = t.throws(() => decodeAt(Everything, buf, 3, 7), { instanceOf: StreampathError });
  t.is(error?.code, Code.InvalidArgument);
  t.regex(error!.message, /length 5 past the end \(2 bytes left\) at byte 2/);
});

test("owned: a large bytes field is a view of the buffer; small ones, and any field of a buffer not owned, are copies", (t) => {
  const big = new Uint8Array(5000).map((_, i) => i & 0xff);
  // Nested messages: the rule is the buffer's, at any depth.
  const message = Everything.create({
    optionals: C.Optionals.create({ oBytes: big }),
    repeated: C.Repeated.create({ rBytes: [new Uint8Array(2000).fill(1), new Uint8Array([7])] }),
  });
  const bytes = Everything.encode(message);
  const buffer = new Uint8Array(bytes); // a buffer of exactly the message, as the envelope decoder makes one

  const owned: any = decodeAt(Everything, buffer, 0, buffer.length, true);
  t.deepEqual(owned, Everything.decode(bytes), "the same message either way");
  t.is(owned.optionals.oBytes!.buffer, buffer.buffer, "the field of more than half the buffer is not copied");
  t.is(owned.optionals.oBytes!.constructor, Uint8Array);
  for (const b of owned.repeated.rBytes as Uint8Array[]) t.not(b.buffer, buffer.buffer, `a ${b.length}-byte field (under half) is copied`);

  const copied: any = decodeAt(Everything, buffer, 0, buffer.length);
  t.not(copied.optionals.oBytes!.buffer, buffer.buffer, "not owned: copied");
  buffer.fill(0);
  t.deepEqual(copied, Everything.decode(bytes), "a copy does not change with the buffer");
});
