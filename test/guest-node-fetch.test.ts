/**
 * http2Fetch, the Node guest's fetch over node:http2, against real HTTP/2
 * servers: every request to an origin shares one session (what undici's
 * HTTP/2 client does not do for POSTs), full duplex, back-pressure, aborts,
 * resets, a dying session and an unresponsive peer.
 *
 * Server-side resets and destroys wait for setImmediate, as the adapter's do:
 * Node 20 can spin forever when they run inside a session's receive callbacks.
 */
import test, { type ExecutionContext } from "ava";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import v8 from "node:v8";
// queryObjects below counts live streams after a collection.
v8.setFlagsFromString("--expose-gc");
import { http2Fetch, type Http2Fetch, type Http2FetchOptions } from "../runtime/guest/node.js";
import { freezableProxy } from "./helpers/freezable-proxy.js";
import { selfSigned } from "./helpers/tls.js";

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;
const MiB = 1024 * 1024;

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/** A TLS HTTP/2 server on 127.0.0.1 with `handler`; counts its sessions. */
async function serve(t: ExecutionContext, handler: Handler, settings: http2.Settings = {}) {
  const server = http2.createSecureServer({ ...selfSigned(), settings });
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<import("node:tls").TLSSocket>(); // the raw connections, to break them
  server.on("secureConnection", (socket) => (sockets.add(socket), socket.once("close", () => sockets.delete(socket))));
  let opened = 0;
  server.on("session", (session) => {
    opened++;
    sessions.add(session);
    session.on("error", () => undefined);
    session.once("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    handler(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const session of sessions) session.destroy();
    server.close(() => resolve());
  }));
  const port = (server.address() as AddressInfo).port;
  return { url: `https://127.0.0.1:${port}`, port, sessions, sockets, get opened() { return opened; } };
}

function client(t: ExecutionContext, options: Http2FetchOptions = {}): Http2Fetch {
  const fetch = http2Fetch({ ca: selfSigned().cert, ...options });
  t.teardown(() => fetch.close());
  return fetch;
}

/** A request body the test feeds chunk by chunk; `cancelled` resolves with the reason when fetch stops reading it. */
function pushable() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled!: (reason: unknown) => void;
  const whenCancelled = new Promise<unknown>((resolve) => (cancelled = resolve));
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c), cancel: (reason) => cancelled(reason) });
  return { stream, controller, whenCancelled };
}

async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  return Buffer.concat(chunks);
}

const readAll = (body: ReadableStream<Uint8Array> | null) => readRest(body!.getReader());

/** What `promise` rejects with (ava's throwsAsync wants an Error; an abort's DOMException is not one to it). */
const rejection = (promise: Promise<unknown>) => promise.then(() => { throw new Error("resolved"); }, (error: unknown) => error);

/** Reads until `n` bytes have come (chunks may coalesce or split). */
async function readBytes(reader: ReadableStreamDefaultReader<Uint8Array>, n: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`body ended after ${got} of ${n} bytes`);
    chunks.push(value);
    got += value.byteLength;
  }
  return Buffer.concat(chunks);
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function drainedOrClosed(stream: http2.ServerHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (stream.off("drain", done), stream.off("close", done), resolve());
    stream.on("drain", done).on("close", done);
  });
}

const serverReset = (stream: http2.ServerHttp2Stream, code: number) => setImmediate(() => stream.close(code));
const closedWith = (stream: http2.ServerHttp2Stream) => new Promise<number>((resolve) => stream.once("close", () => resolve(stream.rstCode)));

test("200 POSTs and 20 long downloads to one origin share one session", async (t) => {
  const downloads = new Set<http2.ServerHttp2Stream>();
  const host = await serve(t, (stream, headers) => {
    stream.respond({ ":status": 200 });
    if (headers[":path"] === "/download") {
      downloads.add(stream);
      stream.write("open;");
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => stream.end(Buffer.concat(chunks)));
  });
  const fetch = client(t);
  const open = await Promise.all(Array.from({ length: 20 }, () => fetch(`${host.url}/download`, { method: "GET" })));
  t.is(downloads.size, 20);
  const echoes = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const response = await fetch(`${host.url}/echo`, { method: "POST", body: `request ${i}` });
    return response.text();
  }));
  t.deepEqual(echoes, Array.from({ length: 200 }, (_, i) => `request ${i}`));
  for (const stream of downloads) stream.end("done");
  t.deepEqual(await Promise.all(open.map((r) => r.text())), Array(20).fill("open;done"));
  t.is(host.opened, 1);
  t.is(fetch.sessions, 1);
});

test("a burst on a new session to a peer allowing 2 streams waits for slots instead of being refused", async (t) => {
  let active = 0;
  let most = 0;
  const host = await serve(t, (stream) => {
    most = Math.max(most, ++active);
    stream.once("close", () => active--);
    stream.respond({ ":status": 200 });
    setTimeout(() => stream.end("ok"), 20);
  }, { maxConcurrentStreams: 2 });
  const fetch = client(t);
  const bodies = await Promise.all(Array.from({ length: 30 }, () => fetch(`${host.url}/`, { method: "GET" }).then((r) => r.text())));
  t.deepEqual(bodies, Array(30).fill("ok"));
  t.is(most, 2);
  t.is(fetch.sessions, 1);
});

test("request forms: headers lower-cased, bodies of every kind, duplex required for a stream", async (t) => {
  const host = await serve(t, (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      stream.respond({ ":status": 201, "x-method": headers[":method"], "x-a": headers["x-a"] ?? "", "x-type": headers["content-type"] ?? "" });
      stream.end(Buffer.concat(chunks));
    });
  });
  const fetch = client(t);
  const forms: HeadersInit[] = [new Headers({ "X-A": "1" }), { "X-A": "1" }, [["X-A", "1"]]];
  for (const headers of forms) {
    const response = await fetch(`${host.url}/`, { method: "post", headers, body: "text" });
    t.is(response.status, 201);
    t.is(response.headers.get("x-method"), "POST");
    t.is(response.headers.get("x-a"), "1");
    t.is(response.headers.get("x-type"), "text/plain;charset=UTF-8");
    t.is(await response.text(), "text");
  }
  const bytes = new Uint8Array([1, 2, 3, 4]);
  for (const body of [bytes, bytes.buffer, new DataView(bytes.buffer, 1, 2)]) {
    const response = await fetch(`${host.url}/`, { method: "PUT", body });
    t.deepEqual([...new Uint8Array(await response.arrayBuffer())], body instanceof DataView ? [2, 3] : [1, 2, 3, 4]);
  }
  await t.throwsAsync(fetch(`${host.url}/`, { method: "POST", body: pushable().stream }), { instanceOf: TypeError, message: /duplex/ });
  await t.throwsAsync(fetch(`${host.url}/`, { method: "GET", body: "x" }), { instanceOf: TypeError });
});

test("full duplex: 50 round trips on one streaming POST", async (t) => {
  const host = await serve(t, (stream) => {
    stream.respond({ ":status": 200 });
    stream.on("data", (chunk: Buffer) => stream.write(chunk));
    stream.on("end", () => stream.end());
  });
  const fetch = client(t);
  const up = pushable();
  up.controller.enqueue(Buffer.from("message 00"));
  const response = await fetch(`${host.url}/echo`, { method: "POST", body: up.stream, duplex: "half" });
  const reader = response.body!.getReader();
  for (let i = 0; i < 50; i++) {
    const message = `message ${String(i).padStart(2, "0")}`;
    t.is((await readBytes(reader, message.length)).toString(), message);
    if (i < 49) up.controller.enqueue(Buffer.from(`message ${String(i + 1).padStart(2, "0")}`));
  }
  up.controller.close();
  t.true((await reader.read()).done);
  t.is(host.opened, 1);
});

test("a pair on one connection: an upload's chunks reach an open download as they are sent", async (t) => {
  let down: http2.ServerHttp2Stream | undefined;
  const host = await serve(t, (stream, headers) => {
    if (headers[":path"] === "/down") {
      down = stream;
      stream.respond({ ":status": 200 });
      return;
    }
    stream.on("data", (chunk: Buffer) => down!.write(chunk));
    stream.on("end", () => {
      stream.respond({ ":status": 200 });
      stream.end();
      down!.end();
    });
  });
  const fetch = client(t);
  const a = await fetch(`${host.url}/down`, { method: "POST" });
  const reader = a.body!.getReader();
  const up = pushable();
  const b = fetch(`${host.url}/up`, { method: "POST", body: up.stream, duplex: "half" });
  for (let i = 0; i < 10; i++) {
    up.controller.enqueue(Buffer.from(`chunk ${i};`));
    t.is((await readBytes(reader, `chunk ${i};`.length)).toString(), `chunk ${i};`);
  }
  up.controller.close();
  t.is((await b).status, 200);
  t.true((await reader.read()).done);
  t.is(host.opened, 1);
  t.is(fetch.sessions, 1);
});

// Serial: its 64 MiB would slow the timed tests (abort, a dying session, pings) that run beside it.
test.serial("back-pressure: an unread body stops the server long before 64 MiB, and reads whole later", async (t) => {
  let written = 0;
  const host = await serve(t, async (stream) => {
    stream.respond({ ":status": 200 });
    const chunk = Buffer.alloc(MiB, 7);
    while (written < 64 * MiB && !stream.destroyed) {
      written += chunk.length;
      if (!stream.write(chunk)) await drainedOrClosed(stream);
    }
    stream.end();
  });
  const fetch = client(t);
  const response = await fetch(`${host.url}/big`, { method: "GET" });
  await delay(1000);
  t.log(`the server wrote ${written / MiB} MiB in 1 s`);
  t.true(written > 0 && written < 32 * MiB, `the server wrote ${written / MiB} MiB`);
  t.is((await readAll(response.body)).length, 64 * MiB);
});

test("abort: mid-body errors the reader, cancels the stream and stops the upload; before headers rejects with the reason", async (t) => {
  const closes = new Map<string, Promise<number>>();
  const host = await serve(t, (stream, headers) => {
    closes.set(headers[":path"]!, closedWith(stream));
    if (headers[":path"] === "/hang") return;
    stream.respond({ ":status": 200 });
    stream.write("first");
  });
  const fetch = client(t);

  const during = new AbortController();
  const up = pushable();
  const response = await fetch(`${host.url}/body`, { method: "POST", body: up.stream, duplex: "half", signal: during.signal });
  const reader = response.body!.getReader();
  t.is((await readBytes(reader, 5)).toString(), "first");
  during.abort();
  t.is(((await rejection(reader.read())) as DOMException).name, "AbortError");
  t.is(await within(closes.get("/body")!, 5000, "server sees /body reset"), NGHTTP2_CANCEL);
  t.is(await within(up.whenCancelled, 5000, "request body cancelled"), during.signal.reason);

  const before = new AbortController();
  const pending = fetch(`${host.url}/hang`, { method: "GET", signal: before.signal });
  while (!closes.has("/hang")) await delay(5);
  const reason = new Error("changed my mind");
  before.abort(reason);
  t.is(await t.throwsAsync(pending), reason);
  t.is(await within(closes.get("/hang")!, 5000, "server sees /hang reset"), NGHTTP2_CANCEL);

  t.is(((await rejection(fetch(`${host.url}/never`, { method: "GET", signal: AbortSignal.abort() }))) as DOMException).name, "AbortError");
  t.false(closes.has("/never"));
});

test("a stream the server resets fails the promise before headers and the body after", async (t) => {
  const host = await serve(t, (stream, headers) => {
    if (headers[":path"] === "/before") return serverReset(stream, NGHTTP2_INTERNAL_ERROR);
    stream.respond({ ":status": 200 });
    stream.write("some");
    // Not close(code): Node's close ends the stream (END_STREAM, a whole body) before its RST_STREAM.
    setImmediate(() => stream.destroy(new Error("server gives up")));
  });
  const fetch = client(t);
  const before = await t.throwsAsync(fetch(`${host.url}/before`, { method: "GET" }), { instanceOf: TypeError, message: "fetch failed" });
  t.regex(String((before as TypeError).cause), /NGHTTP2_INTERNAL_ERROR|code 2/);
  const response = await fetch(`${host.url}/after`, { method: "GET" });
  await t.throwsAsync(readAll(response.body), { instanceOf: TypeError });
  t.is(fetch.sessions, 1);
});

test("a session that dies settles everything in flight, and the next request opens a new one", async (t) => {
  const host = await serve(t, (stream, headers) => {
    if (headers[":path"] === "/hang") return;
    stream.respond({ ":status": 200 });
    if (headers[":path"] === "/ok") stream.end("fine");
    else stream.write("open");
  });
  const fetch = client(t);
  const downloads = await Promise.all(Array.from({ length: 5 }, () => fetch(`${host.url}/download`, { method: "GET" })));
  const readers = downloads.map((r) => r.body!.getReader());
  await Promise.all(readers.map((reader) => readBytes(reader, 4)));
  const hanging = Array.from({ length: 5 }, () => fetch(`${host.url}/hang`, { method: "GET" }));
  await delay(50); // the hanging requests reach the server
  t.is(host.sockets.size, 1);
  setImmediate(() => [...host.sockets][0]!.destroy());
  const settled = await within(Promise.allSettled([...hanging, ...readers.map((reader) => reader.read())]), 1000, "in-flight requests settle");
  t.true(settled.every((s) => s.status === "rejected"), JSON.stringify(settled.map((s) => s.status)));
  t.is(await (await fetch(`${host.url}/ok`, { method: "GET" })).text(), "fine");
  t.is(fetch.sessions, 2);
  t.is(host.opened, 2);
});

test("after GOAWAY, requests in flight finish on the old session and new ones open a new session", async (t) => {
  let download: http2.ServerHttp2Stream | undefined;
  const host = await serve(t, (stream, headers) => {
    stream.respond({ ":status": 200 });
    if (headers[":path"] !== "/download") return void stream.end("fine");
    download = stream;
    stream.write("open;");
  });
  const fetch = client(t);
  const reader = (await fetch(`${host.url}/download`, { method: "GET" })).body!.getReader();
  t.is((await readBytes(reader, 5)).toString(), "open;");
  [...host.sessions][0]!.close(); // GOAWAY; the session ends when its streams do
  download!.write("bye;"); // after the GOAWAY on the wire: once it is read, the client has the GOAWAY
  t.is((await readBytes(reader, 4)).toString(), "bye;");
  t.is(await (await fetch(`${host.url}/ok`, { method: "GET" })).text(), "fine");
  t.is(fetch.sessions, 2);
  download!.end("done");
  t.is((await readRest(reader)).toString(), "done");
});


test("a peer that stops answering pings fails an open download within a second", async (t) => {
  const host = await serve(t, (stream) => {
    stream.respond({ ":status": 200 });
    stream.write("open");
  });
  const proxy = await freezableProxy(t, host.port);
  const proxyUrl = `https://127.0.0.1:${proxy.port}`;
  const fetch = client(t, { keepaliveMs: 300 });
  const response = await fetch(`${proxyUrl}/download`, { method: "GET" });
  const reader = response.body!.getReader();
  t.is((await readBytes(reader, 4)).toString(), "open");
  proxy.freezeBoth();
  const started = Date.now();
  const error = await t.throwsAsync(within(reader.read(), 1200, "body error"), { instanceOf: TypeError });
  t.regex(String((error as TypeError).cause), /ping/);
  t.log(`failed after ${Date.now() - started} ms`);
});

test.serial("a response abandoned with data queued (its reader canceled or its request aborted) releases its stream", async (t) => {
  const host = await serve(t, (stream) => {
    stream.respond({ ":status": 200 });
    // More than the body queue holds, then the end: the stream pauses with data and the end waiting.
    for (let i = 0; i < 16; i++) stream.write(Buffer.alloc(64 * 1024, 1));
    stream.end();
  });
  const fetch = client(t);
  // node:http2's stream class, from a stream of a session of our own.
  const probe = http2.connect(host.url, { ca: selfSigned().cert });
  probe.on("error", () => undefined);
  t.teardown(() => void setImmediate(() => probe.destroy()));
  const Stream = Object.getPrototypeOf(probe.request({ ":path": "/" }).on("error", () => undefined)).constructor;
  const { queryObjects } = (await import("node:v8")) as unknown as { queryObjects(ctor: unknown, options: { format: "count" }): number };
  const gc = (await import("node:vm")).runInNewContext("gc") as () => void;
  const live = () => (gc(), queryObjects(Stream, { format: "count" }));
  const before = live();
  await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const abort = new AbortController();
    const response = await fetch(`${host.url}/flood`, { method: "GET", signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    await delay(100); // the queue fills and the stream pauses
    if (i % 2) await reader.cancel();
    else abort.abort();
  }));
  let after = live();
  for (let i = 0; i < 50 && after > before; i++) (await delay(20), (after = live()));
  t.true(after <= before, `${after - before} of 40 abandoned streams still held`);
});

test("requests waiting for headers on a connection gone silent are failed after a probe, long before the keepalive, and the next request gets a new connection", async (t) => {
  const host = await serve(t, (stream) => {
    stream.respond({ ":status": 200 });
    stream.end("ok");
  });
  const proxy = await freezableProxy(t, host.port);
  const proxyUrl = `https://127.0.0.1:${proxy.port}`;
  const fetch = client(t); // keepalive at its default, 30 s
  t.is(await (await fetch(`${proxyUrl}/first`, { method: "GET" })).text(), "ok");
  proxy.freezeBoth();
  const started = Date.now();
  const error = await t.throwsAsync(within(fetch(`${proxyUrl}/stuck`, { method: "GET" }), 10_000, "the stuck request to fail"), { instanceOf: TypeError });
  const ms = Date.now() - started;
  t.regex(String((error as TypeError).cause), /ping/);
  t.true(ms >= 2000 && ms < 10_000, `failed after ${ms} ms: quiet for 2 s, then a ping unanswered for 3 s`);
  t.is(host.opened, 1);
  // The frozen proxy accepts a new connection and forwards it: a new session.
  t.is(await (await fetch(`${proxyUrl}/after`, { method: "GET" })).text(), "ok");
  t.is(fetch.sessions, 2);
});
