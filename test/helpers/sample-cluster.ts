/**
 * The sample board scaled out, for Node tests: board host instances (h2c on
 * 127.0.0.1, each knowing the others as a cluster) on one real nats-server,
 * each with its own NATS connections, as `npm run start:cluster` runs them
 * in processes of their own; each can be drained and started again on its
 * name and port, or crashed. And "tabs": the worker's services in Node (the
 * code a browser tab's worker runs) over a gateway to any URL.
 */
import type { Socket } from "node:net";
import type { ExecutionContext } from "ava";
import { type BoardHostOptions, type BoardHostServer, startBoardHost } from "../../generated-sample/app/board-host.js";
import { type BoardStore, LOG_TOPIC, openNatsStore } from "../../generated-sample/app/board-store.js";
import { type BoardWorker, boardWorker } from "../../generated-sample/app/worker-services.js";
import { type Author, Change } from "../../generated-sample/gen/board/v1/board_pb.js";
import { type BoardReaderClient, type BoardWriterClient, createBoardReaderClient, createBoardWriterClient } from "../../generated-sample/gen/board/v1/worker_guest.js";
import { type Fetch, type Gateway, serveWorker } from "../../runtime/guest/index.js";
import type { Membership } from "../../runtime/host/index.js";
import { nodeGateway } from "./guest.js";
import type { NatsServer } from "./nats.js";

export interface BoardInstance {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT` (h2c). */
  readonly url: string;
  /** The running host, if it runs. */
  readonly server: BoardHostServer | undefined;
  /** Drains (running calls get `graceMs`), then closes its NATS connections. */
  drain(graceMs?: number): Promise<void>;
  /** Starts it again: same name, same port, a fresh copy of the board from NATS. */
  start(): Promise<void>;
  /** As a crash: every connection cut at once, no drain, its NATS connections gone. */
  crash(): Promise<void>;
  /** Publishes the broker had already stored (resends), over every run of this instance. */
  readonly duplicates: number;
}

export interface ClusterOptions {
  /** What an instance gets as its store: the NATS one, or a wrapper of it (to fail at a chosen moment). */
  wrapStore?: (name: string, store: BoardStore) => BoardStore;
  /** Serves what is not a call (the app's page, for a browser), as start:cluster's instances do. */
  fallback?: BoardHostOptions["fallback"];
}

export async function startBoardCluster(t: ExecutionContext, nats: NatsServer, names = ["b1", "b2", "b3"], options: ClusterOptions = {}): Promise<BoardInstance[]> {
  const members = new Map<string, string>();
  const membership: Membership = { resolve: (name) => members.get(name) };
  const instances: BoardInstance[] = [];
  for (const name of names) {
    let server: BoardHostServer | undefined;
    let store: BoardStore | undefined;
    let sockets = new Set<Socket>();
    const dead: BoardHostServer[] = [];
    let duplicates = 0;
    const launch = async (port: number) => {
      store = await openNatsStore(nats.url, name);
      server = await startBoardHost({
        store: options.wrapStore?.(name, store) ?? store,
        h2c: true,
        port,
        cluster: { instanceId: name, membership },
        fallback: options.fallback,
        onProblem: (p) => t.log(`${name}: ${p}`),
      });
      const mine = (sockets = new Set());
      server.host.server.on("connection", (socket: Socket) => {
        mine.add(socket);
        socket.once("close", () => mine.delete(socket));
      });
      return server.host.port;
    };
    const port = await launch(0);
    const url = `http://127.0.0.1:${port}`;
    members.set(name, url);
    t.teardown(async () => {
      // A crashed host's calls still hang on its side: end them too.
      await Promise.all([server?.close(), ...dead.map((d) => (d.relay?.close(), d.host.close(0)))]);
      await store?.close();
    });
    instances.push({
      name,
      port,
      url,
      get server() {
        return server;
      },
      get duplicates() {
        return duplicates + (server?.stats.duplicates ?? 0);
      },
      async drain(graceMs = 1000) {
        const [s, b] = [server, store];
        [server, store] = [undefined, undefined];
        await s?.drain({ graceMs, reason: `${name} restarts` });
        await b?.close();
        duplicates += s?.stats.duplicates ?? 0;
      },
      async start() {
        if (!server) await launch(port);
      },
      async crash() {
        const [s, b] = [server, store];
        [server, store] = [undefined, undefined];
        if (!s) return;
        dead.push(s);
        duplicates += s.stats.duplicates;
        s.relay?.close(); // a crash says nothing more to the other instances
        s.host.server.close();
        for (const socket of sockets) socket.destroy();
        await s.sync.close();
        await b?.close();
      },
    });
  }
  return instances;
}

export interface Tab {
  board: BoardWorker;
  gateway: Gateway;
  reader: BoardReaderClient;
  writer: BoardWriterClient;
}

/** A tab's worker, in Node, on `url` (haproxy's, or an instance's), its fetch optionally rerouted. */
export function startTab(t: ExecutionContext, url: string, me: Author, wrapFetch?: (fetch: Fetch) => Fetch): Tab {
  const gateway = nodeGateway(t, url, { retry: { attempts: 50, baseMs: 50, capMs: 500 }, wrapFetch });
  const board = boardWorker({ me, connection: gateway });
  const registry = serveWorker({ gateway, services: board.services });
  t.teardown(() => {
    board.close();
    registry.close();
    gateway.close();
  });
  return { board, gateway, reader: createBoardReaderClient(registry.transport), writer: createBoardWriterClient(registry.transport) };
}

export function author(id: string): Author {
  return { id, displayName: id, color: "#3a7" };
}

/** How many times each change id is in the board's log on `nats` (read from the start, as a fresh host would). */
export async function logCounts(nats: NatsServer): Promise<Map<string, number>> {
  const store = await openNatsStore(nats.url, "log-reader");
  const counts = new Map<string, number>();
  try {
    const end = await store.log.last(LOG_TOPIC);
    if (end === 0n) return counts;
    for await (const message of store.log.subscribe(LOG_TOPIC, { after: 0n, signal: AbortSignal.timeout(30_000) })) {
      const { changeId } = Change.decode(message.data);
      counts.set(changeId, (counts.get(changeId) ?? 0) + 1);
      if (message.position >= end) break;
    }
    return counts;
  } finally {
    await store.close();
  }
}
