/**
 * The broker contract (docs/broker.md) as tests, registered once per implementation by
 * test/broker-memory.test.ts, broker-file.test.ts and broker-nats.test.ts.
 */
import test, { type ExecutionContext } from "ava";
import { Code, StreampathError } from "../../runtime/core/error.js";
import type { Broker, BrokerLimits, BrokerMessage } from "../../runtime/host/broker.js";

/** A new, empty broker closed when the test ends; `limits` for its retention. */
export type MakeBroker = (t: ExecutionContext, limits?: Partial<BrokerLimits>) => Promise<Broker>;

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** Reads `count` messages from `iterable`, failing after `ms`. */
export async function take(iterable: AsyncIterable<BrokerMessage>, count: number, ms = 10_000): Promise<BrokerMessage[]> {
  const got: BrokerMessage[] = [];
  if (count === 0) return got;
  const iterator = iterable[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms with ${got.length} of ${count} messages`)), ms);
  });
  try {
    while (got.length < count) {
      const next = await Promise.race([iterator.next(), deadline]);
      if (next.done) break;
      got.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return got;
}

/** The error `iterable`'s first read fails with. */
export async function firstError(iterable: AsyncIterable<BrokerMessage>): Promise<StreampathError> {
  try {
    await take(iterable, 1, 10_000);
  } catch (err) {
    if (err instanceof StreampathError) return err;
    throw err;
  }
  throw new Error("the subscription did not fail");
}

export async function publishAll(broker: Broker, topic: string, texts: string[]): Promise<bigint[]> {
  const positions: bigint[] = [];
  for (const body of texts) positions.push((await broker.publish(topic, bytes(body))).position);
  return positions;
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

export function brokerContract(name: string, make: MakeBroker): void {
  test(`${name}: messages after a position, then live ones, in order and once each`, async (t) => {
    const broker = await make(t);
    const positions = await publishAll(broker, "orders", range(1, 20));
    t.deepEqual(positions, positions.map((_, i) => BigInt(i + 1)), "positions increase from 1");
    t.is(await broker.last("orders"), 20n);
    const abort = new AbortController();
    const live = broker.subscribe("orders", { after: 5n, signal: abort.signal });
    const catchUp = await take(live, 15);
    t.deepEqual(catchUp.map((m) => text(m.data)), range(6, 20));
    t.deepEqual(catchUp.map((m) => m.position), positions.slice(5));
    t.true(catchUp.every((m) => m.topic === "orders" && Math.abs(m.time - Date.now()) < 60_000));
    const later = take(live, 5);
    await publishAll(broker, "orders", range(21, 25));
    t.deepEqual((await later).map((m) => text(m.data)), range(21, 25));
    const all = await take(broker.subscribe("orders", { after: 0n, signal: abort.signal }), 25);
    t.deepEqual(all.map((m) => text(m.data)), range(1, 25), "after 0n: from the oldest");
    t.is(await broker.last("other"), 0n, "a topic never published to");
    abort.abort();
  });

  test(`${name}: a repeated id within the dedup window stores nothing and gives the first position`, async (t) => {
    const broker = await make(t);
    const first = await broker.publish("dedup", bytes("a"), { id: "order-1" });
    await broker.publish("dedup", bytes("b"), { id: "order-2" });
    const again = await broker.publish("dedup", bytes("a, again"), { id: "order-1" });
    t.deepEqual(first, { position: 1n, duplicate: false });
    t.deepEqual(again, { position: 1n, duplicate: true });
    t.is(await broker.last("dedup"), 2n);
    const messages = await take(broker.subscribe("dedup", { after: 0n, signal: AbortSignal.timeout(5_000) }), 2);
    t.deepEqual(messages.map((m) => [text(m.data), m.id]), [["a", "order-1"], ["b", "order-2"]]);
    t.deepEqual(await broker.publish("dedup-other", bytes("a"), { id: "order-1" }), { position: 1n, duplicate: false }, "ids are per topic");
  });

  test(`${name}: over maxMessages the oldest are dropped; a cursor behind them gets OutOfRange naming the oldest kept`, async (t) => {
    const broker = await make(t, { maxMessages: 10 });
    await publishAll(broker, "kept", range(1, 25));
    const oldest = await take(broker.subscribe("kept", { after: 0n, signal: AbortSignal.timeout(5_000) }), 10);
    t.deepEqual(oldest.map((m) => m.position), range(16, 25).map((_, i) => BigInt(16 + i)));
    const behind = await firstError(broker.subscribe("kept", { after: 3n }));
    t.is(behind.code, Code.OutOfRange);
    t.regex(behind.message, /topic kept: messages from 4 are no longer retained; the oldest kept is 16/);
    const ok = await take(broker.subscribe("kept", { after: 15n, signal: AbortSignal.timeout(5_000) }), 1);
    t.is(ok[0].position, 16n, "right at the edge is fine");
    const ahead = await firstError(broker.subscribe("kept", { after: 26n }));
    t.is(ahead.code, Code.OutOfRange);
    t.regex(ahead.message, /position 26 is past the newest \(25\)/);
  });

  test(`${name}: over maxBytes the oldest are dropped`, async (t) => {
    const broker = await make(t, { maxBytes: 4096 });
    for (let i = 1; i <= 10; i++) await broker.publish("big", new Uint8Array(1000).fill(i));
    const kept = await take(broker.subscribe("big", { after: 0n }), 1);
    t.true(kept[0].position >= 7n, `at most 4 of 1000 bytes fit in 4096; the oldest kept is ${kept[0].position}`);
    const rest = await take(broker.subscribe("big", { after: kept[0].position }), Number(10n - kept[0].position));
    t.deepEqual(rest.map((m) => m.data[0]), rest.map((_, i) => Number(kept[0].position) + 1 + i), "then the newer ones, in order");
    const gone = await firstError(broker.subscribe("big", { after: 1n }));
    t.is(gone.code, Code.OutOfRange);
  });

  test(`${name}: a subscriber that falls behind retention while subscribed gets OutOfRange when it reads on`, async (t) => {
    const broker = await make(t, { maxMessages: 10 });
    await publishAll(broker, "slow", range(1, 3));
    const iterator = broker.subscribe("slow", { after: 0n })[Symbol.asyncIterator]();
    t.is((await iterator.next()).value?.position, 1n);
    // More than a NATS subscription fetches at once (256), so some are dropped before it reads them.
    await publishAll(broker, "slow", range(4, 300));
    const seen: bigint[] = [];
    const error = await (async () => {
      for (let i = 0; i < 400; i++) seen.push(((await iterator.next()).value as BrokerMessage).position);
    })().then(() => undefined, (err: StreampathError) => err);
    t.is(error?.code, Code.OutOfRange, `read ${seen.length}`);
    t.regex(error?.message ?? "", /messages from \d+ are no longer retained; the oldest kept is \d+/);
    t.deepEqual(seen, seen.map((_, i) => BigInt(i + 2)), "what it read before was in order, without a gap");
  });

  test(`${name}: bad topics, cursors, ids and sizes are refused with what was wrong`, async (t) => {
    const broker = await make(t, { maxMessageBytes: 100 });
    for (const topic of ["", "a.b", "a b", "x".repeat(65), "ä", "a>", "a*"]) {
      const quoted = JSON.stringify(topic).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const pattern = new RegExp(`bad topic ${quoted}`);
      await t.throwsAsync(broker.publish(topic, bytes("x")), { instanceOf: StreampathError, message: pattern });
      t.throws(() => broker.subscribe(topic, { after: 0n }), { instanceOf: StreampathError, message: pattern });
      await t.throwsAsync(broker.last(topic), { instanceOf: StreampathError, message: pattern });
    }
    const invalid = (await t.throwsAsync(broker.publish("a.b", bytes("x")))) as StreampathError;
    t.is(invalid.code, Code.InvalidArgument);
    t.throws(() => broker.subscribe("ok", { after: -1n }), { message: /after must be a bigint >= 0n, got -1/ });
    t.throws(() => broker.subscribe("ok", { after: 1 as unknown as bigint }), { message: /after must be a bigint/ });
    await t.throwsAsync(broker.publish("ok", bytes("x"), { id: "has space" }), { message: /bad id "has space"/ });
    await t.throwsAsync(broker.publish("ok", "text" as unknown as Uint8Array), { message: /data must be a Uint8Array/ });
    const big = (await t.throwsAsync(broker.publish("ok", new Uint8Array(101)))) as StreampathError;
    t.is(big.code, Code.ResourceExhausted);
    t.regex(big.message, /101 bytes is over maxMessageBytes \(100\)/);
    t.is(await broker.last("ok"), 0n, "nothing was stored");
  });

  test(`${name}: aborting ends a waiting subscription; closing fails it and later calls Unavailable`, async (t) => {
    const broker = await make(t);
    await broker.publish("end", bytes("one"));
    const abort = new AbortController();
    const waiting = take(broker.subscribe("end", { after: 1n, signal: abort.signal }), 1);
    setTimeout(() => abort.abort(), 100);
    t.deepEqual(await waiting, [], "ended with a plain return");
    const open = take(broker.subscribe("end", { after: 1n }), 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await broker.close();
    const closed = (await t.throwsAsync(open)) as StreampathError;
    t.is(closed.code, Code.Unavailable);
    t.is(((await t.throwsAsync(broker.publish("end", bytes("two")))) as StreampathError).code, Code.Unavailable);
    const stopped = new AbortController();
    stopped.abort();
    const canceled = (await t.throwsAsync(broker.publish("end", bytes("x"), { signal: stopped.signal }))) as StreampathError;
    t.is(canceled.code, Code.Canceled);
  });
}
