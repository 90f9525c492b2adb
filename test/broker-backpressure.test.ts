/**
 * A subscriber that stops reading while 50,000 messages are published holds a bounded amount:
 * nothing with the memory broker (a subscriber is a cursor over the one log), at most one fetch
 * batch with NATS (measured as the messages its connection received meanwhile). When it reads
 * on, it gets every message, in order.
 */
import v8 from "node:v8";
import vm from "node:vm";
import test from "ava";
import type { Broker, BrokerMessage } from "../runtime/host/broker.js";
import { createMemoryBroker } from "../runtime/host/index.js";
import { createNatsBroker } from "../runtime/host/broker-nats.js";
import { take } from "./helpers/broker-contract.js";
import { startNats } from "./helpers/nats.js";

const COUNT = 50_000;
const LIMITS = { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024 };
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Publishes COUNT 64-byte messages, 500 in flight; returns messages per second. */
async function flood(broker: Broker, topic: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < COUNT; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => broker.publish(topic, new Uint8Array(64).fill((i + j) % 251))));
  }
  return Math.round(COUNT / ((performance.now() - started) / 1000));
}

/** Reads the rest after `first`, checking every position follows the one before. */
async function readOn(t: import("ava").ExecutionContext, iterable: AsyncIterable<BrokerMessage>, first: BrokerMessage, count: number): Promise<void> {
  const rest = await take(iterable, count, 60_000);
  t.is(rest.length, count);
  let expected = first.position + 1n;
  const gaps = rest.filter((m) => m.position !== expected++).length;
  t.is(gaps, 0, "every position follows the one before");
}

test("memory: 20 subscribers that stop reading hold nothing while 50,000 messages are published", async (t) => {
  const broker = await createMemoryBroker({ limits: LIMITS });
  t.teardown(() => broker.close());
  // The same flood without subscribers: what the log itself takes.
  let before = heap();
  await flood(broker, "alone");
  const log = heap() - before;

  await broker.publish("watched", new Uint8Array(64));
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const stalled = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const iterable = broker.subscribe("watched", { after: 0n, signal: abort.signal });
      return { iterable, first: (await take(iterable, 1))[0] };
    }),
  );
  before = heap();
  const rate = await flood(broker, "watched");
  const watched = heap() - before;
  t.log(`log of ${COUNT} messages: ${mb(log)}; the same with 20 stalled subscribers: ${mb(watched)} (published at ${rate} msg/s)`);
  t.true(watched - log < 4 * 1024 * 1024, `20 stalled subscribers added ${mb(watched - log)}`);
  for (const { iterable, first } of stalled.slice(0, 3)) await readOn(t, iterable, first, COUNT);
});

test("nats: a subscriber that stops reading holds at most one batch while 50,000 messages are published", async (t) => {
  const server = await startNats(t);
  const batch = 256;
  const [publisher, subscriber] = await Promise.all([
    createNatsBroker({ servers: server.url, limits: LIMITS }),
    createNatsBroker({ servers: server.url, limits: LIMITS, batch }),
  ]);
  t.teardown(() => publisher.close());
  t.teardown(() => subscriber.close());
  await publisher.publish("watched", new Uint8Array(64));
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const iterable = subscriber.subscribe("watched", { after: 0n, signal: abort.signal });
  const [first] = await take(iterable, 1);

  const received = subscriber.connection.stats().inMsgs;
  const before = heap();
  const rate = await flood(publisher, "watched");
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything still on its way arrives
  const held = subscriber.connection.stats().inMsgs - received;
  t.log(`while ${COUNT} were published (${rate} msg/s) the stalled subscriber's connection received ${held} messages; heap ${mb(heap() - before)}`);
  t.true(held <= batch + 16, `received ${held} while not reading (batch ${batch})`);

  const started = performance.now();
  await readOn(t, iterable, first, COUNT);
  t.log(`then read the ${COUNT} at ${Math.round(COUNT / ((performance.now() - started) / 1000))} msg/s`);
});
