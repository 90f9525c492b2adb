/**
 * A gateway's unary call ends at its deadline with deadline_exceeded, or
 * when the caller's signal aborts, with that reason; a caller's signal that
 * never aborts (a page's) lets every call end normally.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { selfSigned } from "./helpers/tls.js";
import { nodeGateway } from "./helpers/guest.js";
import { loadEcho, request, startEchoHost, type EchoClient } from "./helpers/host.js";

test("deadline, caller's abort, and a long-lived signal shared by many calls", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  const client: EchoClient = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url));

  const late = await t.throwsAsync(client.say(request({ text: "slow", delayMs: 30_000 }), { timeoutMs: 100 }));
  t.true(late instanceof StreampathError);
  t.is((late as StreampathError).code, Code.DeadlineExceeded);

  const stop = new AbortController();
  const stopped = client.say(request({ text: "slow", delayMs: 30_000 }), { signal: stop.signal });
  setTimeout(() => stop.abort(new StreampathError(Code.Canceled, "the user left")), 50);
  t.like(await t.throwsAsync(stopped), { code: Code.Canceled, message: "the user left" });

  const page = new AbortController();
  for (let i = 0; i < 50; i++) t.like(await client.say(request({ text: String(i) }), { signal: page.signal }), { text: String(i) });
});
