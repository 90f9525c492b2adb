/**
 * Keepalive on the host: a client that vanished without closing (here a TCP
 * proxy that stops forwarding the host's bytes, so its pings go unanswered)
 * loses its session after one unanswered ping, and its calls end.
 */
import test from "ava";
import http2 from "node:http2";
import { freezableProxy } from "./helpers/freezable-proxy.js";
import { grpcHeaders, rawRequest, startEchoHost, waitFor } from "./helpers/host.js";
import { createHost } from "../runtime/host/index.js";

test("a client that stops answering pings loses its session and its calls end", async (t) => {
  const echo = await startEchoHost(t, { keepaliveMs: 100 });
  const proxy = await freezableProxy(t, echo.port);
  const closed: string[] = [];
  echo.host.server.on("session", (session: http2.ServerHttp2Session) => session.once("close", () => closed.push("session")));
  const client = http2.connect(`http://127.0.0.1:${proxy.port}`);
  client.on("error", () => undefined);
  t.teardown(() => client.destroy());
  // A bidi call that waits for requests that never come.
  rawRequest(client, grpcHeaders("Chat"), [], false);
  const call = await echo.call("chat");
  proxy.freeze();
  await waitFor(() => closed.length === 1, 3000, "the host to close the silent session");
  await waitFor(() => call.aborted, 3000, "the call to be canceled");
  t.true(call.aborted);
});

for (const keepaliveMs of [50, 0]) {
  test(`keepaliveMs: ${keepaliveMs} ${keepaliveMs ? "pings every client" : "sends no pings"}`, async (t) => {
    const host = await createHost({ h2c: true, services: [], keepaliveMs });
    t.teardown(() => host.close(0));
    const client = http2.connect(host.url);
    client.on("error", () => undefined);
    t.teardown(() => client.destroy());
    let pings = 0;
    client.on("ping", () => pings++);
    await new Promise((resolve) => client.once("remoteSettings", resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (keepaliveMs) t.true(pings >= 2, `${pings} pings in 300 ms`);
    else t.is(pings, 0);
  });
}
