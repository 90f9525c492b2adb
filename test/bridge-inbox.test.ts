/**
 * The bridge's receiving half, off the browser: messages come out in packet
 * order, a packet is asked for only once the last one is taken, and a read
 * waiting on the source is settled at once by return() or fail(), which
 * tell the source to stop.
 */
import test from "ava";
import { Inbox, type PacketSource } from "../runtime/core/bridge-inbox.js";
import type { Packet, WireError } from "../runtime/core/bridge.js";
import { Code, StreampathError } from "../runtime/core/error.js";

/** A source whose reads are answered by the test: `packets` in turn, then reads that wait. */
function source(packets: Packet<number>[]) {
  const canceled: WireError[] = [];
  let reads = 0;
  const src: PacketSource<number> = {
    read: () =>
      reads++ < packets.length
        ? Promise.resolve(packets[reads - 1]!)
        : new Promise<never>(() => undefined),
    cancel: (reason) => void canceled.push(reason),
  };
  return { src, canceled, reads: () => reads };
}

test("messages come out in order, one packet asked for at a time", async (t) => {
  const packets = Array.from({ length: 2_000 }, (_, i) => ({
    messages: [2 * i, 2 * i + 1],
  }));
  const { src, reads } = source([...packets, { end: true }]);
  const inbox = new Inbox(src, 2);
  const seen: number[] = [];
  for await (const m of inbox) {
    seen.push(m);
    t.true(
      reads() <= Math.floor(seen.length / 2) + 1,
      "never more than one packet ahead of the reader",
    );
  }
  t.deepEqual(
    seen,
    Array.from({ length: 4_000 }, (_, i) => i),
  );
});

test("return() settles a read waiting on the source, and cancels it once", async (t) => {
  const { src, canceled } = source([{ messages: [1] }]);
  const inbox = new Inbox(src, 8);
  t.deepEqual(await inbox.next(), { done: false, value: 1 });
  const waiting = inbox.next();
  await inbox.return();
  t.deepEqual(await waiting, { done: true, value: undefined });
  t.deepEqual(await inbox.next(), { done: true, value: undefined });
  t.is(canceled.length, 1);
  t.is(canceled[0]!.code, Code.Canceled);
});

test("fail() ends a read waiting on the source with its error", async (t) => {
  const { src, canceled } = source([]);
  const inbox = new Inbox(src, 8);
  const waiting = inbox.next();
  const error = new StreampathError(Code.Unavailable, "the worker went away");
  inbox.fail(error);
  t.is(await t.throwsAsync(waiting), error);
  t.like(canceled, [
    { code: Code.Unavailable, message: "the worker went away" },
  ]);
});

test("a packet past the batch limit fails the direction with internal", async (t) => {
  const { src } = source([{ messages: [1, 2, 3] }]);
  const error = await t.throwsAsync(new Inbox(src, 2).next());
  t.is((error as StreampathError).code, Code.Internal);
  t.regex(
    error!.message,
    /3 messages in one packet, more than its batch limit of 2/,
  );
});
