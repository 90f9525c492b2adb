/**
 * The NATS JetStream broker, against a real nats-server (2.9 from Debian): the broker contract
 * (test/helpers/broker-contract.ts), two instances on two connections seeing one order, age
 * retention, and what it refuses up front.
 */
import test, { type ExecutionContext } from "ava";
import { Code, StreampathError } from "../runtime/core/error.js";
// Through the package entry, as users import it.
import { createNatsBroker, type NatsBroker, type NatsBrokerOptions } from "streampath/runtime/host/nats";
import { brokerContract, bytes, firstError, take, text } from "./helpers/broker-contract.js";
import { startNats } from "./helpers/nats.js";

async function natsBroker(t: ExecutionContext, servers: string, options?: Partial<NatsBrokerOptions>): Promise<NatsBroker> {
  const broker = await createNatsBroker({ servers, ...options });
  t.teardown(() => broker.close());
  return broker;
}

brokerContract("nats", async (t, limits) => natsBroker(t, (await startNats(t)).url, { limits }));

test("nats: two instances publishing at once see the same messages in the same order", async (t) => {
  const server = await startNats(t);
  const [a, b] = [await natsBroker(t, server.url), await natsBroker(t, server.url)];
  t.not(a.connection, b.connection);
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const readA = take(a.subscribe("board", { after: 0n, signal: abort.signal }), 400);
  const readB = take(b.subscribe("board", { after: 0n, signal: abort.signal }), 400);
  const send = (broker: NatsBroker, name: string) =>
    Promise.all(Array.from({ length: 200 }, (_, i) => broker.publish("board", bytes(`${name}${i}`), { id: `${name}-${i}` })));
  const [sentA, sentB] = await Promise.all([send(a, "a"), send(b, "b")]);
  const [gotA, gotB] = await Promise.all([readA, readB]);
  const order = (messages: typeof gotA) => messages.map((m) => `${m.position}:${text(m.data)}`);
  t.deepEqual(order(gotA), order(gotB));
  t.deepEqual(gotA.map((m) => m.position), gotA.map((_, i) => BigInt(i + 1)), "positions 1..400, no gap");
  t.deepEqual(new Set([...sentA, ...sentB].map((r) => r.position)).size, 400, "each publish got its own position");
  for (const m of gotA) t.is(m.id, `${text(m.data)[0]}-${text(m.data).slice(1)}`);
});

test("nats: messages older than maxAgeMs are dropped", async (t) => {
  const server = await startNats(t);
  const broker = await natsBroker(t, server.url, { limits: { maxAgeMs: 1_000 } });
  await broker.publish("aging", bytes("old 1"));
  await broker.publish("aging", bytes("old 2"));
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await broker.publish("aging", bytes("new"));
  const kept = await take(broker.subscribe("aging", { after: 0n }), 1);
  t.deepEqual([kept[0].position, text(kept[0].data)], [3n, "new"]);
  const gone = await firstError(broker.subscribe("aging", { after: 1n }));
  t.is(gone.code, Code.OutOfRange);
  t.regex(gone.message, /messages from 2 are no longer retained; the oldest kept is 3/);
});

test("nats: an unreachable server, a server without JetStream and bad options fail clearly", async (t) => {
  const gone = (await t.throwsAsync(createNatsBroker({ servers: "127.0.0.1:1", connection: { maxReconnectAttempts: 0 } }))) as StreampathError;
  t.is(gone.code, Code.Unavailable);
  t.regex(gone.message, /cannot connect to NATS at 127\.0\.0\.1:1/);
  const plain = await startNats(t, { jetstream: false });
  const noJs = (await t.throwsAsync(createNatsBroker({ servers: plain.url }))) as StreampathError;
  t.is(noJs.code, Code.FailedPrecondition);
  t.regex(noJs.message, /has no JetStream \(run nats-server -js\)/);
  const prefix = (await t.throwsAsync(createNatsBroker({ servers: "127.0.0.1:1", stream: "a.b" }))) as StreampathError;
  t.is(prefix.code, Code.InvalidArgument);
  t.regex(prefix.message, /bad stream prefix "a\.b"/);
  const batch = (await t.throwsAsync(createNatsBroker({ servers: "127.0.0.1:1", batch: 0 }))) as StreampathError;
  t.regex(batch.message, /NATS broker option batch must be a positive integer, got 0/);
});
