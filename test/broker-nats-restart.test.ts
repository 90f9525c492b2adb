/**
 * nats-server killed (SIGKILL) and started again on the same port and store directory, while
 * a publisher and a subscriber (two broker instances) are busy: publish fails Unavailable while
 * the server is down, a retry with the same id is stored once, the subscription reconnects and
 * goes on from its cursor with nothing lost or repeated, and the data survives the restart.
 * And while it is down, a waiting subscription still ends on abort and fails on close.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/error.js";
import { createNatsBroker, type NatsBroker } from "../runtime/host/broker-nats.js";
import type { BrokerMessage } from "../runtime/host/broker.js";
import { bytes, take, text } from "./helpers/broker-contract.js";
import { startNats } from "./helpers/nats.js";
import { waitFor } from "./helpers/host.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("nats: publish and subscribe across a server restart: Unavailable while down, then no loss, no duplicate", async (t) => {
  const server = await startNats(t);
  const open = async (): Promise<NatsBroker> => {
    const broker = await createNatsBroker({ servers: server.url, publishTimeoutMs: 2_000, connection: { reconnectTimeWait: 100 } });
    t.teardown(() => broker.close());
    return broker;
  };
  const [publisher, subscriber] = [await open(), await open()];
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const got: BrokerMessage[] = [];
  const reading = (async () => {
    for await (const m of subscriber.subscribe("events", { after: 0n, signal: abort.signal })) if (got.push(m) >= 300) return;
  })();

  // Each message is published until it is stored, with the same id: the retry after an
  // Unavailable whose message was stored after all is a duplicate, stored once.
  const failures: string[] = [];
  const publishing = (async () => {
    for (let i = 1; i <= 300; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          await publisher.publish("events", bytes(`m${i}`), { id: `m${i}` });
          break;
        } catch (err) {
          t.true(err instanceof StreampathError && err.code === Code.Unavailable, String(err));
          if (attempt > 200) throw err;
          failures.push((err as StreampathError).message);
          await sleep(50);
        }
      }
      if (i === 100) await waitFor(() => got.length >= 100, 10_000, "100 messages read before the kill");
      else await sleep(2);
    }
  })();

  await waitFor(() => got.length >= 100, 10_000, "100 messages read");
  await server.kill();
  const downAt = Date.now();
  const down = (await t.throwsAsync(publisher.publish("events", bytes("while down")))) as StreampathError;
  t.is(down.code, Code.Unavailable);
  t.true(Date.now() - downAt < 2_500, `publish failed after ${Date.now() - downAt} ms`);
  await sleep(500);
  await server.start();
  await publishing;
  await Promise.race([reading, sleep(20_000)]);
  t.log(`${failures.length} publishes failed Unavailable while the server was down, e.g. ${failures[0]}`);
  t.true(failures.length > 0, "some publishes met the server down");

  t.is(got.length, 300, `read ${got.length}`);
  t.deepEqual(got.map((m) => text(m.data)), Array.from({ length: 300 }, (_, i) => `m${i + 1}`), "every message once, in order");
  t.deepEqual(got.map((m) => m.position), got.map((_, i) => BigInt(i + 1)));

  // The data survived the restart: a new instance reads it all from the start.
  const fresh = await open();
  t.is(await fresh.last("events"), 300n);
  const again = await take(fresh.subscribe("events", { after: 0n, signal: abort.signal }), 300);
  t.deepEqual(again.map((m) => text(m.data)), got.map((m) => text(m.data)));
  t.deepEqual(await fresh.publish("events", bytes("m5"), { id: "m5" }), { position: 5n, duplicate: true }, "dedup survived the restart");
});

test("nats: while the server is down, a waiting subscription ends on abort, fails Unavailable on close, and last() fails Unavailable", async (t) => {
  const server = await startNats(t);
  const broker = await createNatsBroker({ servers: server.url, connection: { reconnectTimeWait: 100 } });
  t.teardown(() => broker.close());
  await broker.publish("events", bytes("one"));
  const abort = new AbortController();
  const aborted = take(broker.subscribe("events", { after: 1n, signal: abort.signal }), 1, 10_000);
  const open = take(broker.subscribe("events", { after: 1n }), 1, 10_000);
  await sleep(200);
  await server.kill();
  await sleep(300);
  t.is(((await t.throwsAsync(broker.last("events"))) as StreampathError).code, Code.Unavailable);
  const abortedAt = Date.now();
  abort.abort();
  t.deepEqual(await aborted, []);
  t.true(Date.now() - abortedAt < 1_000, `ended ${Date.now() - abortedAt} ms after the abort`);
  const closedAt = Date.now();
  await broker.close();
  const closed = (await t.throwsAsync(open)) as StreampathError;
  t.is(closed.code, Code.Unavailable);
  t.true(Date.now() - closedAt < 2_000, `failed ${Date.now() - closedAt} ms after close`);
});
