/**
 * A fetch for Node over node:http2 that, as a browser does, multiplexes every
 * request to an origin over one HTTP/2 connection: the Node guest's
 * transport, `connectGateway(origin, { fetch: http2Fetch({ ca }) })`.
 * undici's HTTP/2 client dispatches no POST while another request is in
 * flight on a connection, so a pair's down and up would take two.
 *
 * Node 20 can spin forever at 100 % CPU when a stream or session is reset
 * from inside that session's receive callbacks, promise continuations run
 * there included (nodejs/node#64113): every reset and destroy here waits for
 * setImmediate.
 */
import http2 from "node:http2";
import type { Fetch } from "./http.js";

export interface Http2FetchOptions {
  /** Trusted CA certificates (PEM) for TLS, e.g. a self-signed host's cert. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Other tls/http2 connect options passed through (servername, rejectUnauthorized, ...). */
  connect?: http2.SecureClientSessionOptions;
  /** HTTP/2 ping interval; a ping unanswered within it closes the session so its requests fail instead of hanging. Default 30 s; 0: none. */
  keepaliveMs?: number;
}

export interface Http2Fetch extends Fetch {
  /** Closes every session; requests still in flight fail, later ones are refused. */
  close(): Promise<void>;
  /** Sessions opened so far (for tests). */
  readonly sessions: number;
}

// As runtime/host/server.ts: a few MiB in flight per stream and connection, not 64 KiB.
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** Bytes of a response body queued ahead of its reader; beyond, the HTTP/2 stream pauses and its window closes. */
const BODY_QUEUE = 256 * 1024;
/** A peer that has not completed the HTTP/2 handshake by then is given up on (as host links do). */
const HANDSHAKE_MS = 10_000;
const { NGHTTP2_CANCEL } = http2.constants;
// Connection-specific headers are malformed in HTTP/2 (RFC 9113 §8.2.2): Node throws on them; fetch's callers may set them.
const DROPPED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"]);
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

type Init = RequestInit & { duplex?: "half" };
interface Session {
  s: http2.ClientHttp2Session;
  /** How to fail each request in flight on it: node does not settle every stream of a dying session. */
  inflight: Set<(error: unknown) => void>;
  /** Asks the peer with a ping whether the connection still lives; drops the session if no answer comes. */
  probe: () => void;
  /** Requests sent and still without response headers. */
  waiting: number;
  /** When the peer last said anything we saw (response headers, data, a ping's answer): performance.now(). */
  heard: number;
}

/**
 * How long a probing ping may go unanswered. Node's http2 stops reading its socket while a write
 * is pending, so a connection reset then goes unnoticed: requests queue on it for good (seen under
 * the faults run's resets) until a ping times out.
 */
const PROBE_MS = 3000;
/** A session with requests waiting for their headers that has heard nothing for this long is probed. */
const QUIET_MS = 2000;

const failed = (cause: unknown) => new TypeError("fetch failed", { cause });
const abortReason = (signal: AbortSignal): unknown => signal.reason ?? new DOMException("This operation was aborted", "AbortError");

export function http2Fetch(options: Http2FetchOptions = {}): Http2Fetch {
  const keepaliveMs = options.keepaliveMs ?? 30_000;
  const current = new Map<string, Session>(); // per origin, the session new requests go to
  const all = new Set<Session>();
  let opened = 0;
  let closed = false;

  const open = (origin: string): Session => {
    const s = http2.connect(origin, {
      // Until the peer's SETTINGS, one request: a burst sent earlier would exceed a lower limit and be refused
      // (REFUSED_STREAM); the rest wait in nghttp2's queue, which also holds requests beyond the peer's limit.
      peerMaxConcurrentStreams: 1,
      ...options.connect,
      ...(options.ca !== undefined && { ca: options.ca }),
      settings: { ...options.connect?.settings, initialWindowSize: STREAM_WINDOW },
    });
    const session: Session = { s, inflight: new Set(), probe: () => probe(), waiting: 0, heard: performance.now() };
    opened++;
    current.set(origin, session);
    all.add(session);
    let failure: Error | undefined;
    let [pinging, handshaken] = [false, false];
    const forget = () => current.get(origin) === session && current.delete(origin);
    const kill = (error: Error) => setImmediate(() => s.destroy(error));
    s.on("error", (error) => (failure ??= error));
    s.once("connect", () => s.setLocalWindowSize(CONNECTION_WINDOW));
    // Pings need a connection: a peer that accepts TCP and goes silent would hold requests forever.
    const handshake = setTimeout(() => kill(new Error(`no HTTP/2 handshake with ${origin} within ${HANDSHAKE_MS} ms`)), HANDSHAKE_MS).unref();
    s.once("remoteSettings", () => ((handshaken = true), clearTimeout(handshake))); // the peer's SETTINGS: its half
    s.once("goaway", forget); // what runs on it finishes; new requests open a new session
    // One timer: a ping is sent each tick and must be answered by the next.
    const pinger = keepaliveMs > 0 ? setInterval(() => {
      if (!handshaken) return;
      if (pinging) return kill(new Error(`keepalive ping to ${origin} unanswered within ${keepaliveMs} ms`));
      if (!s.destroyed) pinging = s.ping((error) => ((pinging = false), error && kill(error)));
    }, keepaliveMs).unref() : undefined;
    let probing: ReturnType<typeof setTimeout> | undefined;
    const probe = () => {
      if (probing || !handshaken || s.destroyed || s.closed) return;
      probing = setTimeout(() => kill(new Error(`no answer from ${origin} to a ping within ${PROBE_MS} ms`)), PROBE_MS).unref();
      const sent = s.ping((error) => {
        clearTimeout(probing);
        probing = undefined;
        if (error) kill(error);
        else session.heard = performance.now();
      });
      if (!sent) (clearTimeout(probing), (probing = undefined));
    };
    // Requests waiting for headers on a session that hears nothing: the host answers at once, so ask.
    const quiet = setInterval(() => {
      if (session.waiting > 0 && performance.now() - session.heard > QUIET_MS) probe();
    }, QUIET_MS / 2).unref();
    s.once("close", () => {
      clearTimeout(probing);
      clearInterval(quiet);
      clearInterval(pinger);
      clearTimeout(handshake);
      forget();
      all.delete(session);
      const cause = failure ?? new Error(`HTTP/2 session to ${origin} closed`);
      for (const fail of [...session.inflight]) fail(failed(cause));
      session.inflight.clear();
    });
    s.unref(); // ref'd only while requests are in flight, so an idle session lets the process exit
    return session;
  };

  const exchange = (session: Session, stream: http2.ClientHttp2Stream, body: Uint8Array | ReadableStream<Uint8Array> | undefined, init: Init, url: string) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let finished = false; // the promise rejected, or the response body ended, errored or was cancelled
      let streamError: unknown;
      let upload: ReadableStreamDefaultReader<Uint8Array> | undefined;
      const cut = () => failed(streamError ?? new Error(`HTTP/2 stream closed with code ${stream.rstCode}`));

      const stopUpload = (reason?: unknown) => {
        const reader = upload;
        upload = undefined; // before the cancel settles the read pump awaits
        reader?.cancel(reason).catch(() => undefined);
      };
      const untrack = () => {
        answered();
        signal?.removeEventListener("abort", onAbort);
        if (session.inflight.delete(fail) && session.inflight.size === 0) session.s.unref();
      };
      // Fails the request (promise or body), stops its upload and cancels the stream.
      function fail(error: unknown): void {
        setImmediate(() => {
          if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
          // A paused stream with data queued would never emit "end", so never "close", and its
          // session would keep it for good: let what is queued drain into the ignoring listener.
          stream.resume();
        });
        stopUpload(error);
        untrack();
        if (finished) return;
        finished = true;
        if (controller) controller.error(error);
        else reject(error);
      }
      // A caller gives up on a request (a response that never came, a body gone silent): perhaps the
      // connection died without a word, so ask it.
      const onAbort = () => (session.probe(), fail(abortReason(signal!)));
      session.inflight.add(fail);
      session.waiting++;
      let awaiting = true;
      const answered = () => awaiting && ((awaiting = false), session.waiting--);
      session.s.ref();
      signal?.addEventListener("abort", onAbort, { once: true });

      stream.on("error", (error) => (streamError ??= error)); // "close" follows and settles
      stream.once("close", () => {
        untrack();
        if (!finished) fail(cut());
        stopUpload(); // the server is done with the body
      });
      stream.once("response", (head) => {
        answered();
        session.heard = performance.now();
        const status = Number(head[":status"]);
        if (!(status >= 200 && status <= 599)) return fail(failed(new RangeError(`HTTP status ${status}: no Response has it`)));
        const headers = new Headers();
        for (const [name, value] of Object.entries(head)) {
          if (name.startsWith(":") || value === undefined) continue; // pseudo-headers are not headers to fetch
          for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
        }
        let responseBody: ReadableStream<Uint8Array> | null = null;
        if (init.method === "HEAD" || NULL_BODY_STATUS.has(status)) {
          finished = true;
          stream.resume(); // discard whatever comes, so the stream can close
        } else {
          responseBody = new ReadableStream<Uint8Array>({
            start: (c) => void (controller = c),
            pull: () => void stream.resume(),
            cancel: (reason) => ((finished = true), fail(reason)),
          }, new ByteLengthQueuingStrategy({ highWaterMark: BODY_QUEUE }));
          stream.on("data", (chunk: Buffer) => {
            session.heard = performance.now();
            if (finished) return;
            controller!.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if (controller!.desiredSize! <= 0) stream.pause(); // resumed by pull; meanwhile the window fills
          });
          stream.once("end", () => {
            if (finished) return;
            // Node ends the readable side of a stream reset by a dying session too: only code 0 (or none yet) is a whole body.
            if (stream.rstCode) return fail(cut());
            finished = true;
            controller!.close();
          });
        }
        const response = new Response(responseBody, { status, headers });
        Object.defineProperty(response, "url", { value: url });
        resolve(response);
      });

      if (body instanceof ReadableStream) void pump(body.getReader());
      else if (body) stream.end(body);

      // Writes the body as it comes, at the pace the stream drains, while the response may already be read.
      async function pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
        upload = reader;
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (upload !== reader) return;
            if (done) return void stream.end();
            if (!(value instanceof Uint8Array)) throw new TypeError("request body chunks must be Uint8Array");
            if (!stream.write(value)) await drained(stream);
          }
        } catch (error) {
          if (upload === reader) fail(failed(error));
        }
      }
    });

  const fetch = async (input: string, init: Init = {}): Promise<Response> => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    if (closed) throw failed(new Error("http2Fetch is closed"));
    const url = new URL(String(input));
    const method = /^(delete|get|head|options|post|put)$/i.test(init.method ?? "GET") ? (init.method ?? "GET").toUpperCase() : init.method!;
    const headers: http2.OutgoingHttpHeaders = {
      ":method": method,
      ":scheme": url.protocol.slice(0, -1),
      ":authority": url.host,
      ":path": url.pathname + url.search,
    };
    new Headers(init.headers).forEach((value, name) => DROPPED.has(name) || (headers[name] = value));
    const body = requestBody(init, method, headers);
    const live = current.get(url.origin);
    const session = live && !live.s.closed && !live.s.destroyed ? live : open(url.origin);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.s.request(headers, { endStream: body === undefined });
    } catch (error) {
      throw failed(error);
    }
    return exchange(session, stream, body, { ...init, method }, url.href);
  };

  const close = async (): Promise<void> => {
    closed = true;
    await Promise.all([...all].map(({ s }) => new Promise<void>((resolve) => {
      if (s.destroyed) return resolve();
      s.once("close", () => resolve());
      s.ref(); // an idle session is unref'd: keep the process alive for the close we wait on
      setImmediate(() => s.destroy()); // "close" fails what is in flight
    })));
  };

  return Object.defineProperty(Object.assign(fetch, { close }), "sessions", { get: () => opened }) as Http2Fetch;
}

/** The request body as bytes or a stream, as fetch takes it; sets the content type fetch would. */
function requestBody(init: Init, method: string, headers: http2.OutgoingHttpHeaders): Uint8Array | ReadableStream<Uint8Array> | undefined {
  const body = init.body;
  if (body === undefined || body === null) return undefined;
  if (method === "GET" || method === "HEAD") throw new TypeError("Request with GET/HEAD method cannot have body.");
  if (body instanceof ReadableStream) {
    if (init.duplex !== "half") throw new TypeError("RequestInit: duplex option is required when sending a body.");
    return body as ReadableStream<Uint8Array>;
  }
  if (typeof body !== "string" && !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)) {
    const encoded = new Response(body); // Blob, FormData, URLSearchParams: fetch's own encoding and content type
    headers["content-type"] ??= encoded.headers.get("content-type") ?? undefined;
    return encoded.body ?? undefined;
  }
  if (typeof body === "string") headers["content-type"] ??= "text/plain;charset=UTF-8";
  const bytes = typeof body === "string" ? Buffer.from(body) : ArrayBuffer.isView(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(body);
  headers["content-length"] ??= String(bytes.byteLength);
  return bytes;
}

/** Resolves on "drain", or on "close" after which nothing drains. */
function drained(stream: http2.ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (stream.off("drain", done), stream.off("close", done), resolve());
    stream.on("drain", done).on("close", done);
  });
}
