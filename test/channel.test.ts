/**
 * Bounded channels: back-pressure (a full channel holds sends back), and the
 * close, fail and cancel ends, each seen by the right side exactly once.
 */
import test from "ava";
import { Channel } from "../runtime/core/channel.js";
import { Code, StreampathError } from "../runtime/core/error.js";

/** Lets every pending promise callback run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts a send and records how it settled. */
function track(promise: Promise<void>) {
  const state: { settled: "pending" | "resolved" | "rejected"; error?: unknown } = { settled: "pending" };
  promise.then(
    () => (state.settled = "resolved"),
    (error) => {
      state.settled = "rejected";
      state.error = error;
    },
  );
  return state;
}

test("capacity 4 and no reader: four sends resolve, the fifth waits until a read makes room", async (t) => {
  const channel = new Channel<number>(4);
  const sends = [0, 1, 2, 3, 4].map((i) => track(channel.send(i)));
  await tick();
  t.deepEqual(
    sends.map((s) => s.settled),
    ["resolved", "resolved", "resolved", "resolved", "pending"],
  );
  t.is(channel.size, 4);

  const sixth = track(channel.send(5));
  const it = channel[Symbol.asyncIterator]();
  t.deepEqual(await it.next(), { done: false, value: 0 });
  await tick();
  t.is(sends[4].settled, "resolved", "one read lets one send in");
  t.is(sixth.settled, "pending", "and only one");
  t.is(channel.size, 4);
});

test("a producer far ahead of its consumer never makes the queue grow past capacity", async (t) => {
  const channel = new Channel<number>(4);
  let maxSize = 0;
  const producer = (async () => {
    for (let i = 0; i < 500; i++) {
      await channel.send(i);
      maxSize = Math.max(maxSize, channel.size);
    }
    channel.close();
  })();
  const received: number[] = [];
  for await (const value of channel) {
    t.true(channel.size <= 4);
    received.push(value);
    if (value % 50 === 0) await tick(); // a slow consumer now and then
  }
  await producer;
  t.deepEqual(
    received,
    Array.from({ length: 500 }, (_, i) => i),
  );
  t.true(maxSize <= 4, `max size ${maxSize}`);

  // Sends that are not awaited are held back as well: they wait outside the queue.
  const eager = new Channel<number>(3);
  const pending = Array.from({ length: 100 }, (_, i) => eager.send(i));
  t.is(eager.size, 3, "a hundred sends at once: three queued, the rest wait");
  const it = eager[Symbol.asyncIterator]();
  for (let i = 0; i < 100; i++) {
    t.deepEqual(await it.next(), { done: false, value: i });
    t.true(eager.size <= 3);
  }
  await Promise.all(pending);
});

test("a waiting reader gets the next send directly", async (t) => {
  const channel = new Channel<string>(2);
  const it = channel[Symbol.asyncIterator]();
  const read = it.next();
  await channel.send("a");
  t.is(channel.size, 0, "not queued: handed to the reader");
  t.deepEqual(await read, { done: false, value: "a" });
});

test("close: the consumer drains what was sent, then sees the end; later sends are refused", async (t) => {
  const channel = new Channel<number>(2);
  await channel.send(1);
  await channel.send(2);
  const third = channel.send(3); // waits for room
  channel.close();
  t.is((await t.throwsAsync(channel.send(4), { instanceOf: StreampathError }))?.code, Code.FailedPrecondition);
  const received: number[] = [];
  for await (const value of channel) received.push(value);
  await third;
  t.deepEqual(received, [1, 2, 3], "a send made before close() is delivered");

  const empty = new Channel<number>(1);
  const it = empty[Symbol.asyncIterator]();
  const read = it.next();
  empty.close();
  t.deepEqual(await read, { done: true, value: undefined }, "a waiting reader sees the end");
  t.deepEqual(await it.next(), { done: true, value: undefined });
  empty.fail(new Error("late")); // close() came first
  t.deepEqual(await it.next(), { done: true, value: undefined });
});

test("fail: queued items are dropped, the next read and pending sends reject with it", async (t) => {
  const channel = new Channel<number>(1);
  await channel.send(1);
  const waiting = channel.send(2);
  const cause = new Error("upstream broke");
  channel.fail(cause);
  t.is(channel.size, 0);
  const sendError = await t.throwsAsync(waiting, { instanceOf: StreampathError });
  t.is(sendError?.code, Code.Unknown);
  t.is(sendError?.message, "upstream broke");
  t.is(sendError?.cause, cause);
  const it = channel[Symbol.asyncIterator]();
  t.is(await t.throwsAsync(it.next()), sendError, "the same error, every time");
  t.is(await t.throwsAsync(it.next()), sendError);
  t.is(await t.throwsAsync(channel.send(3)), sendError);

  const known = new StreampathError(Code.DataLoss, "gap");
  const other = new Channel<number>(1);
  const oit = other[Symbol.asyncIterator]();
  const read = oit.next();
  other.fail(known);
  t.is(await t.throwsAsync(read), known, "a waiting read rejects; a StreampathError is kept as it is");
});

test("breaking out of for-await cancels: sends reject with Canceled, onCancel fires once", async (t) => {
  const reasons: StreampathError[] = [];
  const channel = new Channel<number>(2, { onCancel: (reason) => reasons.push(reason) });
  await channel.send(1);
  await channel.send(2);
  const third = channel.send(3);
  const fourth = channel.send(4);
  for await (const value of channel) {
    t.is(value, 1); // makes room for 3; 4 still waits
    break;
  }
  await third;
  t.is(channel.size, 0, "queued items dropped");
  const error = await t.throwsAsync(fourth, { instanceOf: StreampathError });
  t.is(error?.code, Code.Canceled);
  t.is(error?.message, "the consumer stopped reading");
  t.is(await t.throwsAsync(channel.send(5)), error, "later sends too");
  t.is(reasons.length, 1);
  t.is(reasons[0], error);
  channel.cancel();
  channel.fail(new Error("after"));
  channel.close();
  t.is(reasons.length, 1, "fired once");
});

test("cancel() from outside rejects a waiting read, so it is not mistaken for the end", async (t) => {
  let canceled = 0;
  const channel = new Channel<number>(2, { onCancel: () => canceled++ });
  const it = channel[Symbol.asyncIterator]();
  const read = it.next();
  channel.cancel(new DOMException("gone", "AbortError"));
  const error = await t.throwsAsync(read, { instanceOf: StreampathError });
  t.is(error?.code, Code.Canceled);
  t.is(error?.message, "gone");
  t.is(canceled, 1);
  t.deepEqual(await it.return!(), { done: true, value: undefined });
  t.is(canceled, 1);
});

test("stopping after everything was read and closed cancels nothing", async (t) => {
  let canceled = 0;
  const channel = new Channel<number>(2, { onCancel: () => canceled++ });
  await channel.send(1);
  channel.close();
  for await (const value of channel) {
    t.is(value, 1);
    break;
  }
  t.is(canceled, 0);

  const unread = new Channel<number>(2, { onCancel: () => canceled++ });
  await unread.send(1);
  await unread.send(2);
  unread.close();
  for await (const _ of unread) break;
  t.is(canceled, 1, "leaving items unread after close() is a cancel");
});

test("capacity 0 is a rendezvous: a send settles when its value is read", async (t) => {
  const channel = new Channel<string>(0);
  const send = track(channel.send("x"));
  await tick();
  t.is(send.settled, "pending");
  t.is(channel.size, 0);
  const it = channel[Symbol.asyncIterator]();
  t.deepEqual(await it.next(), { done: false, value: "x" });
  await tick();
  t.is(send.settled, "resolved");
});

test("one consumer only; capacity must be a non-negative integer", (t) => {
  const channel = new Channel<number>(1);
  channel[Symbol.asyncIterator]();
  t.is(t.throws(() => channel[Symbol.asyncIterator](), { instanceOf: StreampathError })?.code, Code.FailedPrecondition);
  for (const capacity of [-1, 1.5, Number.NaN]) {
    t.is(t.throws(() => new Channel(capacity), { instanceOf: StreampathError })?.code, Code.InvalidArgument);
  }
});
