// The servers of the browser benchmark. Each runs in a child process of its
// own (bench/browser/server.ts), away from the driver: Playwright keeps an
// AsyncLocalStorage, which makes every promise in its process pay for
// async_hooks, and the servers' heaps and CPU time stay apart.
//
// - one streampath host (createHost, TLS, HTTP/2) on 127.0.0.1:0 serving
//   the generated Echo service, and through its `fallback` the page, the
//   worker script, the raw pair's two routes and the typed floor's two: one
//   origin, so every request of the page shares one HTTP/2 session, as an
//   app's would;
// - a `ws` WebSocketServer on a node:https (HTTP/1.1) server on another
//   127.0.0.1 port, with the same self-signed certificate.
import https from "node:https";
import type http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import {
  Channel,
  EnvelopeDecoder,
  MessageBatch,
  type MethodDescriptor,
  decodeAt,
  flatten,
} from "streampath/runtime/core";
import {
  createHost,
  implement,
  type PairOptions,
  type ServiceDescriptor,
} from "streampath/runtime/host";
import {
  FLOOR_DOWN_PATH,
  FLOOR_UP_PATH,
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
 * The two requests of a raw pair or of the floor: a down request is answered
 * at once and kept by its id; when the up request with the same id comes,
 * `connect(up, down)` joins them. Both peers share the content type and the
 * id header; each has its own two paths.
 */
function pairRoute(
  name: string,
  downPath: string,
  upPath: string,
  connect: (up: http2.ServerHttp2Stream, down: http2.ServerHttp2Stream) => void,
) {
  const downs = new Map<string, http2.ServerHttp2Stream>();
  return (
    path: string,
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ): boolean => {
    if (path !== downPath && path !== upPath) return false;
    const id = headers[RAW_ID_HEADER];
    if (
      headers[":method"] !== "POST" ||
      headers["content-type"] !== RAW_CONTENT_TYPE ||
      typeof id !== "string"
    ) {
      respond(stream, 400, "text/plain", `${name}: POST, octet-stream, id`);
      return true;
    }
    if (path === downPath) {
      if (downs.has(id)) {
        respond(stream, 409, "text/plain", `${name}: id in use`);
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
      respond(stream, 404, "text/plain", `${name}: no such down`);
      return true;
    }
    downs.delete(id);
    connect(stream, down);
    return true;
  };
}

/**
 * The raw pair's host side: the up request piped into the down response,
 * bytes as they come (pipe pauses the up stream while the down one is full,
 * so HTTP/2 flow control pushes back on the browser). The up request is
 * answered when it ends, and the down one ends with it.
 */
const rawPair = () =>
  pairRoute("raw pair", RAW_DOWN_PATH, RAW_UP_PATH, (up, down) => {
    up.pipe(down);
    up.once("end", () => {
      up.respond({ ":status": 200 });
      up.end();
    });
    up.once("close", () => {
      if (!up.readableEnded) down.close();
    });
    down.once("close", () => {
      if (!up.closed && !up.writableEnded) up.close();
    });
  });

/** The user's echo: one object serves streampath (`implement`) and the floor. */
const echoImplementation = {
  async *echo(requests: AsyncIterable<unknown>) {
    for await (const event of requests) yield event;
  },
};

const CHUNK_BYTES = 64 * 1024;
/** Decoded up chunks queued ahead of the handler; a full queue pauses the up stream. */
const FLOOR_QUEUE_CHUNKS = 16;
const FLOOR_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * The typed floor's host side: the least a typed host must do per event,
 * and nothing of the pair protocol. Up: each 'data' chunk →
 * EnvelopeDecoder.each → the method's input codec, in place (decodeAt), per
 * envelope → one array per chunk → a bounded Channel (full: the up stream
 * pauses, so HTTP/2 flow control pushes back)
 * → flatten → the user's handler. Down: each message the handler yields
 * written with the output codec into a MessageBatch, written as one chunk
 * per setImmediate or at 64 KiB; a write that returns false holds the
 * handler until 'drain'. The up request is answered when it ends; the down
 * one ends when the handler returns.
 */
const floorPair = (method: MethodDescriptor) =>
  pairRoute("floor", FLOOR_DOWN_PATH, FLOOR_UP_PATH, (up, down) => {
    const { input, output } = method;
    const requests = new Channel<unknown[]>(FLOOR_QUEUE_CHUNKS);
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      requests.fail(error);
      if (!up.closed) up.close();
      if (!down.closed) down.close();
    };
    up.on("error", fail);
    down.on("error", fail);
    up.once("close", () => {
      if (!up.readableEnded) fail(new Error("floor: the up request was reset"));
    });
    down.once("close", () => {
      if (!down.writableFinished)
        fail(new Error("floor: the down response was reset"));
    });

    const decoder = new EnvelopeDecoder({
      maxMessageBytes: FLOOR_MAX_MESSAGE_BYTES,
    });
    // Each envelope decoded in place (no view or object per envelope).
    let messages: unknown[] = [];
    const collect = (
      _: number,
      bytes: Uint8Array,
      start: number,
      end: number,
    ) => void messages.push(decodeAt(input, bytes, start, end));
    up.on("data", (chunk: Uint8Array) => {
      try {
        decoder.each(chunk, collect);
      } catch (error) {
        return fail(error);
      }
      if (messages.length === 0) return;
      const decoded = messages;
      messages = [];
      if (requests.offer(decoded)) return;
      up.pause();
      requests.send(decoded).then(
        () => up.resume(),
        () => undefined, // failed: fail() has closed both streams
      );
    });
    up.once("end", () => {
      try {
        decoder.end();
      } catch (error) {
        return fail(error);
      }
      requests.close();
      up.respond({ ":status": 200 });
      up.end();
    });

    const batch = new MessageBatch();
    let scheduled = false;
    let drained: Promise<void> | undefined;
    const flush = (): void => {
      scheduled = false;
      const chunk = batch.take();
      if (chunk === undefined || down.destroyed) return;
      if (!down.write(chunk) && drained === undefined) {
        drained = new Promise((resolve) => {
          const done = () => {
            down.off("drain", done);
            down.off("close", done);
            drained = undefined;
            resolve();
          };
          down.on("drain", done);
          down.on("close", done);
        });
      }
    };
    void (async () => {
      for await (const message of echoImplementation.echo(
        flatten(requests[Symbol.asyncIterator]()),
      )) {
        batch.add(output, message);
        if (batch.bytes >= CHUNK_BYTES) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        if (drained !== undefined) await drained;
      }
      flush();
      down.end();
    })().catch(fail);
  });

/** The streampath host, with the page, the worker, the raw pair and the floor in its fallback. */
export async function startHost(
  Echo: ServiceDescriptor,
  workerScript: string,
  tls: Tls,
  pair?: Partial<PairOptions>,
): Promise<Server> {
  const echoMethod = Echo.methods.echo;
  if (!echoMethod) throw new Error(`${Echo.typeName} has no method echo`);
  const raw = rawPair();
  const floor = floorPair(echoMethod);
  const host = await createHost({
    tls,
    pair,
    // The echo as a user writes it.
    services: [implement(Echo, echoImplementation)],
    fallback: (stream, headers) => {
      const path = String(headers[":path"] ?? "/").split("?")[0]!;
      if (raw(path, stream, headers) || floor(path, stream, headers)) return;
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
