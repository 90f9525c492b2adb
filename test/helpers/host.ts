/**
 * Shared pieces of the host integration tests: the echo fixture generated
 * once per process, a host serving it with a recording implementation, a raw
 * node:http2 client for hand-made requests, and the @grpc/grpc-js service
 * definition of echo.proto.
 *
 * Echo knobs (test/fixtures/host/echo.proto), honoured by the host here and
 * by the @grpc/grpc-js server in host-link-grpc-js-server.test.ts:
 * - `fail_with` > 0: fail with that code and `text` as the message;
 *   `fail_with` = -1 (host only): throw a plain Error with `text` as its message.
 * - `delay_ms`: wait that long first, giving up when the call is canceled.
 * - `repeat`: how many replies Repeat sends; for Flood, the payload size.
 * - request header `x-set-header` / `x-set-trailer`: echoed back as the
 *   response header `x-echo-header` / trailer `x-echo-trailer`.
 * - request header `x-custom` comes back in `EchoReply.header`, the
 *   principal (`x-user`, default "anon"; `x-deny` refuses) in `principal`.
 */
import http2 from "node:http2";
import path from "node:path";
import type { ExecutionContext } from "ava";
import grpc from "@grpc/grpc-js";
import loader from "@grpc/proto-loader";
import { Code, StreampathError, type MessageCodec } from "../../runtime/core/index.js";
import {
  type Transport,
  type PairOptions,
  createHost,
  implement,
  type CallOptions,
  type HandlerContext,
  type Host,
  type HostLimits,
  type HostOptions,
  type ServiceDescriptor,
  type ClusterOptions,
  type ServiceRegistration,
} from "../../runtime/host/index.js";
import { PAIR_CONTENT_TYPE, PairHeader } from "../../runtime/core/pair.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./generated.js";

export const ECHO_PROTO = path.join(FIXTURES, "host/echo.proto");

export interface EchoRequest { text: string; repeat: number; failWith: number; delayMs: number }
export interface EchoReply { text: string; index: number; principal: string; header: string }
export interface Event { seq: bigint; payload: Uint8Array }

/** The generated client's shape (test/.gen/<name>/echo_host.ts). */
export interface EchoClient {
  say(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
  repeat(request: EchoRequest, options?: CallOptions): AsyncIterable<EchoReply>;
  collect(requests: AsyncIterable<EchoRequest>, options?: CallOptions): Promise<EchoReply>;
  chat(requests: AsyncIterable<EchoRequest>, options?: CallOptions): AsyncIterable<EchoReply>;
  events(requests: AsyncIterable<Event>, options?: CallOptions): AsyncIterable<Event>;
  flood(request: EchoRequest, options?: CallOptions): AsyncIterable<Event>;
}

export interface EchoModule {
  Echo: ServiceDescriptor;
  createEchoClient(transport: Transport): EchoClient;
  EchoRequest: MessageCodec<EchoRequest>;
  EchoReply: MessageCodec<EchoReply>;
  Event: MessageCodec<Event>;
}

let generated: Promise<EchoModule> | undefined;
let generatedDir: string | undefined;

/**
 * Generates echo.proto into test/.gen/host-<pid> once per process (test
 * files run in parallel processes), removed at exit; leftovers of processes
 * that died are removed first.
 */
export function loadEcho(): Promise<EchoModule> {
  generated ??= (async () => {
    const dir = await generateForThisProcess("host", { files: [ECHO_PROTO] });
    generatedDir = dir;
    const pb = await importGenerated(dir, "echo_pb.ts");
    const host = await importGenerated(dir, "echo_host.ts");
    return { ...pb, ...host } as EchoModule;
  })();
  return generated;
}

/** Where loadEcho() generated echo.proto (for bundling it into a browser worker). */
export async function echoGeneratedDir(): Promise<string> {
  await loadEcho();
  return generatedDir!;
}

/**
 * Echo served by `methods`, every other method doing nothing (streams end at
 * once, collect answers an empty reply): for tests about one or two methods.
 */
export async function echoServedBy(methods: Record<string, (...args: any[]) => unknown>): Promise<ServiceRegistration> {
  const { Echo, EchoReply } = await loadEcho();
  const idle = {
    say: async () => EchoReply.create(),
    async *repeat() {},
    collect: async () => EchoReply.create(),
    async *chat() {},
    async *events() {},
    async *flood() {},
  };
  return implement(Echo, { ...idle, ...methods } as never);
}

export const request = (init: Partial<EchoRequest> = {}): EchoRequest => ({ text: "", repeat: 0, failWith: 0, delayMs: 0, ...init });

export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Polls `check` every 10 ms until it returns something truthy; fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, ms = 5000, what = "condition"): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; i < ms / 10 + 1 && Date.now() <= end; i++) {
    const value = check();
    if (value) return value;
    await sleep(10);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** What the host-side handler of one call saw and did. */
export interface CallRecord {
  method: string;
  headers: Record<string, unknown>;
  /** The first request's text ("" for Events). */
  text: string;
  received: number;
  produced: number;
  /** The handler's ctx.signal aborted, with this reason. */
  aborted: boolean;
  abortReason: unknown;
  /** The handler returned or threw (its finally block ran). */
  finished: boolean;
  /** What the handler threw, if it did (say, collect, chat: set when they fail). */
  error?: unknown;
}

export interface EchoHost {
  host: Host;
  url: string;
  port: number;
  calls: CallRecord[];
  /** The first recorded call of `method` (and `text`, if given), waiting up to `ms` for it. */
  call(method: string, text?: string, ms?: number): Promise<CallRecord>;
}

export interface EchoHostOptions {
  limits?: Partial<HostLimits>;
  keepaliveMs?: number;
  /** Serve over TLS (browsers and undici's HTTP/2 need it) instead of h2c. */
  tls?: { key: string; cert: string };
  pair?: Partial<PairOptions>;
  handshakeTimeoutMs?: number;
  /** Answers requests that are not calls (a page and its worker script, say). */
  fallback?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  /** One instance of several (test/helpers/cluster.ts). */
  cluster?: ClusterOptions;
  port?: number;
  /** Cross-origin calls from browsers: createHost's `cors`. */
  cors?: HostOptions["cors"];
}

/** A host serving Echo on 127.0.0.1:0 (h2c), closed at the test's teardown. */
export async function startEchoHost(t: ExecutionContext, options: EchoHostOptions = {}): Promise<EchoHost> {
  const { Echo, EchoReply, Event } = await loadEcho();
  const calls: CallRecord[] = [];
  const begin = (method: string, ctx: HandlerContext): CallRecord => {
    const record: CallRecord = { method, headers: ctx.requestHeaders, text: "", received: 0, produced: 0, aborted: false, abortReason: undefined, finished: false };
    calls.push(record);
    ctx.signal.addEventListener("abort", () => ((record.aborted = true), (record.abortReason = ctx.signal.reason)), { once: true });
    const header = ctx.requestHeaders["x-set-header"];
    const trailer = ctx.requestHeaders["x-set-trailer"];
    if (typeof header === "string") ctx.responseHeaders["x-echo-header"] = header;
    if (typeof trailer === "string") ctx.responseTrailers["x-echo-trailer"] = trailer;
    return record;
  };
  const knobs = async (req: EchoRequest, ctx: HandlerContext) => {
    if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
    if (req.failWith === -1) throw new Error(req.text);
    if (req.failWith > 0) throw new StreampathError(req.failWith, req.text);
  };
  const reply = (req: EchoRequest, ctx: HandlerContext, index = 0): EchoReply =>
    EchoReply.create({ text: req.text, index, principal: String(ctx.principal), header: String(ctx.requestHeaders["x-custom"] ?? "") });

  const impl = {
    async say(req: EchoRequest, ctx: HandlerContext) {
      const r = begin("say", ctx);
      r.text = req.text;
      r.received = 1;
      try {
        await knobs(req, ctx);
        return reply(req, ctx);
      } catch (error) {
        r.error = error;
        throw error;
      } finally {
        r.finished = true;
      }
    },
    async *repeat(req: EchoRequest, ctx: HandlerContext) {
      const r = begin("repeat", ctx);
      r.text = req.text;
      try {
        if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
        for (let i = 0; i < Math.min(req.repeat, 100_000); i++, r.produced++) yield reply(req, ctx, i);
        await knobs({ ...req, delayMs: 0 }, ctx);
      } finally {
        r.finished = true;
      }
    },
    async collect(reqs: AsyncIterable<EchoRequest>, ctx: HandlerContext) {
      const r = begin("collect", ctx);
      let text = "";
      try {
        for await (const req of reqs) {
          if (r.received++ === 0) r.text = req.text;
          await knobs(req, ctx);
          text += req.text;
        }
        return reply(request({ text }), ctx, r.received);
      } catch (error) {
        r.error = error;
        throw error;
      } finally {
        r.finished = true;
      }
    },
    async *chat(reqs: AsyncIterable<EchoRequest>, ctx: HandlerContext) {
      const r = begin("chat", ctx);
      try {
        for await (const req of reqs) {
          if (r.received++ === 0) r.text = req.text;
          await knobs(req, ctx);
          r.produced++;
          yield reply(req, ctx, r.received - 1);
        }
      } catch (error) {
        r.error = error;
        throw error;
      } finally {
        r.finished = true;
      }
    },
    async *events(reqs: AsyncIterable<Event>, ctx: HandlerContext) {
      const r = begin("events", ctx);
      try {
        for await (const e of reqs) {
          r.received++;
          r.produced++;
          yield e;
        }
      } finally {
        r.finished = true;
      }
    },
    /** Endless (bounded only as a safety net): Events of `repeat` payload bytes until canceled. */
    async *flood(req: EchoRequest, ctx: HandlerContext) {
      const r = begin("flood", ctx);
      r.text = req.text;
      const payload = new Uint8Array(Math.min(req.repeat, 1 << 20)).fill(0x61);
      const end = Date.now() + 60_000;
      try {
        for (let seq = 0n; seq < 5_000_000n && !ctx.signal.aborted && Date.now() < end; seq++) {
          r.produced++;
          yield Event.create({ seq, payload });
        }
      } finally {
        r.finished = true;
      }
    },
  };

  const host = await createHost({
    ...(options.tls ? { tls: options.tls } : { h2c: true }),
    services: [implement(Echo, impl as never)],
    limits: options.limits,
    pair: options.pair,
    fallback: options.fallback,
    keepaliveMs: options.keepaliveMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    cluster: options.cluster,
    port: options.port,
    cors: options.cors,
    authenticate: (headers) => {
      if (headers["x-deny"]) throw new StreampathError(Code.Unauthenticated, "denied by x-deny");
      const user = String(headers["x-user"] ?? "anon");
      // x-auth-delay-ms: an authenticate that takes its time (a token checked elsewhere).
      const delayMs = Number(headers["x-auth-delay-ms"] ?? 0);
      return delayMs > 0 ? sleep(delayMs).then(() => user) : user;
    },
  });
  t.teardown(() => host.close(100));
  return {
    host,
    url: host.url,
    port: host.port,
    calls,
    call: (method, text, ms = 5000) =>
      waitFor(() => calls.find((c) => c.method === method && (text === undefined || c.text === text)), ms, `a ${method} call`),
  };
}

// ---------------------------------------------------------------- raw HTTP/2

/** Headers of a raw pair request (`half`: down, up or batch) to an Echo method. */
export const pairHeaders = (half: string, extra: Record<string, string> = {}, method = "Chat"): http2.OutgoingHttpHeaders => ({
  ":method": "POST",
  ":path": `/test.echo.Echo/${method}`,
  "content-type": PAIR_CONTENT_TYPE,
  [PairHeader.half]: half,
  ...extra,
});

/** `flags | length:u32be | payload`; `declared` overrides the length field. */
export function envelope(payload: Uint8Array, flags = 0, declared = payload.length): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(declared, 1);
  out.set(payload, 5);
  return out;
}

export function parseEnvelopes(body: Uint8Array): { flags: number; data: Uint8Array }[] {
  const out: { flags: number; data: Uint8Array }[] = [];
  const view = Buffer.from(body.buffer, body.byteOffset, body.length);
  for (let pos = 0; pos + 5 <= view.length && out.length < 1_000_000; ) {
    const length = view.readUInt32BE(pos + 1);
    out.push({ flags: view[pos], data: view.subarray(pos + 5, pos + 5 + length) });
    pos += 5 + length;
  }
  return out;
}

/** A raw HTTP/2 client session, destroyed at the test's teardown. */
export async function rawSession(t: ExecutionContext, url: string, settings?: http2.Settings): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, { settings });
  session.on("error", () => undefined);
  // Deferred a turn: Node 20's http2 spins forever (and eats memory) in a session.destroy()
  // made in the same tick as a peer's RST_STREAM closed a stream while another is open.
  t.teardown(() => new Promise<void>((resolve) => setImmediate(() => (session.destroy(), resolve()))));
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  return session;
}

export interface RawResponse {
  status: number | undefined;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  body: Buffer;
  /** grpc-status from the trailers, or from the headers of a trailers-only response. */
  grpcStatus: number | undefined;
  grpcMessage: string | undefined;
  rstCode: number;
}

export const grpcHeaders = (method: string, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders => ({
  ":method": "POST",
  ":path": `/test.echo.Echo/${method}`,
  "content-type": "application/grpc+proto",
  te: "trailers",
  ...extra,
});

/**
 * Sends `headers` and the `body` chunks (ending the request unless `end` is
 * false) and collects the whole response (read in flowing mode).
 */
export function rawRequest(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array[] = [],
  end = true,
): { stream: http2.ClientHttp2Stream; response: Promise<RawResponse> } {
  const stream = session.request(headers);
  const chunks: Buffer[] = [];
  let responseHeaders: http2.IncomingHttpHeaders = {};
  let trailers: http2.IncomingHttpHeaders | undefined;
  stream.on("response", (h) => (responseHeaders = h));
  stream.on("trailers", (h) => (trailers = h));
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("error", () => undefined);
  for (const chunk of body) stream.write(chunk);
  if (end) stream.end();
  // Settles when the response ends (END_STREAM: the client may still be sending) or the stream closes.
  const response = new Promise<RawResponse>((resolve) => {
    const settle = () => {
      const status = trailers ?? responseHeaders;
      const code = status["grpc-status"];
      const message = status["grpc-message"];
      resolve({
        status: responseHeaders[":status"] as number | undefined,
        headers: responseHeaders,
        trailers,
        body: Buffer.concat(chunks),
        grpcStatus: code === undefined ? undefined : Number(code),
        grpcMessage: message === undefined ? undefined : decodeURIComponent(String(message)),
        rstCode: stream.rstCode ?? 0,
      });
    };
    stream.once("end", settle);
    stream.once("close", settle);
  });
  return { stream, response };
}

// ------------------------------------------------------- @grpc/grpc-js echo

export function loadGrpcJsEcho(): any {
  const definition = loader.loadSync(ECHO_PROTO, { longs: String, defaults: true });
  return (grpc.loadPackageDefinition(definition) as any).test.echo.Echo;
}
