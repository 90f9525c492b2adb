/**
 * Pairs across host instances: a balancer that spreads each request over
 * instances (as haproxy and Envoy do with HTTP/2 to the backends) splits
 * most pairs. The instance a half reaches forwards it to the one named in
 * the pair id, so every call completes with no client retry; a pair whose
 * instance is gone fails `aborted` at once, not after the resume timeout.
 */
import http2 from "node:http2";
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { PairHeader } from "../runtime/core/pair.js";
import { FORWARDED_BY } from "../runtime/host/pair-forward.js";
import { type EchoCluster, roundRobin, startEchoCluster } from "./helpers/cluster.js";
import { nodeGateway } from "./helpers/guest.js";
import { type EchoClient, type EchoRequest, type Event, loadEcho, pairHeaders, rawRequest, rawSession, request, sleep } from "./helpers/host.js";

const NAMES = ["s1", "s2", "s3"];

async function answer(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders) {
  const { response } = rawRequest(session, headers);
  const { status, body } = await response;
  return { status, text: body.toString() };
}

async function spreadClient(t: Parameters<typeof startEchoCluster>[0], cluster: EchoCluster, upload: "stream" | "batch" = "stream") {
  const base = cluster.instances[0]!.url;
  let spread: ReturnType<typeof roundRobin> | undefined;
  const gateway = nodeGateway(t, base, {
    upload,
    // As a balancer with health checks: crashed instances get nothing more.
    wrapFetch: (fetch) => (spread = roundRobin(fetch, base, () => cluster.instances.filter((i) => !i.crashed).map((i) => i.url))).fetch,
  });
  return { client: (await loadEcho()).createEchoClient(gateway) as EchoClient, sent: spread!.sent };
}

async function* events(call: number, n: number): AsyncGenerator<Event> {
  for (let seq = 1; seq <= n; seq++) yield { seq: BigInt(seq), payload: new Uint8Array([call & 0xff, seq & 0xff]) };
}

async function everyKind(client: EchoClient, calls: number): Promise<string[]> {
  const problems: string[] = [];
  const bidi = Array.from({ length: calls }, async (_, call) => {
    let expected = 1;
    for await (const event of client.events(events(call, 50))) {
      if (Number(event.seq) !== expected || event.payload[0] !== (call & 0xff)) problems.push(`bidi ${call}: got ${event.seq} for ${expected}`);
      expected++;
    }
    if (expected !== 51) problems.push(`bidi ${call}: ${expected - 1} of 50 events`);
  });
  const clientStreams = Array.from({ length: calls }, async (_, call) => {
    async function* texts(): AsyncGenerator<EchoRequest> {
      for (let i = 0; i < 20; i++) yield request({ text: String.fromCharCode(97 + (i % 26)) });
    }
    const reply = await client.collect(texts());
    if (reply.text !== "abcdefghijklmnopqrst" || reply.index !== 20) problems.push(`collect ${call}: ${reply.text}/${reply.index}`);
  });
  const serverStreams = Array.from({ length: calls }, async (_, call) => {
    let expected = 0;
    for await (const reply of client.repeat(request({ text: `r${call}`, repeat: 100 }))) {
      if (reply.index !== expected++) problems.push(`repeat ${call}: got ${reply.index}`);
    }
    if (expected !== 100) problems.push(`repeat ${call}: ${expected} of 100`);
  });
  const results = await Promise.allSettled([...bidi, ...clientStreams, ...serverStreams]);
  for (const r of results) if (r.status === "rejected") problems.push(String(r.reason));
  return problems;
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload === "stream" ? "streamed ups" : "the batch fallback"}: every call kind completes, once and in order, with halves on different instances`, async (t) => {
    const cluster = await startEchoCluster(t, NAMES);
    const { client, sent } = await spreadClient(t, cluster, upload);
    const calls = 30;
    t.deepEqual((await everyKind(client, calls)).slice(0, 5), []);
    // No client retry: one down per call, one up per streamed call (server streams have ups too: their end).
    t.is(sent.down, 3 * calls, "one down per call, none resumed");
    if (upload === "stream") t.is(sent.up, 3 * calls, "one up per call");
    const forwarded = cluster.forwarded();
    const split = upload === "stream" ? forwarded.up : forwarded.batch;
    t.log(`${3 * calls} calls; forwarded: ${JSON.stringify(forwarded)}; requests: ${JSON.stringify(sent)}`);
    // Round-robin over three sends about two thirds of the halves after a down to another instance.
    t.true(split >= calls, `halves forwarded: ${split}`);
    t.is(forwarded.down, 0);
    for (const instance of cluster.instances) t.is(instance.host.forwarded.up + instance.host.forwarded.batch >= 0, true);
  });
}

test("a pair whose instance crashed fails aborted at once, not after the resume timeout", async (t) => {
  const cluster = await startEchoCluster(t, NAMES, { pair: { resumeTimeoutMs: 15_000 } });
  const { client } = await spreadClient(t, cluster);
  let more!: () => void;
  const gate = new Promise<void>((resolve) => (more = resolve));
  async function* requests(): AsyncGenerator<EchoRequest> {
    yield request({ text: "first" });
    await gate;
    yield request({ text: "second" });
  }
  const replies: string[] = [];
  const call = (async () => {
    for await (const reply of client.chat(requests())) replies.push(reply.text);
  })();
  const record = await cluster.instances[0]!.call("chat", "first").catch(() => undefined)
    ?? await cluster.instances[1]!.call("chat", "first", 100).catch(() => undefined)
    ?? await cluster.instances[2]!.call("chat", "first", 100);
  const owner = cluster.instances.find((i) => i.calls.includes(record))!;
  while (replies.length < 1) await sleep(10);
  const crashed = Date.now();
  owner.crash();
  more();
  const error = await call.then(() => undefined, (e: unknown) => e);
  const took = Date.now() - crashed;
  t.true(error instanceof StreampathError, String(error));
  t.is((error as StreampathError).code, Code.Aborted, (error as Error).message);
  t.regex((error as Error).message, new RegExp(`instance ${owner.name} is gone`));
  t.true(took < 3000, `failed after ${took} ms`);
  t.log(`owner ${owner.name} crashed: the call failed aborted after ${took} ms: ${(error as Error).message}`);
  t.deepEqual(replies, ["first"]);
});

test("a pair whose instance left the membership fails aborted, and a forwarded half is never forwarded again", async (t) => {
  const cluster = await startEchoCluster(t, NAMES);
  const [a, b] = cluster.instances as [EchoCluster["instances"][0], EchoCluster["instances"][0]];
  const id = `${b.name}.${"A".repeat(22)}`;
  const session = await rawSession(t, a.url);
  // Forwarded once already: a answers for itself (not its pair) rather than pass it on.
  const looped = await answer(session, pairHeaders("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "1", [FORWARDED_BY]: "s9" }));
  t.is(looped.status, 404);
  t.regex(looped.text, /another host instance/);
  // Forwarded to b, which has no such pair: b's answer comes back.
  const unknown = await answer(session, pairHeaders("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "1" }));
  t.is(unknown.status, 404);
  t.regex(unknown.text, /no pair .* on this host/);
  t.is(a.host.forwarded.up, 1);
  cluster.members.delete(b.name);
  const gone = await answer(session, pairHeaders("down", { [PairHeader.id]: id, [PairHeader.received]: "0" }));
  t.is(gone.status, 409);
  t.regex(gone.text, /"code":"aborted".*instance s2 is gone/);
});

test("an instance whose peer never answers says unavailable, and the balancer's other instances serve on", async (t) => {
  const cluster = await startEchoCluster(t, NAMES);
  const [a, b] = cluster.instances as [EchoCluster["instances"][0], EchoCluster["instances"][0]];
  // A peer address that accepts TCP and never speaks HTTP/2.
  const { createServer } = await import("node:net");
  const silent = createServer((socket) => socket.resume()); // reads (so it sees the close), never answers
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => silent.close(() => resolve())));
  cluster.members.set(b.name, `http://127.0.0.1:${(silent.address() as { port: number }).port}`);
  const session = await rawSession(t, a.url);
  const started = Date.now();
  const refused = await answer(session, pairHeaders("down", { [PairHeader.id]: `${b.name}.${"B".repeat(22)}`, [PairHeader.received]: "0" }));
  t.is(refused.status, 503);
  t.regex(refused.text, /"code":"unavailable".*instance s2 did not answer/);
  const took = Date.now() - started;
  t.true(took < 6000, `${took} ms`);
});

test("instance names: a bad name, two names that differ, or a membership URL that is not http(s) are refused when the host is made", async (t) => {
  const { createHost, staticMembership } = await import("../runtime/host/index.js");
  const membership = staticMembership({});
  for (const bad of ["", "S1", "-s1", "s1-", "a.b", "x".repeat(33), "s_1"]) {
    const error = await t.throwsAsync(createHost({ h2c: true, services: [], cluster: { instanceId: bad, membership } }), { instanceOf: TypeError });
    t.regex(error!.message, /instance name .* is not allowed: use 1 to 32 lower-case letters, digits and inner hyphens/, bad);
  }
  await t.throwsAsync(createHost({ h2c: true, services: [], pair: { instanceId: "a1" }, cluster: { instanceId: "b1", membership } }), {
    instanceOf: TypeError,
    message: /pair.instanceId and cluster.instanceId differ/,
  });
  t.throws(() => staticMembership({ s1: "ftp://127.0.0.1:1" }), { instanceOf: TypeError, message: /instance s1: ftp:\/\/127.0.0.1:1 is not an http:\/\/ \(h2c\) or https:\/\/ URL/ });
  t.throws(() => staticMembership({ "S 1": "http://127.0.0.1:1" }), { instanceOf: TypeError });
  const good = await createHost({ h2c: true, services: [], cluster: { instanceId: "b-12", membership } });
  t.is(good.instanceId, "b-12");
  await good.close(0);
});
