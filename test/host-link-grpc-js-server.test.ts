/**
 * Our host link (connectHost + the generated createEchoClient) against a
 * stock @grpc/grpc-js server: every method kind, metadata, statuses,
 * deadlines, cancellation, one shared HTTP/2 session, and reconnection.
 */
import net from "node:net";
import test, { type ExecutionContext } from "ava";
import grpc from "@grpc/grpc-js";
import { Code, StreampathError } from "../runtime/core/index.js";
import { connectHost } from "../runtime/host/index.js";
import { fromArray, loadEcho, loadGrpcJsEcho, request, sleep, waitFor, type EchoClient } from "./helpers/host.js";

interface GrpcJsEchoServer {
  server: grpc.Server;
  port: number;
  /** Per call: method, metadata seen, and whether the call was cancelled by the client. */
  calls: { method: string; text: string; metadata: Record<string, unknown>; deadline: grpc.Deadline; cancelled: boolean; ended: boolean }[];
}

/** A @grpc/grpc-js server implementing Echo with the same knobs (no fail_with -1). */
async function startGrpcJsEcho(t: ExecutionContext, port = 0): Promise<GrpcJsEchoServer> {
  const calls: GrpcJsEchoServer["calls"] = [];
  const begin = (method: string, call: any, text = "") => {
    const record = { method, text, metadata: call.metadata.getMap(), deadline: call.getDeadline() as grpc.Deadline, cancelled: false, ended: false };
    calls.push(record);
    call.on("cancelled", () => (record.cancelled = true));
    const md = new grpc.Metadata();
    const header = call.metadata.get("x-set-header")[0];
    if (header !== undefined) md.set("x-echo-header", String(header));
    call.sendMetadata(md);
    const trailers = new grpc.Metadata();
    const trailer = call.metadata.get("x-set-trailer")[0];
    if (trailer !== undefined) trailers.set("x-echo-trailer", String(trailer));
    return { record, trailers };
  };
  const reply = (req: any, call: any, index = 0) => ({ text: req.text, index, principal: "grpc-js", header: String(call.metadata.get("x-custom")[0] ?? "") });
  const status = (req: any, trailers: grpc.Metadata) => ({ code: req.failWith, details: req.text, metadata: trailers });
  const delay = (ms: number, call: any) => (ms > 0 ? new Promise<void>((resolve) => { const timer = setTimeout(resolve, ms); call.on("cancelled", () => (clearTimeout(timer), resolve())); }) : Promise.resolve());
  const server = new grpc.Server();
  server.addService(loadGrpcJsEcho().service, {
    async say(call: any, callback: any) {
      const { record, trailers } = begin("say", call, call.request.text);
      await delay(call.request.delayMs, call);
      if (record.cancelled) return;
      if (call.request.failWith > 0) callback(status(call.request, trailers));
      else callback(null, reply(call.request, call), trailers);
    },
    async repeat(call: any) {
      const { record, trailers } = begin("repeat", call, call.request.text);
      await delay(call.request.delayMs, call);
      for (let i = 0; i < Math.min(call.request.repeat, 100_000) && !record.cancelled; i++) call.write(reply(call.request, call, i));
      if (call.request.failWith > 0) call.emit("error", status(call.request, trailers));
      else call.end(trailers);
    },
    collect(call: any, callback: any) {
      const { record, trailers } = begin("collect", call);
      let text = "";
      let n = 0;
      call.on("data", (req: any) => ((text += req.text), n++));
      call.on("end", () => ((record.ended = true), callback(null, { ...reply({ text }, call, n) }, trailers)));
    },
    chat(call: any) {
      const { trailers } = begin("chat", call);
      let n = 0;
      call.on("data", (req: any) => call.write(reply(req, call, n++)));
      call.on("end", () => call.end(trailers));
    },
    events(call: any) {
      begin("events", call);
      call.on("data", (e: any) => call.write(e));
      call.on("end", () => call.end());
    },
    flood(call: any) {
      begin("flood", call);
      call.end();
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  t.teardown(() => server.forceShutdown());
  return { server, port: bound, calls };
}

async function link(t: ExecutionContext, port: number): Promise<EchoClient> {
  const { createEchoClient } = await loadEcho();
  const hostLink = connectHost(`http://127.0.0.1:${port}`);
  t.teardown(() => hostLink.close());
  return createEchoClient(hostLink);
}

const codeOf = (error: unknown) => (error instanceof StreampathError ? error.code : `not a StreampathError: ${String(error)}`);

test("unary: reply, custom metadata in, headers and trailers out", async (t) => {
  const server = await startGrpcJsEcho(t);
  const client = await link(t, server.port);
  const seen: Record<string, unknown> = {};
  const reply = await client.say(request({ text: "hi" }), {
    headers: { "x-custom": "v1", "x-set-header": "h1", "x-set-trailer": "t1" },
    onHeaders: (h) => (seen.header = h["x-echo-header"]),
    onTrailers: (h) => ((seen.trailer = h["x-echo-trailer"]), (seen.status = h["grpc-status"])),
  });
  t.like(reply, { text: "hi", header: "v1", principal: "grpc-js" });
  t.deepEqual(seen, { header: "h1", trailer: "t1", status: "0" });
  t.is(server.calls[0].metadata["x-custom"], "v1");
});

test("server streaming, client streaming and bidi", async (t) => {
  const server = await startGrpcJsEcho(t);
  const client = await link(t, server.port);
  const indexes: number[] = [];
  for await (const r of client.repeat(request({ text: "r", repeat: 100 }))) indexes.push(r.index);
  t.deepEqual(indexes, Array.from({ length: 100 }, (_, i) => i));

  const texts = Array.from({ length: 30 }, (_, i) => request({ text: String(i % 10) }));
  t.like(await client.collect(fromArray(texts)), { text: "012345678901234567890123456789", index: 30 });

  const replies: string[] = [];
  for await (const r of client.chat(fromArray(texts.slice(0, 5)))) replies.push(`${r.text}@${r.index}`);
  t.deepEqual(replies, ["0@0", "1@1", "2@2", "3@3", "4@4"]);

  const events = Array.from({ length: 3 }, (_, i) => ({ seq: BigInt(i) + 2n ** 60n, payload: new Uint8Array([i, 255]) }));
  const back = [];
  for await (const e of client.events(fromArray(events))) back.push(e);
  t.deepEqual(back, events);
});

test("errors: every code and message arrive as a StreampathError", async (t) => {
  const server = await startGrpcJsEcho(t);
  const client = await link(t, server.port);
  for (let code = 1; code <= 16; code++) {
    const message = `failed with ${Code[code]}: é ✓ 100%`;
    const error = await t.throwsAsync(client.say(request({ text: message, failWith: code })));
    t.is(codeOf(error), code, message);
    t.is(error?.message, message);
  }
  const trailers: Record<string, unknown>[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const _ of client.repeat(request({ text: "mid", repeat: 2, failWith: Code.DataLoss }), { headers: { "x-set-trailer": "t" }, onTrailers: (h) => trailers.push(h) })) undefined;
  });
  t.is(codeOf(error), Code.DataLoss);
  t.is(trailers[0]?.["x-echo-trailer"], "t");
});

test("deadline: timeoutMs passes as DEADLINE_EXCEEDED; the server sees the call end", async (t) => {
  const server = await startGrpcJsEcho(t);
  const client = await link(t, server.port);
  await client.say(request({ text: "connect first" })); // the deadline must not pass while connecting
  const started = Date.now();
  const error = await t.throwsAsync(client.say(request({ text: "slow", delayMs: 5000 }), { timeoutMs: 300 }));
  t.is(codeOf(error), Code.DeadlineExceeded);
  t.true(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  const call = await waitFor(() => server.calls.find((c) => c.text === "slow"), 3000, "the call to arrive");
  const deadline = Number(call.deadline);
  t.true(deadline > started && deadline <= started + 1000, `the server got the deadline from grpc-timeout: ${deadline - started} ms`);
  await waitFor(() => call.cancelled, 3000, "the server to see the call canceled");
});

test("cancellation: an AbortSignal cancels the call; the server sees it", async (t) => {
  const server = await startGrpcJsEcho(t);
  const client = await link(t, server.port);
  const controller = new AbortController();
  const pending = client.say(request({ text: "cancel", delayMs: 5000 }), { signal: controller.signal });
  await waitFor(() => server.calls.length > 0, 3000, "the call to arrive");
  controller.abort();
  const error = await t.throwsAsync(pending);
  t.is(codeOf(error), Code.Canceled);
  await waitFor(() => server.calls[0].cancelled, 3000, "the server to see the cancel");

  const stream = client.repeat(request({ text: "s", repeat: 1000 }), { signal: AbortSignal.abort() });
  t.is(codeOf(await t.throwsAsync(async () => { for await (const _ of stream) undefined; })), Code.Canceled);
});

test("cancellation: aborting a client stream resets it; the server never sees the requests end cleanly", async (t) => {
  const server = await startGrpcJsEcho(t);
  const client = await link(t, server.port);
  const controller = new AbortController();
  async function* slowly() {
    for (let i = 0; i < 200; i++) {
      yield request({ text: "x" });
      await sleep(10);
    }
  }
  const pending = client.collect(slowly(), { signal: controller.signal });
  const call = await waitFor(() => server.calls.find((c) => c.method === "collect"), 3000, "the call to arrive");
  await sleep(100);
  controller.abort();
  t.is(codeOf(await t.throwsAsync(pending)), Code.Canceled);
  await waitFor(() => call.cancelled || call.ended, 3000, "the server to see the call end");
  await sleep(100);
  t.true(call.cancelled, "the server saw the cancel");
  t.false(call.ended, "and no clean end of the requests before it: a partial upload must not look complete");
});

/** A TCP proxy in front of `port` that counts the connections it accepts. */
async function countingProxy(t: ExecutionContext, port: number) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const proxy = net.createServer((socket) => {
    connections++;
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    proxy.close();
  });
  return { port: (proxy.address() as net.AddressInfo).port, connections: () => connections };
}

test("one HTTP/2 connection carries every concurrent call", async (t) => {
  const server = await startGrpcJsEcho(t);
  const proxy = await countingProxy(t, server.port);
  const client = await link(t, proxy.port);
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.say(request({ text: `c${i}`, delayMs: 50 }))));
  t.deepEqual(replies.map((r) => r.text), Array.from({ length: 20 }, (_, i) => `c${i}`));
  const streams = await Promise.all(
    Array.from({ length: 5 }, async () => {
      let n = 0;
      for await (const _ of client.repeat(request({ repeat: 50 }))) n++;
      return n;
    }),
  );
  t.deepEqual(streams, [50, 50, 50, 50, 50]);
  t.is(proxy.connections(), 1);
});

test("reconnect: a call in flight when the server dies fails UNAVAILABLE; a new server on the port serves new calls", async (t) => {
  const first = await startGrpcJsEcho(t);
  const client = await link(t, first.port);
  t.like(await client.say(request({ text: "before" })), { text: "before" });

  const inFlight = client.say(request({ text: "in flight", delayMs: 5000 }));
  inFlight.catch(() => undefined);
  await waitFor(() => first.calls.some((c) => c.text === "in flight"), 3000, "the call to arrive");
  first.server.forceShutdown();
  const error = await t.throwsAsync(inFlight);
  t.is(codeOf(error), Code.Unavailable, String(error));

  await sleep(50);
  const second = await startGrpcJsEcho(t, first.port);
  t.is(second.port, first.port);
  t.like(await client.say(request({ text: "after" })), { text: "after" }, "the first call after the restart succeeds");
  t.is(second.calls.length, 1);
});
