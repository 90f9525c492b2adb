// Child process of bench/memory.ts: the host whose memory is measured.
//
//   node --expose-gc --import tsx --conditions=source bench/memory/host.ts <mode> <genDir>
//
// or, with the same code bundled by esbuild without tsx's `keepNames`
// (bench/gen/memory/host.bundle.mjs, whose entry imports `startHost`):
//
//   node --expose-gc bench/gen/memory/host.bundle.mjs <mode>
//
// <mode> `streampath`: createHost (h2c) serving bench.memory.Idle
// (bench/memory/memory.proto, generated into <genDir>), both of whose
// handlers count themselves and wait, yielding nothing, until canceled.
// <mode> `raw`: a plain node:http2 server with the host's HTTP/2 settings
// whose 'stream' handler answers headers and holds the stream open, writing
// nothing: the floor. Both modes load the same modules.
//
// Commands (bench/host/ipc.ts): `counts` (handlers running, HTTP/2 streams
// open, sessions), `memory` (after two full GCs: process.memoryUsage(),
// V8's heap spaces, and counts of a few kinds of objects), `snapshot`
// (BENCH_MEMORY_SNAPSHOT), `close`.
import http2 from "node:http2";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AddressInfo } from "node:net";
import v8 from "node:v8";
import {
  createHost,
  implement,
  type ServiceDescriptor,
} from "streampath/runtime/host";
import { PairCall } from "../../runtime/host/pair-call.js";
import { serveCommands } from "../host/ipc.js";

/** What `memory` answers. */
export interface MemoryReading {
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  /** V8 heap spaces: bytes used, by space name. */
  readonly spaces: Record<string, number>;
  /** Live objects whose prototype chain holds each constructor's prototype (v8.queryObjects). */
  readonly objects: Record<string, number>;
}

/** What `counts` answers. */
export interface Counts {
  /** Handlers started and not yet returned (streampath mode; raw: held streams). */
  readonly handlers: number;
  /** HTTP/2 streams open on the server (every session). */
  readonly streams: number;
  readonly sessions: number;
  /** HTTP/2 streams opened so far, closed ones included (more than 2 per pair: a half was opened again). */
  readonly opened: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

// The host's own HTTP/2 settings (runtime/host/server.ts), so the floor is the same configuration.
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;

let handlers = 0;
let streams = 0;
let sessions = 0;
let opened = 0;
/** Constructors of the objects counted in `memory`, by name. */
const counted = new Map<string, new (...args: never[]) => unknown>([
  ["Object", Object],
  ["Function", Function],
  ["Promise", Promise],
  ["Array", Array],
  ["Map", Map],
  ["Set", Set],
  ["AbortSignal", AbortSignal],
  ["Uint8Array", Uint8Array],
  ["ArrayBuffer", ArrayBuffer],
  ["PairCall", PairCall as new (...args: never[]) => unknown],
]);

/** Resolves when `signal` aborts: an idle handler. */
async function idle(signal: AbortSignal): Promise<void> {
  handlers++;
  try {
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    handlers--;
  }
}

function track(server: http2.Http2Server): void {
  server.on("session", (session) => {
    sessions++;
    session.once("close", () => sessions--);
    session.on("error", () => undefined);
  });
  server.on("stream", (stream) => {
    streams++;
    opened++;
    if (!counted.has("Http2Stream"))
      counted.set(
        "Http2Stream",
        stream.constructor as new (...args: never[]) => unknown,
      );
    stream.once("close", () => streams--);
  });
}

/** The streampath host: createHost serving `Idle`, its handlers idle. */
async function serveIdle(Idle: ServiceDescriptor): Promise<{ port: number; close: () => Promise<void> }> {
  const host = await createHost({
    h2c: true,
    // The default (100) would refuse all but 100 of the pairs of one principal.
    pair: { maxPairsPerPrincipal: 1000 },
    services: [
      implement(Idle, {
        async *watch(_request: unknown, context: { signal: AbortSignal }) {
          await idle(context.signal);
        },
        async *talk(_requests: unknown, context: { signal: AbortSignal }) {
          await idle(context.signal);
        },
      } as never),
    ],
  });
  track(host.server as http2.Http2Server);
  return { port: host.port, close: () => host.close(1000) };
}

/** The floor: node:http2 holding every stream open after its response headers. */
async function serveRaw(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http2.createServer({
    settings: { initialWindowSize: STREAM_WINDOW, maxConcurrentStreams: 1000 },
  });
  track(server);
  const open = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    open.add(session);
    session.once("close", () => open.delete(session));
    session.once("connect", () =>
      session.setLocalWindowSize(CONNECTION_WINDOW),
    );
    if (!session.connecting) session.setLocalWindowSize(CONNECTION_WINDOW);
  });
  server.on("stream", (stream) => {
    stream.on("error", () => undefined);
    handlers++;
    stream.once("close", () => handlers--);
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of open) session.destroy();
      await closed;
    },
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Serves `mode` (`streampath`: `Idle`) and answers the parent's commands until `close`. */
export async function startHost(mode: string | undefined, Idle: ServiceDescriptor | undefined): Promise<void> {
  if (!gc) throw new Error("run with --expose-gc");
  if (mode !== "streampath" && mode !== "raw")
    throw new Error(`mode must be streampath or raw, not ${mode}`);
  if (mode === "streampath" && !Idle) throw new Error("no Idle service");
  const { port, close } = mode === "raw" ? await serveRaw() : await serveIdle(Idle!);
  serveCommands(
    {
      async counts(): Promise<Counts> {
        return { handlers, streams, sessions, opened };
      },
      // BENCH_MEMORY_SNAPSHOT: a heap snapshot to `path` (bench/memory/snapshot.ts compares two).
      async snapshot(command): Promise<string> {
        return v8.writeHeapSnapshot(command.path as string);
      },
      async memory(): Promise<MemoryReading> {
        // Twice, with turns between so that finalizers and weak callbacks run.
        for (let i = 0; i < 2; i++) {
          await tick();
          gc!();
          await tick();
        }
        const usage = process.memoryUsage();
        const spaces: Record<string, number> = {};
        for (const space of v8.getHeapSpaceStatistics())
          spaces[space.space_name] = space.space_used_size;
        const objects: Record<string, number> = {};
        for (const [name, ctor] of counted)
          objects[name] = v8.queryObjects(ctor, { format: "count" }) as number;
        return {
          heapUsed: usage.heapUsed,
          external: usage.external,
          arrayBuffers: usage.arrayBuffers,
          rss: usage.rss,
          spaces,
          objects,
        };
      },
    },
    () => close(),
    { port },
  );
}

// Run by tsx: `host.ts <mode> <genDir>`.
if (process.argv[1]?.endsWith(join("memory", "host.ts"))) {
  const { Idle } = (await import(
    pathToFileURL(join(process.argv[3]!, "memory_host.ts")).href
  )) as { Idle: ServiceDescriptor };
  await startHost(process.argv[2], Idle);
}
