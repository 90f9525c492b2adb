/**
 * Keepalive on the host: a client that vanished without closing (here a TCP
 * proxy that stops forwarding the host's bytes, so its pings go unanswered)
 * loses its session after one unanswered ping, and its calls end.
 */
import test from "ava";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { grpcHeaders, rawRequest, startEchoHost, waitFor } from "./helpers/host.js";
import { createHost } from "../runtime/host/index.js";

/** A TCP proxy to `port` whose host→client direction can be cut silently. */
async function freezableProxy(t: import("ava").ExecutionContext, port: number) {
  const sockets: net.Socket[] = [];
  let upstream: net.Socket | undefined;
  let client: net.Socket | undefined;
  const server = net.createServer((socket) => {
    client = socket;
    upstream = net.connect(port, "127.0.0.1");
    sockets.push(socket, upstream);
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return {
    port: (server.address() as AddressInfo).port,
    /** From now on nothing the host sends reaches the client; nothing is closed. */
    freeze: () => {
      upstream!.unpipe(client!);
      upstream!.pause();
    },
  };
}

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
