/**
 * A TCP proxy to a local port whose host→client direction can be cut
 * silently: how a connection that died without a word (a dropped NAT entry,
 * a sleeping laptop) looks to the host. Closed at the test's teardown.
 */
import type { ExecutionContext } from "ava";
import net, { type AddressInfo } from "node:net";

export interface FreezableProxy {
  port: number;
  /** From now on nothing the host sends reaches the client; nothing is closed. */
  freeze(): void;
}

export async function freezableProxy(t: ExecutionContext, port: number): Promise<FreezableProxy> {
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
    freeze: () => {
      upstream!.unpipe(client!);
      upstream!.pause();
    },
  };
}
