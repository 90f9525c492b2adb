/**
 * The gRPC protocol over HTTP/2 (application/grpc): responses as envelopes,
 * status in `grpc-status`/`grpc-message` trailers, or trailers-only when a
 * call fails before its first response.
 */
import type { ServerHttp2Stream } from "node:http2";
import { Code, StreampathError } from "../core/error.js";
import { parseGrpcTimeout } from "../core/deadline.js";
import type { CallSetup } from "./dispatch.js";
import { invoke, readRequests, writeEnvelopes } from "./call.js";

export const GRPC_CONTENT_TYPE = /^application\/grpc(?:\+proto)?(?:;.*)?$/i;

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

/** Serves one gRPC call; resolves when the call has ended either way. */
export async function serveGrpc(stream: ServerHttp2Stream, call: CallSetup): Promise<void> {
  const { method, handler, context, limits } = call;
  let headersSent = false;
  const sendHeaders = () => {
    if (headersSent || stream.destroyed) return;
    headersSent = true;
    stream.respond(
      { ":status": 200, "content-type": "application/grpc+proto", ...context.responseHeaders },
      { waitForTrailers: true },
    );
  };
  let error: StreampathError | undefined;
  try {
    const requests = readRequests(stream, method.input, limits.maxMessageBytes, context.signal);
    const responses = invoke(method, handler, requests, context);
    await writeEnvelopes(stream, responses, method.output, sendHeaders, context.signal);
  } catch (caught) {
    error = context.signal.aborted ? StreampathError.from(context.signal.reason) : StreampathError.from(caught);
  }
  // Trailers-only: no headers went out, so the handler's response headers go with the status.
  finishGrpc(stream, headersSent, error, headersSent ? context.responseTrailers : { ...context.responseHeaders, ...context.responseTrailers });
}

/** Ends a gRPC call with its status: in trailers, or trailers-only if no headers went out. */
export function finishGrpc(
  stream: ServerHttp2Stream,
  headersSent: boolean,
  error: StreampathError | undefined,
  trailers: Record<string, string> = {},
): void {
  if (stream.destroyed || stream.closed) return;
  const status: Record<string, string> = { ...trailers, "grpc-status": String(error ? error.code : Code.Ok) };
  if (error) status["grpc-message"] = encodeGrpcMessage(error.message);
  if (!headersSent) {
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto", ...status }, { endStream: true });
    return;
  }
  stream.once("wantTrailers", () => {
    if (!stream.destroyed) stream.sendTrailers(status);
  });
  stream.end();
}
