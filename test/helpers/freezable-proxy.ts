/**
 * A TCP proxy to a local port whose connections can be frozen silently: how
 * a connection that died without a word (a dropped NAT entry, a sleeping
 * laptop) looks to either end. Nothing is closed. Closed at the test's teardown.
 */
import type { ExecutionContext } from "ava";
import net, { type AddressInfo } from "node:net";

export interface FreezableProxy {
  port: number;
  /** From now on nothing the host sends reaches the client, on every connection so far. */
  freeze(): void;
  /** From now on nothing is forwarded either way, on every connection so far. */
  freezeBoth(): void;
}

export async function freezableProxy(t: ExecutionContext, port: number): Promise<FreezableProxy> {
  const links: { client: net.Socket; upstream: net.Socket }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    links.push({ client, upstream });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const { client, upstream } of links) client.destroy(), upstream.destroy();
    server.close();
  });
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => {
      for (const { client, upstream } of links) upstream.unpipe(client).pause();
    },
    freezeBoth: () => {
      for (const { client, upstream } of links) client.unpipe().pause(), upstream.unpipe().pause();
    },
  };
}
