/**
 * Routes one HTTP/2 stream to a method and a protocol: finds the method by
 * path, checks the content type, authenticates once, sets up the call's
 * deadline and cancellation, and hands it to the gRPC or Connect handler.
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { deadlineSignal } from "../core/deadline.js";
import { Code, StreampathError } from "../core/error.js";
import { CONNECT_STREAM, CONNECT_UNARY, connectTimeout, respondConnectError, serveConnect } from "./connect.js";
import { GRPC_CONTENT_TYPE, finishGrpc, grpcTimeout, serveGrpc } from "./grpc.js";
import type { PairGateway } from "./pair.js";
import type { PairForwarder } from "./pair-forward.js";
import { PAIR_CONTENT_TYPE } from "../core/pair.js";
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

type Protocol = "grpc" | "connect-unary" | "connect-stream" | "pair";

/** Which of streampath's protocols a content type names, if any. */
export function protocolOf(contentType: string | undefined): Protocol | undefined {
  if (!contentType) return undefined;
  if (GRPC_CONTENT_TYPE.test(contentType)) return "grpc";
  if (CONNECT_UNARY.test(contentType)) return "connect-unary";
  if (CONNECT_STREAM.test(contentType)) return "connect-stream";
  if (contentType.split(";")[0]!.trim().toLowerCase() === PAIR_CONTENT_TYPE) return "pair";
  return undefined;
}

/** Serves one stream to its end; never throws (failures become statuses). */
export async function dispatch<P>(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  routes: Map<string, Route>,
  limits: HostLimits,
  authenticate: Authenticate<P> | undefined,
  hostSignal: AbortSignal,
  gateway: PairGateway,
  perPrincipal: PrincipalCalls,
  forwarder?: PairForwarder,
): Promise<void> {
  const protocol = protocolOf(headers["content-type"]);
  if (headers[":method"] !== "POST" || !protocol) {
    stream.respond({ ":status": headers[":method"] === "POST" ? 415 : 405, "content-type": "text/plain" });
    stream.end(`streampath serves POST with application/grpc, application/proto, application/connect+proto or ${PAIR_CONTENT_TYPE}, not ${headers["content-type"] ?? "no content type"}`);
    return;
  }
  const fail = (error: StreampathError) =>
    protocol === "grpc" ? finishGrpc(stream, false, error) : respondConnectError(stream, error);
  const route = routes.get(headers[":path"] ?? "");
  if (!route) {
    fail(new StreampathError(Code.Unimplemented, `no method ${headers[":path"]} on this host`));
    stream.resume(); // let the client finish sending; nobody reads it
    return;
  }
  if (protocol === "pair") {
    // A half of a pair another instance holds goes there; that instance authenticates it.
    const owner = forwarder?.ownerOf(headers);
    if (owner !== undefined) return forwarder!.forward(stream, headers, owner);
    // A pair outlives its requests: it keeps its own deadline and cancellation.
    let principal: P;
    try {
      principal = authenticate ? await authenticate(headers) : (undefined as P);
    } catch (caught) {
      respondConnectError(stream, StreampathError.from(caught, Code.Unauthenticated));
      stream.resume();
      return;
    }
    return gateway.serve(stream, headers, route.method, route.handler, principal);
  }
  const cancel = new AbortController();
  let deadline: { signal: AbortSignal; dispose(): void } | undefined;
  let counted: string | undefined;
  try {
    const timeoutMs = protocol === "grpc" ? grpcTimeout(headers["grpc-timeout"]) : connectTimeout(headers["connect-timeout-ms"]);
    const callDeadline = deadlineSignal(timeoutMs, AbortSignal.any([cancel.signal, hostSignal]));
    deadline = callDeadline;
    const onGone = () => cancel.abort(new StreampathError(Code.Canceled, "the client canceled the call"));
    stream.once("aborted", onGone);
    stream.once("close", onGone);
    const principal = authenticate ? await authenticate(headers) : (undefined as P);
    const key = gateway.principalKey(principal);
    if (!perPrincipal.enter(key, limits.maxCallsPerPrincipal)) {
      throw new StreampathError(Code.ResourceExhausted, `too many running calls (${limits.maxCallsPerPrincipal}) for this principal`);
    }
    counted = key;
    const context: HandlerContext<P> = {
      principal,
      requestHeaders: headers,
      responseHeaders: {},
      responseTrailers: {},
      signal: callDeadline.signal,
      deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
      method: route.method,
    };
    const call: CallSetup = { method: route.method, handler: route.handler, context: context as HandlerContext, limits };
    if (protocol === "grpc") await serveGrpc(stream, call);
    else await serveConnect(stream, call, protocol === "connect-stream");
  } catch (caught) {
    // Before the handler ran: bad timeout header or authentication refused.
    const error = StreampathError.from(caught, Code.Unauthenticated);
    fail(error);
  } finally {
    deadline?.dispose();
    if (counted !== undefined) perPrincipal.leave(counted);
  }
  // The call is over when its stream is: trailers may still be on their way out,
  // and a graceful shutdown must not destroy the session under them.
  if (!stream.closed && !stream.destroyed) await new Promise((resolve) => stream.once("close", resolve));
  cancel.abort(new StreampathError(Code.Canceled, "the call ended"));
}
