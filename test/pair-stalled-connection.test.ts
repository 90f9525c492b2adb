/**
 * A pair whose down stream cannot drain: the host pings the connection
 * (one probe per heartbeat at most) rather than wait for the keepalive, so a
 * connection that died without a word — or one Node's http2 stopped reading
 * while a write hung, as the faults run's resets showed — gives up its pair
 * in seconds, while a guest that is only slow keeps its call.
 */
import test, { type ExecutionContext } from "ava";
import http2 from "node:http2";
import { PairHeader } from "../runtime/core/pair.js";
import { PROBE_MS } from "../runtime/host/keepalive.js";
import { freezableProxy } from "./helpers/freezable-proxy.js";
import { pairHeaders, startEchoHost, waitFor } from "./helpers/host.js";

/**
 * A host whose keepalive and pair timeouts are far off, so only the probe can end the pair, and a
 * client through a proxy that grants the host no stream window: nothing the host sends on a stream
 * ever leaves. Opens an Events pair with both halves.
 */
async function stalledPair(t: ExecutionContext) {
  const echo = await startEchoHost(t, { keepaliveMs: 60_000, pair: { heartbeatMs: 100, upTimeoutMs: 60_000, resumeTimeoutMs: 300 } });
  const proxy = await freezableProxy(t, echo.port);
  const sessionsClosed: number[] = [];
  echo.host.server.on("session", (s: http2.ServerHttp2Session) => s.once("close", () => sessionsClosed.push(Date.now())));
  const client = http2.connect(`http://127.0.0.1:${proxy.port}`, { settings: { initialWindowSize: 0 } });
  client.on("error", () => undefined);
  t.teardown(() => new Promise<void>((resolve) => setImmediate(() => (client.destroy(), resolve()))));
  let pings = 0;
  client.on("ping", () => pings++);
  const down = client.request(pairHeaders("down", { [PairHeader.window]: "64" }, "Events"), { endStream: true });
  down.on("error", () => undefined);
  const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => down.once("response", resolve));
  const up = client.request(pairHeaders("up", { [PairHeader.id]: String(headers[PairHeader.id]), [PairHeader.firstSeq]: "1" }, "Events"));
  up.on("error", () => undefined);
  const call = await echo.call("events");
  return { proxy, call, sessionsClosed, pings: () => pings };
}

test("a pair on a connection that stops answering, with its down stuck, ends after one probe, not the keepalive", async (t) => {
  const { proxy, call, sessionsClosed } = await stalledPair(t);
  const frozenAt = Date.now();
  proxy.freeze();
  // The probe goes out within a heartbeat or two, and the session goes when it is not answered in PROBE_MS.
  await waitFor(() => sessionsClosed.length === 1, PROBE_MS + 3000, "the host to give up the silent connection");
  const ms = sessionsClosed[0]! - frozenAt;
  t.true(ms >= PROBE_MS - 500, `the session went ${ms} ms after the freeze: sooner than an unanswered probe allows`);
  // Its halves broke: the pair waits its resume timeout (300 ms) for the guest, then ends the handler.
  await waitFor(() => call.aborted, 3000, "the handler to be canceled");
  t.true(call.aborted);
});

test("a slow guest whose down cannot drain answers the probes and keeps its call", async (t) => {
  const { call, sessionsClosed, pings } = await stalledPair(t);
  await waitFor(() => pings() >= 3, 3000, "the host to probe the connection");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.deepEqual(sessionsClosed, [], "the session stays");
  t.false(call.aborted, "the call runs on");
  t.true(pings() >= 3, `${pings()} pings`);
});
