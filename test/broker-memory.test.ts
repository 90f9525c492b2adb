/**
 * The in-process broker keeps the broker contract (test/helpers/broker-contract.ts), and its
 * own promises: age retention, a dedup window bounded in ids and in time, a bound on topics,
 * options checked.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/error.js";
import { createMemoryBroker } from "../runtime/host/index.js";
import { brokerContract, bytes, firstError, take } from "./helpers/broker-contract.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

brokerContract("memory", async (t, limits) => {
  const broker = await createMemoryBroker({ limits });
  t.teardown(() => broker.close());
  return broker;
});

test("memory: messages older than maxAgeMs are dropped", async (t) => {
  const broker = await createMemoryBroker({ limits: { maxAgeMs: 200 } });
  t.teardown(() => broker.close());
  await broker.publish("aging", bytes("old 1"));
  await broker.publish("aging", bytes("old 2"));
  await sleep(300);
  await broker.publish("aging", bytes("new"));
  const kept = await take(broker.subscribe("aging", { after: 0n }), 1);
  t.is(kept[0].position, 3n);
  const gone = await firstError(broker.subscribe("aging", { after: 1n }));
  t.is(gone.code, Code.OutOfRange);
  t.regex(gone.message, /messages from 2 are no longer retained; the oldest kept is 3/);
  await sleep(300);
  t.is(await broker.last("aging"), 3n, "the newest position outlives its message");
  const none = await firstError(broker.subscribe("aging", { after: 2n }));
  t.regex(none.message, /nothing is kept \(newest was 3\)/);
});

test("memory: the dedup window holds the last duplicateWindow ids, for at most duplicateWindowMs", async (t) => {
  const broker = await createMemoryBroker({ duplicateWindow: 3, duplicateWindowMs: 300 });
  t.teardown(() => broker.close());
  for (const id of ["a", "b", "c", "d"]) await broker.publish("ids", bytes(id), { id });
  t.deepEqual(await broker.publish("ids", bytes("d"), { id: "d" }), { position: 4n, duplicate: true });
  t.deepEqual(await broker.publish("ids", bytes("a"), { id: "a" }), { position: 5n, duplicate: false }, "a fell out of the window");
  await sleep(400);
  t.deepEqual(await broker.publish("ids", bytes("d"), { id: "d" }), { position: 6n, duplicate: false }, "d is too old");
});

test("memory: topics are bounded by maxTopics", async (t) => {
  const broker = await createMemoryBroker({ maxTopics: 2 });
  t.teardown(() => broker.close());
  await broker.publish("one", bytes("x"));
  await broker.publish("two", bytes("x"));
  const error = (await t.throwsAsync(broker.publish("three", bytes("x")))) as StreampathError;
  t.is(error.code, Code.ResourceExhausted);
  t.regex(error.message, /topic three: the broker already keeps maxTopics \(2\) topics/);
  await broker.publish("one", bytes("y"));
});

test("memory: bad options are refused naming the option", async (t) => {
  for (const [options, message] of [
    [{ limits: { maxMessages: 0 } }, /broker limit maxMessages must be a positive integer, got 0/],
    [{ limits: { maxAgeMs: -1 } }, /broker limit maxAgeMs must be a non-negative integer, got -1/],
    [{ duplicateWindow: 1.5 }, /memory broker option duplicateWindow must be a positive integer, got 1.5/],
  ] as const) {
    const error = (await t.throwsAsync(createMemoryBroker(options))) as StreampathError;
    t.is(error.code, Code.InvalidArgument);
    t.regex(error.message, message);
  }
});
