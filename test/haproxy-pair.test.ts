/**
 * Pairs through a real load balancer: Debian's haproxy, TLS and HTTP/2 in
 * front, HTTP/2 to three instances, balancing each request round-robin.
 * Most pairs get their halves on different instances and every call still
 * completes, once and in order, with no client retry; with haproxy routing
 * pair halves by the instance named in their id, none needs forwarding.
 */
import test from "ava";
import { type EchoCluster, startEchoCluster } from "./helpers/cluster.js";
import { nodeGateway } from "./helpers/guest.js";
import { startHaproxy } from "./helpers/haproxy.js";
import { type EchoClient, type EchoRequest, type Event, loadEcho, request } from "./helpers/host.js";
import { selfSigned } from "./helpers/tls.js";
import { PairHeader } from "../runtime/core/pair.js";
import type { Fetch } from "../runtime/guest/index.js";

async function setup(
  t: import("ava").ExecutionContext,
  route: "round-robin" | "pair-id",
  upload: "stream" | "batch" = "stream",
  more: { heartbeatMs?: number; timeoutServerMs?: number } = {},
) {
  const cluster = await startEchoCluster(t, ["s1", "s2", "s3"], more.heartbeatMs ? { pair: { heartbeatMs: more.heartbeatMs } } : {});
  const backends = cluster.instances.map((i) => ({ name: i.name, url: i.url }));
  const haproxy = await startHaproxy(t, { route, tls: selfSigned(), backends, timeoutServerMs: more.timeoutServerMs });
  const sent: Record<string, number> = {};
  const counting = (fetch: Fetch): Fetch => (input, init) => {
    const half = new Headers(init.headers).get(PairHeader.half) ?? "unary";
    sent[half] = (sent[half] ?? 0) + 1;
    return fetch(input, init);
  };
  const gateway = nodeGateway(t, haproxy.url, { upload, wrapFetch: counting });
  return { cluster, client: (await loadEcho()).createEchoClient(gateway) as EchoClient, sent };
}

async function* events(call: number, n: number): AsyncGenerator<Event> {
  for (let seq = 1; seq <= n; seq++) yield { seq: BigInt(seq), payload: new Uint8Array([call & 0xff, seq & 0xff]) };
}

/** `calls` bidi, client-streaming and server-streaming calls at once; what went wrong, if anything. */
async function run(client: EchoClient, calls: number): Promise<string[]> {
  const problems: string[] = [];
  const bidi = Array.from({ length: calls }, async (_, call) => {
    let expected = 1;
    for await (const event of client.events(events(call, 100))) {
      if (Number(event.seq) !== expected || event.payload[0] !== (call & 0xff)) problems.push(`bidi ${call}: got ${event.seq} for ${expected}`);
      expected++;
    }
    if (expected !== 101) problems.push(`bidi ${call}: ${expected - 1} of 100 events`);
  });
  const clientStreams = Array.from({ length: calls }, async (_, call) => {
    async function* texts(): AsyncGenerator<EchoRequest> {
      for (let i = 0; i < 26; i++) yield request({ text: String.fromCharCode(97 + i) });
    }
    const reply = await client.collect(texts());
    if (reply.text !== "abcdefghijklmnopqrstuvwxyz") problems.push(`collect ${call}: ${reply.text}`);
  });
  const serverStreams = Array.from({ length: calls }, async (_, call) => {
    let expected = 0;
    for await (const reply of client.repeat(request({ text: `r${call}`, repeat: 200 }))) {
      if (reply.index !== expected++) problems.push(`repeat ${call}: got ${reply.index}`);
    }
    if (expected !== 200) problems.push(`repeat ${call}: ${expected} of 200`);
  });
  for (const r of await Promise.allSettled([...bidi, ...clientStreams, ...serverStreams])) {
    if (r.status === "rejected") problems.push(String(r.reason));
  }
  return problems;
}

function spread(cluster: EchoCluster): string {
  return cluster.instances.map((i) => `${i.name}: ${i.calls.length} calls`).join(", ");
}

for (const upload of ["stream", "batch"] as const) {
  test.serial(`round-robin per request, ${upload === "stream" ? "streamed ups" : "the batch fallback"}: 100 calls of each kind complete with halves on different instances`, async (t) => {
    const { cluster, client, sent } = await setup(t, "round-robin", upload);
    t.deepEqual((await run(client, 100)).slice(0, 5), []);
    t.is(sent.down, 300, "one down per call: no resume, no client retry");
    const forwarded = cluster.forwarded();
    const split = upload === "stream" ? forwarded.up : forwarded.batch;
    t.log(`${spread(cluster)}; forwarded ${JSON.stringify(forwarded)}; requests ${JSON.stringify(sent)}`);
    // Round-robin over three instances sends about two in three halves elsewhere than their down.
    if (upload === "stream") t.true(split > 150, `${split} of 300 pairs had their up on another instance`);
    else t.true(split > 150, `${split} batches forwarded`);
    for (const instance of cluster.instances) t.true(instance.calls.length > 30, spread(cluster));
  });
}

test.serial("haproxy routing by the pair id's instance: every half reaches its owner, nothing is forwarded", async (t) => {
  const { cluster, client, sent } = await setup(t, "pair-id");
  t.deepEqual((await run(client, 100)).slice(0, 5), []);
  t.is(sent.down, 300);
  t.deepEqual(cluster.forwarded(), { down: 0, up: 0, batch: 0 });
  // New calls (downs without an id) are still spread round-robin.
  for (const instance of cluster.instances) t.true(instance.calls.length > 30, spread(cluster));
  t.log(spread(cluster));
});

test.serial("an idle bidi call outlives haproxy's timeout server: the host's down and the guest's up both have heartbeats", async (t) => {
  // haproxy cuts a stream whose instance says nothing for `timeout server`: an up (answered only at
  // its end) with nothing to send would get 504, a down without heartbeats a clean, false end.
  const { client, sent } = await setup(t, "round-robin", "stream", { heartbeatMs: 600, timeoutServerMs: 1500 });
  let release!: () => void;
  const idle = new Promise<void>((resolve) => (release = resolve));
  async function* requests(): AsyncGenerator<EchoRequest> {
    yield request({ text: "before" });
    await idle;
    yield request({ text: "after" });
  }
  const replies: string[] = [];
  const call = (async () => {
    for await (const reply of client.chat(requests())) replies.push(reply.text);
  })();
  while (replies.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 4500)); // three times haproxy's timeout
  release();
  await call;
  t.deepEqual(replies, ["before", "after"]);
  t.is(sent.down, 1, "no resume: neither half was cut");
  t.is(sent.up, 1);
});

test.serial("a draining instance leaves haproxy's rotation within a second and its running calls finish; new calls go to the others", async (t) => {
  const { cluster, client } = await setup(t, "round-robin");
  const [s1] = cluster.instances;
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  async function* requests(): AsyncGenerator<EchoRequest> {
    yield request({ text: "running" });
    await hold;
    yield request({ text: "last" });
  }
  // Calls until one runs on s1.
  const replies: string[] = [];
  const running = (async () => {
    for await (const reply of client.chat(requests())) replies.push(reply.text);
  })();
  await s1!.call("chat", "running", 3000).catch(() => undefined);
  const onS1 = s1!.calls.some((c) => c.method === "chat");
  const drained = s1!.host.drain({ graceMs: 10_000, reason: "rolling restart" });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // two failed health checks at 500 ms
  const before = s1!.calls.length;
  t.deepEqual((await run(client, 30)).slice(0, 5), [], "new calls all succeed, on the other instances");
  t.is(s1!.calls.length, before, "no new call reached the draining instance");
  release();
  await running;
  t.deepEqual(replies, ["running", "last"]);
  await drained;
  t.log(`the long call ran on ${onS1 ? "s1 (draining)" : "another instance"}`);
});
