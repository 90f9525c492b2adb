/**
 * The gRPC protocol over HTTP/2 (`application/grpc`, `+proto`, `+json`):
 * responses as envelopes, status in `grpc-status`/`grpc-message` (and
 * `grpc-status-details-bin`) trailers, or trailers-only when a call fails
 * before its first response. Requests may be compressed (`grpc-encoding`);
 * responses are sent as they are, which every client accepts.
 */
import type { ServerHttp2Stream } from "node:http2";
import { Code, StreampathError } from "../core/error.js";
import { encodeStatus, toBase64 } from "../core/error-details.js";
import { parseGrpcTimeout } from "../core/deadline.js";
import type { CallSetup } from "./dispatch.js";
import type { HandlerContext } from "./service.js";
import { invoke, readRequests } from "./call.js";
import { type EnvelopeSink, startEnvelopes } from "./write-envelopes.js";
import { ACCEPTED_ENCODINGS, requestEncoding } from "./compression.js";
import { serialization } from "./serialization.js";

/** gRPC's grpc-message is percent-encoded: anything outside printable ASCII, and %. */
export function encodeGrpcMessage(message: string): string {
  const bytes = new TextEncoder().encode(message);
  let out = "";
  for (const b of bytes) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function grpcTimeout(header: string | string[] | undefined): number | undefined {
  return typeof header === "string" ? parseGrpcTimeout(header) : undefined;
}

/** The status of a call as gRPC trailers (gRPC-Web writes the same into its body). */
export function grpcStatus(error: StreampathError | undefined): Record<string, string> {
  const status: Record<string, string> = { "grpc-status": String(error ? error.code : Code.Ok) };
  if (!error) return status;
  status["grpc-message"] = encodeGrpcMessage(error.message);
  if (error.details.length > 0) status["grpc-status-details-bin"] = toBase64(encodeStatus(error)).replace(/=+$/, "");
  return status;
}

/** Told when a call's response is over. */
export interface CallEnd {
  ended(): void;
}

/** Serves one gRPC call; tells `end` when it is over, either way. */
export function serveGrpc(stream: ServerHttp2Stream, call: CallSetup, end: CallEnd): void {
  const { method, handler, context, limits, kind } = call;
  const response = new GrpcResponse(stream, context, kind.format === "json" ? "application/grpc+json" : "application/grpc+proto", end);
  try {
    const encoding = requestEncoding(context.requestHeaders["grpc-encoding"], "grpc-encoding");
    const requests = readRequests(call.exchange, serialization(method.input, kind.format, call.json), limits.maxMessageBytes, context.signal, encoding);
    const responses = invoke(method, handler, requests, context);
    startEnvelopes(stream, responses, serialization(method.output, kind.format, call.json), response, context.signal);
  } catch (caught) {
    response.fail(caught);
  }
}

/**
 * A gRPC call's response: headers before the first message, the status
 * after the last. The writer's sink, so an open call holds this one object
 * rather than a suspended async frame and its closures.
 */
class GrpcResponse implements EnvelopeSink {
  private headersSent = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly context: HandlerContext,
    private readonly contentType: string,
    private readonly end: CallEnd,
  ) {}

  beforeFirst(): void {
    if (this.headersSent || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond(
      { ...this.context.responseHeaders, ":status": 200, "content-type": this.contentType, "grpc-accept-encoding": ACCEPTED_ENCODINGS },
      { waitForTrailers: true },
    );
  }

  done(): void {
    this.finish(undefined);
  }

  fail(caught: unknown): void {
    const { signal } = this.context;
    this.finish(signal.aborted ? StreampathError.from(signal.reason) : StreampathError.from(caught));
  }

  private finish(error: StreampathError | undefined): void {
    const { context, headersSent } = this;
    // Trailers-only: no headers went out, so the handler's response headers go with the status.
    const trailers = headersSent ? context.responseTrailers : { ...context.responseHeaders, ...context.responseTrailers };
    try {
      finishGrpc(this.stream, headersSent, error, trailers, this.contentType);
    } finally {
      this.end.ended();
    }
  }
}

/** Ends a gRPC call with its status: in trailers, or trailers-only if no headers went out. */
export function finishGrpc(
  stream: ServerHttp2Stream,
  headersSent: boolean,
  error: StreampathError | undefined,
  trailers: Record<string, string> = {},
  contentType = "application/grpc+proto",
): void {
  if (stream.destroyed || stream.closed) return;
  const status: Record<string, string> = { ...trailers, ...grpcStatus(error) };
  if (!headersSent) {
    stream.respond(
      { ...status, ":status": 200, "content-type": contentType, "grpc-accept-encoding": ACCEPTED_ENCODINGS },
      { endStream: true },
    );
    return;
  }
  stream.once("wantTrailers", () => {
    if (!stream.destroyed) stream.sendTrailers(status);
  });
  stream.end();
}
