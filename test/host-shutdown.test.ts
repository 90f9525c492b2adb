// Graceful shutdown: calls in flight finish within the grace period, new
// calls are refused, and calls that outlast it are canceled.
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { connectHost } from "../runtime/host/index.js";
import { loadEcho, request, startEchoHost } from "./helpers/host.js";

test("close(grace): a call in flight completes; a new call after close is refused", async (t) => {
  const echo = await startEchoHost(t);
  const { createEchoClient } = await loadEcho();
  const link = connectHost(echo.url);
  t.teardown(() => link.close());
  const client = createEchoClient(link);
  const slow = client.say(request({ text: "slow", delayMs: 300 }));
  await echo.call("say", "slow");
  const started = Date.now();
  const closing = echo.host.close(5_000);
  t.like(await slow, { text: "slow" }, "the call in flight finishes normally");
  await closing;
  t.true(Date.now() - started < 4_000, "close returns once calls are done, not after the whole grace period");
  const late = await client.say(request({ text: "late" })).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.true(late instanceof StreampathError, `a call after close fails, got ${String(late)}`);
  t.is((late as StreampathError).code, Code.Unavailable);
});

test("close(grace): a call that outlasts the grace period is canceled, its handler's signal aborts", async (t) => {
  const echo = await startEchoHost(t);
  const { createEchoClient } = await loadEcho();
  const link = connectHost(echo.url);
  t.teardown(() => link.close());
  const client = createEchoClient(link);
  const endless = client.say(request({ text: "endless", delayMs: 60_000 }));
  const record = await echo.call("say", "endless");
  const started = Date.now();
  await echo.host.close(200);
  t.true(Date.now() - started < 3_000, "close does not wait for the handler past the grace period");
  const error = await endless.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.true(error instanceof StreampathError, String(error));
  t.is((error as StreampathError).code, Code.Unavailable, (error as Error).message);
  t.true(record.aborted, "the handler's signal aborted");
});

test("close() returns even when a client keeps its request stream open after the response", async (t) => {
  const echo = await startEchoHost(t);
  const http2 = await import("node:http2");
  const session = http2.connect(echo.url);
  t.teardown(() => session.destroy());
  // A unary call whose request never ends: the client keeps its side open.
  const stream = session.request({ ":method": "POST", ":path": "/test.echo.Echo/Say", "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  stream.write(Buffer.from([0, 0, 0, 0, 0])); // one empty request message, no END_STREAM
  await new Promise((resolve) => stream.once("ready", resolve));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = Date.now();
  await echo.host.close(200);
  t.true(Date.now() - started < 5_000, `close took ${Date.now() - started} ms`);
});
