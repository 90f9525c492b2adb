/**
 * Routes one call to its method and protocol: finds the method by path,
 * checks that the transport can carry it, authenticates once, sets up the
 * call's deadline and cancellation, and hands it to the gRPC, gRPC-Web or
 * Connect code.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { type DeadlineSignal, deadlineSignal } from "../core/deadline.js";
import { EnvelopeFlag, encodeEnvelope } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import type { JsonOptions } from "../core/json.js";
import { connectErrorJson, connectTimeout, replyConnectError, serveConnectStream, serveConnectUnary } from "./connect.js";
import { settle } from "./call.js";
import type { Exchange } from "./exchange.js";
import { type CallEnd, finishGrpc, grpcStatus, grpcTimeout, serveGrpc } from "./grpc.js";
import { serveGrpcWeb } from "./grpc-web.js";
import type { PairGateway } from "./pair.js";
import type { PairForwarder } from "./pair-forward.js";
import type { RequestKind } from "./protocol.js";
import type { HandlerContext, MethodDescriptor, ServiceRegistration } from "./service.js";

export interface HostLimits {
  /** Largest request message, in bytes; a larger one fails with RESOURCE_EXHAUSTED before it is read. */
  maxMessageBytes: number;
  /**
   * gRPC and Connect calls one principal may have running at once; more are refused with
   * RESOURCE_EXHAUSTED (pairs have their own limit, `pair.maxPairsPerPrincipal`). Default 1,000.
   */
  maxCallsPerPrincipal: number;
}

/** Running calls per principal key, for `maxCallsPerPrincipal`. */
export class PrincipalCalls {
  private readonly running = new Map<string, number>();

  /** Counts a call in, or returns false if the principal is at `max`. */
  enter(key: string, max: number): boolean {
    const n = this.running.get(key) ?? 0;
    if (n >= max) return false;
    this.running.set(key, n + 1);
    return true;
  }

  leave(key: string): void {
    const n = (this.running.get(key) ?? 1) - 1;
    if (n > 0) this.running.set(key, n);
    else this.running.delete(key);
  }
}

export type Authenticate<P> = (headers: IncomingHttpHeaders) => P | Promise<P>;

export interface CallSetup {
  method: MethodDescriptor;
  handler: (...args: any[]) => unknown;
  context: HandlerContext;
  limits: HostLimits;
  exchange: Exchange;
  kind: RequestKind;
  /** toJson/fromJson options of JSON calls (a registry for Any). */
  json: JsonOptions | undefined;
}

/** What every call on one host shares. */
export interface HostCalls<P> {
  routes: Map<string, Route>;
  limits: HostLimits;
  authenticate: Authenticate<P> | undefined;
  /** Aborts when the host shuts down. */
  signal: AbortSignal;
  gateway: PairGateway;
  perPrincipal: PrincipalCalls;
  forwarder: PairForwarder | undefined;
  json: JsonOptions | undefined;
  /** Every call dispatch takes counts here until its stream has closed. */
  calls: RunningCalls;
}

/**
 * The calls in flight, for a drain to wait on: a count. A call is counted
 * by dispatch and leaves when it is over; nothing per call is kept here.
 */
export class RunningCalls {
  size = 0;
  private waiting: (() => void)[] = [];

  enter(): void {
    this.size++;
  }

  leave(): void {
    if (--this.size > 0) return;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Counts the call that `running` is until it settles. */
  add(running: Promise<void>): void {
    this.enter();
    running.then(this.left, this.left);
  }

  whenIdle(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }

  private readonly left = (): void => this.leave();
}

export interface Route {
  method: MethodDescriptor;
  handler: (...args: any[]) => unknown;
}

export function buildRoutes(services: ServiceRegistration[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const { service, implementation } of services) {
    for (const [name, method] of Object.entries(service.methods)) {
      if (routes.has(method.path)) throw new TypeError(`${method.path} is registered twice`);
      routes.set(method.path, { method, handler: implementation[name].bind(implementation) });
    }
  }
  return routes;
}

/** Serves one call to its end (counted in `host.calls` until then); never throws: failures become statuses. */
export function dispatch<P>(exchange: Exchange, kind: RequestKind, host: HostCalls<P>): void {
  const { headers } = exchange;
  const { protocol } = kind;
  const stream = exchange.stream;
  if (!stream && (protocol === "grpc" || protocol === "pair")) {
    exchange.reply(505, { "content-type": "text/plain" }, `${protocol === "grpc" ? "gRPC" : "the pair protocol"} needs HTTP/2; over HTTP/1.1 use gRPC-Web or Connect`);
    exchange.body.resume();
    return;
  }
  const route = host.routes.get(pathOf(headers[":path"]));
  if (!route) {
    failCall(exchange, kind, new StreampathError(Code.Unimplemented, `no method ${pathOf(headers[":path"])} on this host`));
    exchange.body.resume(); // let the client finish sending; nobody reads it
    return;
  }
  if (!stream && route.method.kind === "bidi_streaming") {
    // Over HTTP/1.1 a request body and its response cannot stream both ways at once.
    exchange.reply(505, { "content-type": "text/plain" }, `${route.method.path} is a bidi streaming method: it needs HTTP/2`);
    exchange.body.resume();
    return;
  }
  if (protocol === "pair") host.calls.add(dispatchPair(exchange, stream!, route, host));
  else new CallRun(exchange, kind, host, route).start();
}

/** A half of a pair: it outlives its requests and keeps its own deadline and cancellation. */
async function dispatchPair<P>(exchange: Exchange, stream: ServerHttp2Stream, route: Route, host: HostCalls<P>): Promise<void> {
  const { headers } = exchange;
  // A half of a pair another instance holds goes there; that instance authenticates it.
  const owner = host.forwarder?.ownerOf(headers);
  if (owner !== undefined) return host.forwarder!.forward(stream, headers, owner);
  let principal: P;
  try {
    principal = host.authenticate ? await host.authenticate(headers) : (undefined as P);
  } catch (caught) {
    replyConnectError(exchange, StreampathError.from(caught, Code.Unauthenticated));
    stream.resume();
    return;
  }
  return host.gateway.serve(stream, headers, route.method, route.handler, principal);
}

/**
 * One gRPC, gRPC-Web or Connect call from its deadline to its stream's
 * close: an object that the response tells when it is over, not an async
 * function and its promises; an open gRPC call holds one closure here.
 */
class CallRun<P> implements CallEnd {
  private deadline: DeadlineSignal | undefined;
  private counted: string | undefined;
  /** The response is over (sent, failed or refused). */
  private over = false;
  /** The stream has closed. */
  private closed = false;
  private left = false;

  constructor(
    private readonly exchange: Exchange,
    private readonly kind: RequestKind,
    private readonly host: HostCalls<P>,
    private readonly route: Route,
  ) {}

  start(): void {
    const { exchange, kind, host } = this;
    const { headers } = exchange;
    host.calls.enter();
    exchange.onClose(this.onClose);
    try {
      const grpcLike = kind.protocol === "grpc" || kind.protocol === "grpc-web" || kind.protocol === "grpc-web-text";
      const timeoutMs = grpcLike ? grpcTimeout(headers["grpc-timeout"]) : connectTimeout(headers["connect-timeout-ms"]);
      this.deadline = deadlineSignal(timeoutMs, host.signal);
      const deadlineAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
      // The deadline is fixed before authenticate runs: its time counts.
      if (!host.authenticate) return this.serve(undefined as P, deadlineAt);
      settle(() => host.authenticate!(headers)).then(
        (principal) => this.serve(principal, deadlineAt),
        (caught) => this.refuse(caught),
      );
    } catch (caught) {
      this.refuse(caught);
    }
  }

  private serve(principal: P, deadlineAt: number | undefined): void {
    const { exchange, kind, host, route } = this;
    try {
      const key = host.gateway.principalKey(principal);
      if (!host.perPrincipal.enter(key, host.limits.maxCallsPerPrincipal)) {
        throw new StreampathError(Code.ResourceExhausted, `too many running calls (${host.limits.maxCallsPerPrincipal}) for this principal`);
      }
      this.counted = key;
      const context: HandlerContext<P> = {
        principal,
        requestHeaders: exchange.headers,
        responseHeaders: {},
        responseTrailers: {},
        signal: this.deadline!.signal,
        deadline: deadlineAt,
        method: route.method,
      };
      const call: CallSetup = {
        method: route.method,
        handler: route.handler,
        context: context as HandlerContext,
        limits: host.limits,
        exchange,
        kind,
        json: host.json,
      };
      const { protocol } = kind;
      if (protocol === "grpc") return serveGrpc(exchange.stream!, call, this);
      const served =
        protocol === "grpc-web" || protocol === "grpc-web-text"
          ? serveGrpcWeb(call)
          : protocol === "connect-stream"
            ? serveConnectStream(call)
            : serveConnectUnary(call);
      served.then(
        () => this.ended(),
        (caught) => this.refuse(caught),
      );
    } catch (caught) {
      this.refuse(caught);
    }
  }

  /** Before the handler ran: a bad timeout header, authentication refused, too many calls. */
  private refuse(caught: unknown): void {
    if (!this.over) failCall(this.exchange, this.kind, StreampathError.from(caught, Code.Unauthenticated));
    this.ended();
  }

  /**
   * The response is over. The call is, once its stream has closed too:
   * trailers may still be on their way out, and a graceful shutdown must not
   * destroy the session under them.
   */
  ended(): void {
    if (this.over) return;
    this.over = true;
    this.deadline?.dispose();
    if (this.counted !== undefined) this.host.perPrincipal.leave(this.counted);
    this.counted = undefined;
    if (this.closed || this.exchange.isClosed) this.leave();
  }

  // Before the call ended, the client's close cancels it (after, the deadline is disposed and this does nothing).
  private readonly onClose = (): void => {
    this.closed = true;
    this.deadline?.abort(new StreampathError(Code.Canceled, "the client canceled the call"));
    if (this.over) this.leave();
  };

  private leave(): void {
    if (this.left) return;
    this.left = true;
    this.host.calls.leave();
  }
}

/** A call that fails before it started, in its protocol's shape. */
function failCall(exchange: Exchange, kind: RequestKind, error: StreampathError): void {
  if (kind.protocol === "grpc") finishGrpc(exchange.stream!, false, error, {}, `application/grpc+${kind.format}`);
  else failEarly(exchange, kind, error);
}

/** The path without its query (a Connect GET carries the message there). */
function pathOf(path: string | undefined): string {
  if (!path) return "";
  const query = path.indexOf("?");
  return query < 0 ? path : path.slice(0, query);
}

/** A failure before the call started, in the protocol's own shape. */
function failEarly(exchange: Exchange, kind: RequestKind, error: StreampathError): void {
  if (exchange.finished || exchange.headersSent) return;
  if (kind.protocol === "grpc-web" || kind.protocol === "grpc-web-text") {
    // Trailers-only: the status in the headers, as gRPC-Web clients read it.
    exchange.reply(200, { "content-type": `application/${kind.protocol}+${kind.format}`, ...grpcStatus(error) });
  } else if (kind.protocol === "connect-stream") {
    exchange.reply(200, { "content-type": `application/connect+${kind.format}` }, encodeEnvelope(EnvelopeFlag.EndStream, new TextEncoder().encode(JSON.stringify({ error: connectErrorJson(error) }))));
  } else replyConnectError(exchange, error);
}
