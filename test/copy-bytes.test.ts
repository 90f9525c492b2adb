/**
 * Copies of bytes (an encoded message, a decoded `bytes` field) on Node:
 * small ones are carved from a shared pool. Each must be a plain Uint8Array
 * of its own bytes that nothing else writes, and transferring one (its
 * buffer is the pool's) must not detach any other.
 */
import test from "ava";
import { MessageChannel } from "node:worker_threads";
import { allocBytes, copyBytes } from "../runtime/core/bytes.js";

const source = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);

test("copies of every size are plain, exact and independent, across pool refills", (t) => {
  const copies: [Uint8Array, number, number][] = [];
  // Sizes on both sides of the on-heap (64), pool (4 KiB) limits, enough of them to refill the 8 KiB pool many times.
  for (let i = 0; i < 400; i++) {
    const n = [0, 1, 63, 64, 65, 205, 1002, 4095, 4096, 5000][i % 10]!;
    const start = (i * 13) % 100;
    copies.push([copyBytes(source, start, start + n), start, n]);
  }
  for (const [copy] of copies) copy.fill(0xee, 0, 1); // writing one's first byte must not touch another
  for (const [i, [copy, start, n]] of copies.entries()) {
    t.is(copy.constructor, Uint8Array);
    t.is(copy.length, n);
    const expected = source.slice(start, start + n);
    if (n > 0) expected[0] = 0xee;
    t.deepEqual(copy, expected, `copy ${i} of ${n} bytes`);
  }
});

test("transferring a pooled copy's buffer detaches no other copy", async (t) => {
  const a = copyBytes(source, 0, 205);
  const b = copyBytes(source, 300, 505);
  t.is(a.buffer, b.buffer, "both from the pool");
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => (port1.close(), port2.close()));
  // Node refuses or ignores the pool in a transfer list (as for its own Buffer pool): the message is a clone.
  const received = new Promise<Uint8Array>((resolve) => port2.once("message", resolve));
  try {
    port1.postMessage(a, [a.buffer as ArrayBuffer]);
  } catch (error) {
    t.is((error as Error).name, "DataCloneError");
    port1.postMessage(a);
  }
  t.deepEqual(await received, source.slice(0, 205));
  t.is(a.length, 205, "not detached");
  t.deepEqual(b, source.slice(300, 505), "nor its neighbour");
});

test("allocBytes: a buffer of its own of exactly n bytes at offset 0 (transferable)", (t) => {
  for (const n of [0, 10, 64, 65, 4096, 70_000]) {
    const b = allocBytes(n);
    t.is(b.constructor, Uint8Array);
    t.is(b.byteOffset, 0);
    t.is(b.length, n);
    t.is(b.buffer.byteLength, n, `${n} bytes`);
  }
});
