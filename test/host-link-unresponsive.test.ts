// A peer that accepts the TCP connection but never speaks HTTP/2: a link
// gives up after its connect timeout instead of holding the call forever.
import test from "ava";
import net from "node:net";
import { Code, StreampathError } from "../runtime/core/index.js";
import { connectHost } from "../runtime/host/index.js";
import { loadEcho, request } from "./helpers/host.js";

test("a call to a silent peer fails UNAVAILABLE after connectTimeoutMs", async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as net.AddressInfo).port;
  const { createEchoClient } = await loadEcho();
  const link = connectHost(`http://127.0.0.1:${port}`, { connectTimeoutMs: 300 });
  t.teardown(() => link.close());
  const started = Date.now();
  const error = await createEchoClient(link).say(request({ text: "anyone?" })).then(() => undefined, (e: unknown) => e);
  const elapsed = Date.now() - started;
  t.true(error instanceof StreampathError, String(error));
  t.is((error as StreampathError).code, Code.Unavailable, (error as Error).message);
  t.regex((error as Error).message, /handshake/);
  t.true(elapsed >= 250 && elapsed < 5_000, `gave up after ${elapsed} ms`);
});
