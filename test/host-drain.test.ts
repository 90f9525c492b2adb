/**
 * drain(): how an instance leaves (a rolling restart, SIGTERM). The health
 * check turns 503 and new calls are refused at once (REFUSED_STREAM: safe to
 * send elsewhere), while calls in flight go on — a pair even resumes over a
 * new connection meanwhile — until the grace ends; what still runs then ends
 * UNAVAILABLE with the reason, which the guest's caller reads.
 */
import http2 from "node:http2";
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { PAIR_CONTENT_TYPE, PairHeader } from "../runtime/core/pair.js";
import { connectHost } from "../runtime/host/index.js";
import { nodeGateway } from "./helpers/guest.js";
import { type EchoRequest, loadEcho, rawSession, request, sleep, startEchoHost, waitFor } from "./helpers/host.js";
import { watchPairs, reset } from "./helpers/pair-watch.js";

async function health(url: string): Promise<number> {
  const session = http2.connect(url);
  try {
    return await new Promise<number>((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request({ ":method": "GET", ":path": "/.well-known/streampath/health" });
      stream.resume();
      stream.once("response", (h) => resolve(Number(h[":status"])));
      stream.once("error", reject);
    });
  } finally {
    session.close();
  }
}

test("drain: health turns 503, new calls are refused, a running call finishes, then the host closes", async (t) => {
  const echo = await startEchoHost(t);
  const { createEchoClient } = await loadEcho();
  const link = connectHost(echo.url);
  t.teardown(() => link.close());
  const client = createEchoClient(link);
  t.is(await health(echo.url), 200);
  const slow = client.say(request({ text: "slow", delayMs: 500 }));
  await echo.call("say", "slow");
  const drained = echo.host.drain({ graceMs: 5000, reason: "rolling restart" });
  t.true(echo.host.draining);
  t.is(await health(echo.url), 503, "a balancer's health check takes it out of rotation");
  const refused = await client.say(request({ text: "new" })).then(() => undefined, (e: unknown) => e);
  t.true(refused instanceof StreampathError);
  t.is((refused as StreampathError).code, Code.Unavailable, String(refused));
  t.is(echo.calls.filter((c) => c.text === "new").length, 0, "the refused call never reached a handler");
  t.like(await slow, { text: "slow" });
  const started = Date.now();
  await drained;
  t.true(Date.now() - started < 2000, "closes once the calls are done, not after the whole grace");
});

test("drain: a pair resumes over a new connection during the grace; past it, the caller reads UNAVAILABLE and the reason", async (t) => {
  const echo = await startEchoHost(t);
  const pairs = watchPairs(echo.host);
  const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { upload: "stream" }));
  let release!: () => void;
  const more = new Promise<void>((resolve) => (release = resolve));
  async function* requests(): AsyncGenerator<EchoRequest> {
    yield request({ text: "one" });
    await more;
    yield request({ text: "two" });
    await sleep(60_000);
  }
  const replies: string[] = [];
  const call = (async () => {
    for await (const reply of client.chat(requests())) replies.push(reply.text);
  })().then(() => undefined, (e: unknown) => e);
  await waitFor(() => replies.length === 1);
  const drained = echo.host.drain({ graceMs: 1500, reason: "rolling restart of instance s1" });
  // The down breaks: the guest resumes, on a new connection (the old one had GOAWAY), and is let in.
  const downs = pairs.counts.down;
  for (const stream of pairs.live.down) reset(stream);
  await waitFor(() => pairs.counts.down > downs, 3000, "a resumed down");
  release();
  await waitFor(() => replies.length === 2, 3000, "the second reply, after the resume");
  const error = await call;
  await drained;
  t.true(error instanceof StreampathError, String(error));
  t.is((error as StreampathError).code, Code.Unavailable);
  t.regex((error as Error).message, /rolling restart of instance s1/);
  t.deepEqual(replies, ["one", "two"]);
  t.true(pairs.sessions.size >= 2, "the resumed half came on a new connection");
});

test("drain: a new pair is refused with REFUSED_STREAM while the host waits out its grace", async (t) => {
  const echo = await startEchoHost(t);
  const link = connectHost(echo.url);
  t.teardown(() => link.close());
  // A running call keeps the host in its grace.
  const slow = (await loadEcho()).createEchoClient(link).say(request({ text: "slow", delayMs: 800 }));
  await echo.call("say", "slow");
  const drained = echo.host.drain({ graceMs: 3000 });
  const session = await rawSession(t, echo.url);
  const stream = session.request({
    ":method": "POST", ":path": "/test.echo.Echo/Chat", "content-type": PAIR_CONTENT_TYPE,
    [PairHeader.half]: "down", [PairHeader.window]: "8",
  });
  stream.on("error", () => undefined);
  stream.resume();
  await new Promise((resolve) => stream.once("close", resolve));
  t.is(stream.rstCode, http2.constants.NGHTTP2_REFUSED_STREAM);
  t.true(echo.host.draining);
  t.like(await slow, { text: "slow" });
  await drained;
});

test("drainOnSignal: SIGTERM drains the host (the process exits 0 once it is drained)", async (t) => {
  const { execFile } = await import("node:child_process");
  const script = `
    import { createHost, drainOnSignal } from "./runtime/host/index.ts";
    const host = await createHost({ h2c: true, services: [] });
    drainOnSignal(host, { graceMs: 2000, onSignal: (s) => console.log("signal", s) });
    console.log("ready", host.port);
  `;
  const child = execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(() => out.includes("ready"), 20_000, "the child host");
  const port = Number(/ready (\d+)/.exec(out)![1]);
  child.kill("SIGTERM");
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  t.is(code, 0);
  t.regex(out, /signal SIGTERM/);
  await t.throwsAsync(health(`http://127.0.0.1:${port}`), undefined, "the port is closed");
});
