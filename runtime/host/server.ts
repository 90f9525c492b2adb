/**
 * `createHost`: a node:http2 server for host services, speaking gRPC,
 * gRPC-Web and Connect (binary and JSON) on one port, over TLS or cleartext,
 * HTTP/2 and HTTP/1.1; and streampath's pair for browser streaming.
 */
import http2 from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo } from "node:net";
import { Code, StreampathError } from "../core/error.js";
import type { JsonOptions } from "../core/json.js";
import { PROBE_PATH } from "../core/connection-state.js";
import { PairHeader } from "../core/pair.js";
import { replyConnectError } from "./connect.js";
import { type CorsOptions, Cors } from "./cors.js";
import { type Authenticate, type HostCalls, type HostLimits, PrincipalCalls, RunningCalls, buildRoutes, dispatch } from "./dispatch.js";
import { type Exchange, http1Exchange, http2Exchange } from "./exchange.js";
import { serveHttp1 } from "./http1.js";
import { listen } from "./listen.js";
import { StaticFiles, type StaticFilesOptions } from "./static-files.js";
import { SERVED_CONTENT_TYPES, kindOfRequest } from "./protocol.js";
import { type ClusterOptions, checkInstanceName } from "./cluster.js";
import { keepalive } from "./keepalive.js";
import { type PairOptions, PairGateway } from "./pair.js";
import { type ForwardCounts, PairForwarder } from "./pair-forward.js";
import type { ServiceRegistration } from "./service.js";

export interface HostOptions<P = unknown> {
  services: ServiceRegistration[];
  /** TLS key and certificate (PEM); browsers need TLS for HTTP/2. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Serve cleartext instead: HTTP/2 with prior knowledge (hosts talking to hosts)
   * and HTTP/1.1 (curl, pages on plain http) on the same port.
   */
  h2c?: boolean;
  /**
   * Accept HTTP/1.1 too (Connect and gRPC-Web; not gRPC, the pair or bidi
   * streaming, which need HTTP/2). Default true.
   */
  http1?: boolean;
  /** Pages on other origins that may call the host (CORS); without it, only same-origin pages can. */
  cors?: CorsOptions;
  /** Options of JSON messages (Connect `json`, `+json`): a registry to print and parse `Any`. */
  json?: JsonOptions;
  /** Default 0: any free port (see `Host.port`). */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  limits?: Partial<HostLimits>;
  /** Runs once per call with its headers; throw (e.g. Unauthenticated) to refuse it. */
  authenticate?: Authenticate<P>;
  /**
   * Interval of HTTP/2 pings to each client; one unanswered within it closes
   * the connection, so calls of a client that vanished end. Default 30 s; 0: none.
   */
  keepaliveMs?: number;
  /**
   * A connection must finish its TLS handshake, then send the HTTP/2 preface and its SETTINGS,
   * each within this, or it is closed: connections that never start hold a socket and memory
   * each. Default 10 s.
   */
  handshakeTimeoutMs?: number;
  /** The pair gateway's windows, timeouts and limits (browser streaming calls). */
  pair?: Partial<PairOptions>;
  /**
   * One of several instances behind a load balancer: its name, and where the
   * others are. A pair half that reaches this instance but belongs to another
   * is forwarded there (docs/deploy.md).
   */
  cluster?: ClusterOptions;
  /**
   * Files of this folder (or `{ root, index }`) for GET and HEAD requests that are no call,
   * HTTP/2 and HTTP/1.1: an app's page, scripts and assets on the services' origin. A path
   * with no file goes on to `fallback`.
   */
  static?: string | StaticFilesOptions;
  /**
   * Answers requests that are not calls (any method but POST, or a POST whose
   * content type is none of streampath's protocols): pages, scripts, assets,
   * an app's own endpoints, so one origin serves an app and its services.
   * Without it they get 405 or 415.
   */
  fallback?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  /** The same for HTTP/1.1 requests. Without it they get 404, 405 or 415. */
  fallbackHttp1?: (request: IncomingMessage, response: ServerResponse) => void;
  /**
   * GET or HEAD here answers 200 while the host serves and 503 once it drains, for a
   * balancer's health check (docs/deploy.md). Default `/.well-known/streampath/health`.
   */
  healthPath?: string;
}

export interface Host {
  readonly port: number;
  /** `https://127.0.0.1:PORT` or `http://...` for h2c. */
  readonly url: string;
  /**
   * The node:http2 server underneath, for what the host leaves to its user:
   * listening to sessions or streams, metrics, tests that break connections.
   */
  readonly server: http2.Http2Server | http2.Http2SecureServer;
  /** This instance's name: the first part of its pair ids. */
  readonly instanceId: string;
  /** Pair halves this instance forwarded to the instances that hold their calls, by kind (all 0 without `cluster`). */
  readonly forwarded: Readonly<ForwardCounts>;
  /** Draining or closed: new calls are refused, the health check answers 503. */
  readonly draining: boolean;
  /**
   * Graceful shutdown (a rolling restart, SIGTERM): new calls are refused
   * (REFUSED_STREAM: safe to retry elsewhere) and the health check says 503,
   * so a balancer stops sending here; calls and pairs in flight go on —
   * their halves may still arrive, on new connections too — for up to
   * `graceMs`; then they end with UNAVAILABLE and `reason`, and the host closes.
   */
  drain(options?: DrainOptions): Promise<void>;
  /** `drain({ graceMs })`. */
  close(graceMs?: number): Promise<void>;
}

export interface DrainOptions {
  /** How long calls in flight may go on. Default 5 s. */
  graceMs?: number;
  /** What the calls still running then are told. Default "the host is shutting down". */
  reason?: string;
}

export const DEFAULT_LIMITS: HostLimits = { maxMessageBytes: 4 * 1024 * 1024, maxCallsPerPrincipal: 1000 };

/**
 * Node's HTTP/2 windows default to 64 KiB, which caps throughput at one
 * window per round trip; these let a stream and a connection have a few
 * MiB in flight, as browsers do.
 */
export const STREAM_WINDOW = 4 * 1024 * 1024;
export const CONNECTION_WINDOW = 16 * 1024 * 1024;

/** A request that belongs to a pair already running (an up, a batch, a resumed down): drain lets it in. */
function continuesPair(headers: http2.IncomingHttpHeaders): boolean {
  return kindOfRequest(headers)?.protocol === "pair" && headers[PairHeader.id] !== undefined;
}

/** What a request that is no call gets without a fallback. */
function notACall(exchange: Exchange): void {
  const method = exchange.headers[":method"];
  const status = method === "POST" ? 415 : method === "GET" || method === "HEAD" ? 404 : 405;
  const served = `streampath serves POST with ${SERVED_CONTENT_TYPES.join(", ")}, and Connect GET`;
  exchange.reply(status, { "content-type": "text/plain" }, `${served}; not ${method} of ${exchange.headers["content-type"] ?? "no content type"}`);
  exchange.body.resume();
}

export async function createHost<P = unknown>(options: HostOptions<P>): Promise<Host> {
  if (!options.tls === !options.h2c) throw new TypeError("createHost: give either tls or h2c: true");
  const routes = buildRoutes(options.services);
  const limits: HostLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const settings: http2.Settings = { initialWindowSize: STREAM_WINDOW, maxConcurrentStreams: 1000 };
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const server = options.tls
    ? http2.createSecureServer({ ...options.tls, settings, allowHTTP1: options.http1 !== false, handshakeTimeout: handshakeTimeoutMs })
    : http2.createServer({ settings });
  const perPrincipal = new PrincipalCalls();
  // Every connection's socket, so that close() ends even one whose session will not go.
  const sockets = new Set<Duplex>();
  server.on(options.tls ? "secureConnection" : "connection", (socket: Duplex) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const shutdown = new AbortController();
  const sessions = new Set<http2.ServerHttp2Session>();
  const calls = new RunningCalls();
  const cluster = options.cluster;
  if (cluster) {
    checkInstanceName(cluster.instanceId);
    if (options.pair?.instanceId !== undefined && options.pair.instanceId !== cluster.instanceId) {
      throw new TypeError("createHost: pair.instanceId and cluster.instanceId differ: give the name once, in cluster");
    }
  }
  const healthPath = options.healthPath ?? "/.well-known/streampath/health";
  const pairOptions = cluster ? { ...options.pair, instanceId: cluster.instanceId } : (options.pair ?? {});
  const gateway = new PairGateway(pairOptions, limits.maxMessageBytes, shutdown.signal);
  const forwarder = cluster ? new PairForwarder(cluster, shutdown.signal) : undefined;

  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => undefined); // a broken connection ends its calls; the host stays up
    session.once("connect", () => session.setLocalWindowSize(CONNECTION_WINDOW));
    if (!session.connecting) session.setLocalWindowSize(CONNECTION_WINDOW);
    keepalive(session, options.keepaliveMs ?? 30_000);
    // The client's preface ends with its SETTINGS: a connection without them in time never will.
    const preface = setTimeout(() => session.destroy(), handshakeTimeoutMs);
    preface.unref();
    session.once("remoteSettings", () => clearTimeout(preface));
    session.once("close", () => clearTimeout(preface));
  });
  const cors = options.cors ? new Cors(options.cors) : undefined;
  const staticFiles = options.static === undefined ? undefined : new StaticFiles(options.static);
  const host: HostCalls<P> = {
    routes,
    limits,
    authenticate: options.authenticate,
    signal: shutdown.signal,
    gateway,
    perPrincipal,
    forwarder,
    json: options.json,
    calls,
  };
  const serve = (exchange: Exchange) => {
    const { headers } = exchange;
    if (headers[":path"] === healthPath && (headers[":method"] === "GET" || headers[":method"] === "HEAD")) {
      exchange.reply(draining === undefined ? 200 : 503, { "content-type": "text/plain", "cache-control": "no-store" }, draining === undefined ? "serving\n" : `draining: ${draining}\n`);
      return;
    }
    const origin = cors?.foreignOrigin(headers);
    if (cors && origin !== undefined && cors.isPreflight(headers)) {
      if (cors.isAllowed(origin)) exchange.reply(204, cors.preflight(origin));
      else exchange.reply(403, { "content-type": "text/plain" }, `origin ${origin} may not call this host (createHost's cors.allowedOrigins)`);
      return;
    }
    const kind = kindOfRequest(headers);
    // Draining: nothing new starts here, but the pairs that live here go on (their halves may come
    // on new connections, through the balancer or forwarded by another instance) until the grace ends.
    if (shutdown.signal.aborted || (draining !== undefined && kind !== undefined && !continuesPair(headers))) {
      const stream = exchange.stream;
      // REFUSED_STREAM: not processed, safe to send elsewhere. Not in this tick: we are inside the
      // session's receive callback (nodejs/node#64113).
      if (stream) setImmediate(() => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM));
      else {
        exchange.http1!.response.shouldKeepAlive = false;
        replyConnectError(exchange, new StreampathError(Code.Unavailable, draining ?? "the host is shutting down"));
      }
      return;
    }
    if (!kind) {
      const notStatic = () => {
        if (exchange.stream && options.fallback) options.fallback(exchange.stream, headers);
        else if (exchange.http1 && options.fallbackHttp1) options.fallbackHttp1(exchange.http1.request, exchange.http1.response);
        else notACall(exchange);
      };
      // A file that cannot be read (removed, unreadable) is as good as none: the fallback answers.
      if (staticFiles) void staticFiles.serve(exchange).then((served) => served || notStatic(), () => exchange.headersSent || exchange.finished || notStatic());
      else notStatic();
      return;
    }
    if (cors && origin !== undefined) {
      if (!cors.isAllowed(origin)) {
        replyConnectError(exchange, new StreampathError(Code.PermissionDenied, `origin ${origin} may not call this host (createHost's cors.allowedOrigins)`));
        exchange.body.resume();
        return;
      }
      exchange.decorate = (responseHeaders) => cors.response(origin, responseHeaders);
    }
    if (headers[":path"] === PROBE_PATH) {
      exchange.reply(200, { "content-type": "application/proto" }); // reached: an empty message
      exchange.body.resume();
      return;
    }
    dispatch(exchange, kind, host);
  };
  server.on("stream", (stream, headers) => {
    stream.on("error", ignore); // resets by the client surface as "close"
    serve(http2Exchange(stream, headers));
  });
  if (options.http1 !== false) {
    serveHttp1(server, Boolean(options.tls), (request, response) => {
      request.on("error", () => undefined); // a dropped connection ends the call; the host stays up
      response.on("error", () => undefined);
      serve(http1Exchange(request, response));
    }, handshakeTimeoutMs);
  }

  await listen(server, options.port ?? 0, options.hostname ?? "127.0.0.1");
  const port = (server.address() as AddressInfo).port;
  const hostname = options.hostname ?? "127.0.0.1";
  let closing: Promise<void> | undefined;
  let draining: string | undefined;
  const drain = ({ graceMs = 5000, reason = "the host is shutting down" }: DrainOptions = {}) => {
    closing ??= (async () => {
      draining = reason;
      for (const session of sessions) session.close(); // GOAWAY: no new streams, current ones finish
      // Calls run on, and pairs wait for their guests to finish them, until the grace ends.
      const until = Date.now() + graceMs;
      while ((calls.size > 0 || gateway.size > 0) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(25, Math.max(1, until - Date.now()))));
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      shutdown.abort(new StreampathError(Code.Unavailable, reason));
      // Canceled calls end at once, except one whose client never closes its side: don't wait on it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
      await Promise.race([calls.whenIdle(), settled]);
      clearTimeout(timer);
      // Node 20 can spin forever destroying a session in the tick a peer reset one of its streams.
      await new Promise((resolve) => setImmediate(resolve));
      for (const session of sessions) session.destroy();
      forwarder?.close();
      // A session stuck on a pending write to a dead connection can leave its socket open.
      await new Promise((resolve) => setImmediate(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    })();
    return closing;
  };
  return {
    port,
    server,
    instanceId: gateway.instanceId,
    forwarded: forwarder?.forwarded ?? { down: 0, up: 0, batch: 0 },
    url: `${options.tls ? "https" : "http"}://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    get draining() {
      return draining !== undefined;
    },
    drain,
    close: (graceMs = 5000) => drain({ graceMs }),
  };
}

/** One listener for every stream's errors, not a closure per stream. */
const ignore = (): void => undefined;
