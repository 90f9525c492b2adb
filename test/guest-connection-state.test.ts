/**
 * The gateway's connection state in Node, against real hosts on 127.0.0.1:
 * connecting → live on the first call (or the first probe of a subscriber);
 * a refused connection moves it to reconnecting at once, probes bring it
 * back to live within about a second of the host's return on the same port,
 * and failed probes end in offline; a silent down (its heartbeat missed), a
 * host shutting down with a stream open, and an idle host gone are noticed
 * too; a proxy's 502/503 is a failure, a host's Connect error is not;
 * close() ends it all, and its timers never keep a process alive.
 */
import test, { type ExecutionContext } from "ava";
import { execFile } from "node:child_process";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Code, type ConnectionState, StreampathError } from "../runtime/core/index.js";
import type { Fetch, Gateway, GatewayOptions } from "../runtime/guest/index.js";
import { ChaosProxy } from "./faults/chaos-proxy.js";
import { nodeGateway } from "./helpers/guest.js";
import { type EchoClient, loadEcho, request, sleep, waitFor } from "./helpers/host.js";
import { restartableEchoHost } from "./helpers/restartable-host.js";

interface Seen {
  state: ConnectionState;
  at: number;
}

/** Every state the gateway reports, with when (performance.now()). */
function watch(t: ExecutionContext, gateway: Gateway) {
  const seen: Seen[] = [];
  const off = gateway.subscribe((state) => seen.push({ state, at: performance.now() }));
  t.teardown(off);
  const next = (kind: ConnectionState["kind"], after: number, ms: number) =>
    waitFor(() => seen.find((s) => s.state.kind === kind && s.at >= after), ms, `state ${kind}; seen ${describe(seen)}`);
  return { seen, next, off };
}

const describe = (seen: Seen[]) => seen.map((s) => (s.state.kind === "reconnecting" ? `reconnecting#${s.state.attempt}` : s.state.kind)).join(" → ") || "nothing";

async function gatewayTo(t: ExecutionContext, url: string, options: GatewayOptions & { wrapFetch?: (fetch: Fetch) => Fetch } = {}) {
  const gateway = nodeGateway(t, url, options);
  t.teardown(() => gateway.close());
  const client: EchoClient = (await loadEcho()).createEchoClient(gateway);
  return { gateway, client };
}

/** What `promise` rejects with. */
const rejection = (promise: Promise<unknown>) => promise.then(() => new Error("resolved"), (error: unknown) => error as Error);

test("connecting until the first call is answered, then live; a subscriber alone gets live by a probe", async (t) => {
  const echo = await restartableEchoHost(t);
  const { gateway, client } = await gatewayTo(t, echo.url);
  t.is(gateway.state.kind, "connecting");
  await sleep(300);
  t.is(gateway.state.kind, "connecting", "no probe while nobody watches and no call runs");
  t.is((await client.say(request({ text: "hi" }))).text, "hi");
  t.is(gateway.state.kind, "live");
  await gateway.whenLive();

  const other = await gatewayTo(t, echo.url);
  const subscribedAt = performance.now();
  const { seen, next } = watch(t, other.gateway);
  const live = await next("live", 0, 2000);
  t.deepEqual(seen.map((s) => s.state.kind), ["live"]);
  t.log(`a subscriber's probe: live ${(live.at - subscribedAt).toFixed(1)} ms after subscribing`);
});

test("host closed: reconnecting within 1 s of the first failed call, with the error and attempt; live again within 1.5 s of its return on the same port, with no call running", async (t) => {
  const echo = await restartableEchoHost(t);
  const { gateway, client } = await gatewayTo(t, echo.url, { retry: { attempts: 8 } });
  await client.say(request({ text: "before" }));
  const { next } = watch(t, gateway);
  await echo.stop();

  const failedAt = performance.now();
  const error = await rejection(client.say(request({ text: "during" })));
  t.is((error as StreampathError).code, Code.Unavailable);
  const reconnecting = await next("reconnecting", 0, 1000);
  const ms = reconnecting.at - failedAt;
  t.true(ms < 1000, `reconnecting after ${ms} ms`);
  const state = reconnecting.state as Extract<ConnectionState, { kind: "reconnecting" }>;
  t.is(state.attempt, 1);
  t.is(state.error.code, Code.Unavailable);
  t.regex(state.error.message, /ECONNREFUSED/);
  t.true(Math.abs(state.since - Date.now()) < 2000);

  await sleep(1200); // probes fail meanwhile, backing off
  t.is(gateway.state.kind, "reconnecting");
  t.true((gateway.state as { attempt: number }).attempt > 1, "each failed probe counts");
  await echo.start();
  const backAt = performance.now();
  const live = await next("live", backAt, 3000);
  const back = live.at - backAt;
  t.true(back < 1500, `live ${Math.round(back)} ms after the host was back`);
  t.is((await client.say(request({ text: "after" }))).text, "after");
  t.log(`reconnecting ${ms.toFixed(1)} ms after the failed call; live ${Math.round(back)} ms after the host's return`);
});

test("after retry.attempts failed probes in a row, offline; it goes on probing and is live once the host is back", async (t) => {
  const echo = await restartableEchoHost(t);
  const { gateway, client } = await gatewayTo(t, echo.url, { retry: { attempts: 3 } });
  await client.say(request({ text: "before" }));
  const { seen, next } = watch(t, gateway);
  await echo.stop();
  const started = performance.now();
  await rejection(client.say(request({ text: "during" })));
  const offline = await next("offline", 0, 5000);
  t.deepEqual(seen.map((s) => s.state.kind === "reconnecting" ? s.state.attempt : s.state.kind), [1, 2, 3, "offline"]);
  const state = offline.state as Extract<ConnectionState, { kind: "offline" }>;
  t.regex(state.error.message, /ECONNREFUSED/);
  t.is(state.since, (seen[0].state as { since: number }).since, "since: when the host was lost");
  const whenLive = gateway.whenLive();
  await sleep(300);
  await echo.start();
  const backAt = performance.now();
  await whenLive;
  const back = performance.now() - backAt;
  t.true(back < 1500, `live ${Math.round(back)} ms after the host was back, from offline`);
  t.log(`offline ${Math.round(offline.at - started)} ms after the host was lost (3 probes); live ${Math.round(back)} ms after its return`);
});

test("a server stream whose connection goes silent: reconnecting about a second after its missed heartbeat, not at the watchdog", async (t) => {
  const heartbeatMs = 3000;
  const echo = await restartableEchoHost(t, { pair: { heartbeatMs } });
  const proxy = await new ChaosProxy(echo.port).start();
  t.teardown(() => proxy.close());
  const { gateway, client } = await gatewayTo(t, `http://127.0.0.1:${proxy.port}`);
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const running = (async () => {
    for await (const _ of client.repeat(request({ text: "open", delayMs: 60_000, repeat: 1 }), { signal: controller.signal }));
  })().catch(() => undefined);
  await gateway.whenLive();
  const { next } = watch(t, gateway);
  await sleep(500);
  t.true(proxy.freeze(30_000));
  const frozenAt = performance.now();
  const reconnecting = await next("reconnecting", 0, 8000);
  const ms = reconnecting.at - frozenAt;
  t.regex((reconnecting.state as { error: StreampathError }).error.message, /no heartbeat from the host for 4000 ms/);
  // Heartbeat + 1 s after the last heartbeat (at most a heartbeat before the freeze); the pair's
  // watchdog (2 × heartbeat + 1 s = 7 s) would have been the first to say so before.
  t.true(ms >= 900 && ms < 4600, `reconnecting ${Math.round(ms)} ms after the freeze`);
  controller.abort();
  proxy.thawAll();
  await running;
  t.log(`silent down: reconnecting ${Math.round(ms)} ms after the connection froze (heartbeat ${heartbeatMs} ms; the pair's watchdog is at 7000 ms)`);
});

test("a host closed under a running stream: reconnecting at once, live when it is back on the same port", async (t) => {
  const echo = await restartableEchoHost(t);
  const { gateway, client } = await gatewayTo(t, echo.url);
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const running = rejection((async () => {
    for await (const _ of client.repeat(request({ text: "open", delayMs: 60_000, repeat: 1 }), { signal: controller.signal }));
  })());
  await gateway.whenLive();
  const { next } = watch(t, gateway);
  const closedAt = performance.now();
  await echo.stop(100);
  const reconnecting = await next("reconnecting", 0, 2000);
  const ms = reconnecting.at - closedAt;
  t.true(ms < 1000, `reconnecting ${Math.round(ms)} ms after close()`);
  await echo.start();
  const backAt = performance.now();
  await next("live", backAt, 3000);
  t.log(`a stream's host closed: reconnecting ${Math.round(ms)} ms after close(100); live ${Math.round(performance.now() - backAt)} ms after its return`);
  controller.abort();
  await running;
});

test("a call the host ends unavailable as it shuts down makes the gateway probe: reconnecting once the host is gone", async (t) => {
  const echo = await restartableEchoHost(t);
  const { gateway, client } = await gatewayTo(t, echo.url);
  await client.say(request());
  const { next } = watch(t, gateway);
  const call = rejection(client.say(request({ text: "slow", delayMs: 5000 })));
  await sleep(100);
  const stopping = echo.stop(300); // GOAWAY, then after 300 ms the call is ended unavailable
  const error = (await call) as StreampathError;
  const endedAt = performance.now();
  t.is(error.code, Code.Unavailable);
  t.regex(error.message, /shutting down/, "the host's own answer, not a broken connection");
  const reconnecting = await next("reconnecting", 0, 2000);
  t.true(reconnecting.at - endedAt < 1000, `reconnecting ${Math.round(reconnecting.at - endedAt)} ms after the host ended the call`);
  await stopping;
});

test("live and idle with a subscriber: a host gone is noticed by the idle probe, with no call", async (t) => {
  const echo = await restartableEchoHost(t);
  const { gateway, client } = await gatewayTo(t, echo.url, { probe: { idleMs: 300 } });
  await client.say(request({ text: "hi" }));
  const { next } = watch(t, gateway);
  await echo.stop();
  const stoppedAt = performance.now();
  const reconnecting = await next("reconnecting", 0, 2000);
  t.true(reconnecting.at - stoppedAt < 1000, `reconnecting ${Math.round(reconnecting.at - stoppedAt)} ms after the host went`);
});

/** An HTTP/2 server (h2c) that answers every request with `answer.status` and `answer.body`, as a proxy or a host would. */
async function answering(t: ExecutionContext, answer: { status: number; type: string; body: string }) {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => (sessions.add(s), s.on("error", () => undefined), s.once("close", () => sessions.delete(s))));
  server.on("stream", (stream) => {
    stream.on("error", () => undefined);
    stream.resume();
    stream.respond({ ":status": answer.status, "content-type": answer.type });
    stream.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of sessions) s.destroy();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a proxy's 502 or 503 (no Connect error body) is a failure; a host's Connect error (404, 400, even 503) is live", async (t) => {
  const answer = { status: 502, type: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>" };
  const url = await answering(t, answer);
  const { gateway, client } = await gatewayTo(t, url);
  const { seen, next } = watch(t, gateway);
  // The subscriber's probe meets the proxy's 502.
  const first = await next("reconnecting", 0, 2000);
  t.regex((first.state as { error: Error }).error.message, /HTTP 502 from a proxy.*502 Bad Gateway/);

  Object.assign(answer, { status: 404, type: "application/json", body: '{"code":"unimplemented","message":"no method"}' });
  await next("live", first.at, 2000);
  t.is((await rejection(client.say(request()))).message, "no method");
  t.is(gateway.state.kind, "live", "a host's error is an answer");

  Object.assign(answer, { status: 503, type: "text/plain", body: "no healthy upstream" });
  const mark = performance.now();
  t.is(((await rejection(client.say(request()))) as StreampathError).code, Code.Unavailable);
  const second = await next("reconnecting", mark, 1000);
  t.regex((second.state as { error: Error }).error.message, /HTTP 503 from a proxy.*no healthy upstream/);

  Object.assign(answer, { status: 400, type: "application/json", body: '{"code":"invalid_argument","message":"bad"}' });
  const backFrom400 = await next("live", second.at, 2000);

  Object.assign(answer, { status: 503, type: "application/json", body: '{"code":"unavailable","message":"busy"}' });
  t.is(((await rejection(client.say(request()))) as StreampathError).code, Code.Unavailable);
  await sleep(500); // the call's unavailable raised a probe; the host answered it
  t.is(gateway.state.kind, "live");
  t.deepEqual(seen.filter((s) => s.at > backFrom400.at).map((s) => s.state.kind), [], "a host's own 503 leaves it live");
});

test("close(): offline for good, running and later calls fail, whenLive rejects, and probing stops", async (t) => {
  const echo = await restartableEchoHost(t);
  let requests = 0;
  const { gateway, client } = await gatewayTo(t, echo.url, { wrapFetch: (inner) => (input, init) => (requests++, inner(input, init)) });
  await client.say(request());
  const running = rejection((async () => {
    for await (const _ of client.repeat(request({ delayMs: 60_000, repeat: 1 })));
  })());
  await sleep(100);
  const { seen } = watch(t, gateway);
  await echo.stop(); // so that probing would go on, were it not closed
  gateway.close();
  t.is(gateway.state.kind, "offline");
  t.is((gateway.state as { error: Error }).error.message, "the gateway is closed");
  t.is(((await running) as StreampathError).code, Code.Unavailable);
  t.is((await rejection(client.say(request()))).message, "the gateway is closed");
  t.is((await rejection(gateway.whenLive())).message, "the gateway is closed");
  const before = requests;
  await sleep(800);
  t.is(requests, before, "no probe after close");
  t.deepEqual(seen.map((s) => s.state.kind).at(-1), "offline");

  const other = await gatewayTo(t, echo.url);
  const abort = new AbortController();
  const waiting = rejection(other.gateway.whenLive(abort.signal));
  abort.abort(new StreampathError(Code.Canceled, "stop waiting"));
  t.is((await waiting).message, "stop waiting");
});

test("a gateway reconnecting, probing and subscribed does not keep a Node process from exiting", async (t) => {
  const guest = fileURLToPath(new URL("../runtime/guest/index.ts", import.meta.url));
  const node = fileURLToPath(new URL("../runtime/guest/node.ts", import.meta.url));
  const script = `
    const { connectGateway } = await import(${JSON.stringify(guest)});
    const { http2Fetch } = await import(${JSON.stringify(node)});
    const gateway = connectGateway("http://127.0.0.1:9", { fetch: http2Fetch() });
    gateway.subscribe((s) => console.log(s.kind));
    await new Promise((resolve) => setTimeout(resolve, 600));
    console.log("end of script", gateway.state.kind);
  `;
  const started = Date.now();
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { timeout: 15_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout));
  });
  t.regex(output, /reconnecting[\s\S]*end of script reconnecting/);
  t.true(Date.now() - started < 10_000, `exited after ${Date.now() - started} ms`);
});
