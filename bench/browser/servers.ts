// The servers of the browser benchmark. Each runs in a child process of its
// own (bench/browser/server.ts), away from the driver: Playwright keeps an
// AsyncLocalStorage, which makes every promise in its process pay for
// async_hooks, and the servers' heaps and CPU time stay apart.
//
// - one streampath host (createHost, TLS, HTTP/2) on 127.0.0.1:0 serving
//   the generated Echo service, and through its `fallback` the page, the
//   worker script and the raw pair's two routes: one origin, so every request
//   of the page shares one HTTP/2 session, as an app's would;
// - a `ws` WebSocketServer on a node:https (HTTP/1.1) server on another
//   127.0.0.1 port, with the same self-signed certificate.
import https from "node:https";
import type http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import {
  createHost,
  implement,
  type PairOptions,
  type ServiceDescriptor,
} from "streampath/runtime/host";
import {
  RAW_CONTENT_TYPE,
  RAW_DOWN_PATH,
  RAW_ID_HEADER,
  RAW_UP_PATH,
} from "./protocol.js";

export interface Tls {
  key: string;
  cert: string;
}

export interface Server {
  /** `https://127.0.0.1:PORT` (the host) or `wss://127.0.0.1:PORT` (ws). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The page keeps one module worker alive for the whole run and forwards
 * commands to it: `benchCommand(command, timeoutMs)` resolves with the
 * worker's `{ ok, result | error }`. It lives in the page, not in a
 * page.evaluate callback, because tsx rewrites named functions to call a
 * `__name` helper the page does not have (see test/helpers/browser.ts).
 * A command that times out restarts the worker (the driver then sets it up
 * again).
 */
const PAGE = `<!doctype html><meta charset=utf-8><title>streampath browser benchmark</title><link rel=icon href="data:,">
<script>
let worker;
let nextId = 0;
const pending = new Map();
function startWorker() {
  worker = new Worker("/worker.js", { type: "module" });
  worker.onmessage = (e) => {
    const entry = pending.get(e.data.id);
    if (entry) entry.done(e.data);
  };
  worker.onmessageerror = () => failAll("a reply from the worker could not be deserialized");
  worker.onerror = (e) =>
    failAll("worker error event: " + (e.message || "(no message: did /worker.js load?)") + " at " + e.filename + ":" + e.lineno + ":" + e.colno);
}
function failAll(error) {
  for (const entry of [...pending.values()]) entry.done({ ok: false, error });
}
function benchCommand(command, timeoutMs) {
  return new Promise((resolve) => {
    const id = ++nextId;
    const timer = setTimeout(() => {
      worker.terminate();
      startWorker();
      entry.done({ ok: false, error: "no reply from the worker within " + timeoutMs + " ms (worker restarted)" });
    }, timeoutMs);
    const entry = {
      done(reply) {
        clearTimeout(timer);
        pending.delete(id);
        resolve(reply);
      },
    };
    pending.set(id, entry);
    worker.postMessage({ id, command });
  });
}
startWorker();
</script>
`;

/**
 * Cross-origin isolation, so the worker's performance.now() has a 5 µs step
 * instead of 100 µs (ping-pong times are a millisecond or two).
 */
const ISOLATED = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

function respond(
  stream: http2.ServerHttp2Stream,
  status: number,
  type: string,
  body: string,
): void {
  stream.respond({
    ":status": status,
    "content-type": type,
    "cache-control": "no-store",
    ...ISOLATED,
  });
  stream.end(body);
}

/**
 * The raw pair's host side: a down request is answered at once and kept by
 * its id; the up request with the same id is piped into it, bytes as they
 * come (pipe pauses the up stream while the down one is full, so HTTP/2
 * flow control pushes back on the browser). The up request is answered when
 * it ends, and the down one ends with it.
 */
function rawPair() {
  const downs = new Map<string, http2.ServerHttp2Stream>();
  return (
    path: string,
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ): boolean => {
    if (path !== RAW_DOWN_PATH && path !== RAW_UP_PATH) return false;
    const id = headers[RAW_ID_HEADER];
    if (
      headers[":method"] !== "POST" ||
      headers["content-type"] !== RAW_CONTENT_TYPE ||
      typeof id !== "string"
    ) {
      respond(stream, 400, "text/plain", "raw pair: POST, octet-stream, id");
      return true;
    }
    if (path === RAW_DOWN_PATH) {
      if (downs.has(id)) {
        respond(stream, 409, "text/plain", "raw pair: id in use");
        return true;
      }
      stream.respond({ ":status": 200, "content-type": RAW_CONTENT_TYPE });
      downs.set(id, stream);
      stream.once("close", () => {
        if (downs.get(id) === stream) downs.delete(id);
      });
      stream.resume(); // the down request has no body; let it end
      return true;
    }
    const down = downs.get(id);
    if (!down) {
      respond(stream, 404, "text/plain", "raw pair: no such down");
      return true;
    }
    downs.delete(id);
    stream.pipe(down);
    stream.once("end", () => {
      stream.respond({ ":status": 200 });
      stream.end();
    });
    stream.once("close", () => {
      if (!stream.readableEnded) down.close();
    });
    down.once("close", () => {
      if (!stream.closed && !stream.writableEnded) stream.close();
    });
    return true;
  };
}

/** The streampath host, with the page, the worker and the raw pair in its fallback. */
export async function startHost(
  Echo: ServiceDescriptor,
  workerScript: string,
  tls: Tls,
  pair?: Partial<PairOptions>,
): Promise<Server> {
  const raw = rawPair();
  const host = await createHost({
    tls,
    pair,
    services: [
      // The echo as a user writes it.
      implement(Echo, {
        async *echo(requests: AsyncIterable<unknown>) {
          for await (const event of requests) yield event;
        },
      }),
    ],
    fallback: (stream, headers) => {
      const path = String(headers[":path"] ?? "/").split("?")[0]!;
      if (raw(path, stream, headers)) return;
      if (path === "/")
        return respond(stream, 200, "text/html; charset=utf-8", PAGE);
      if (path === "/worker.js")
        return respond(
          stream,
          200,
          "text/javascript; charset=utf-8",
          workerScript,
        );
      respond(stream, 404, "text/plain", "not found");
    },
  });
  return { url: host.url, close: () => host.close(500) };
}

/** `ws` on node:https: every message is sent back as it came. */
export async function startWebSocketServer(tls: Tls): Promise<Server> {
  const server = https.createServer(tls);
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    maxPayload: 1 << 20,
  });
  wss.on("connection", (socket: WebSocket) => {
    socket.on("error", () => undefined);
    socket.on("message", (data, isBinary) =>
      socket.send(data, { binary: isBinary }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `wss://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
