/**
 * What a host link says and reads in each protocol it can speak: gRPC
 * (status in trailers) or Connect (unary as one body with the error as JSON;
 * streaming ending with an end-stream envelope). The link's plumbing
 * (session, back-pressure, cancellation) is the same for both (link.ts).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { formatGrpcTimeout } from "../core/deadline.js";
import { Code, StreampathError, codeFromName, codeOfHttpStatus } from "../core/error.js";
import { decodeStatusDetails, detailsFromJson, fromBase64 } from "../core/error-details.js";
import type { MethodKind } from "../core/service.js";
import type { Format } from "./protocol.js";

export type LinkProtocolName = "grpc" | "connect";

/** Connect unary calls send one message as the body, not an envelope. */
export function isConnectUnary(protocol: LinkProtocolName, kind: MethodKind): boolean {
  return protocol === "connect" && kind === "unary";
}

/** The protocol's own request headers; they go after the caller's, which cannot replace them. */
export function requestHeaders(protocol: LinkProtocolName, kind: MethodKind, format: Format, timeoutMs: number | undefined): OutgoingHttpHeaders {
  if (protocol === "grpc") {
    return {
      "content-type": `application/grpc+${format}`,
      te: "trailers",
      "grpc-accept-encoding": "identity",
      ...(timeoutMs !== undefined ? { "grpc-timeout": formatGrpcTimeout(timeoutMs) } : {}),
    };
  }
  return {
    "content-type": kind === "unary" ? `application/${format}` : `application/connect+${format}`,
    "connect-protocol-version": "1",
    ...(timeoutMs !== undefined ? { "connect-timeout-ms": String(Math.max(1, Math.ceil(timeoutMs))) } : {}),
  };
}

function decodeGrpcMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A gRPC call's outcome from its trailers (or trailers-only headers). */
export function grpcOutcome(where: string, headers: IncomingHttpHeaders | undefined, trailers: IncomingHttpHeaders | undefined): StreampathError | undefined {
  const status = trailers ?? headers;
  const code = Number(status?.["grpc-status"] ?? NaN);
  if (Number.isNaN(code)) {
    throw new StreampathError(Code.Unavailable, `${where} answered HTTP ${headers?.[":status"] ?? "nothing"} without grpc-status`);
  }
  if (code === Code.Ok) return undefined;
  const bin = status?.["grpc-status-details-bin"];
  let details: ReturnType<typeof decodeStatusDetails> = [];
  try {
    if (typeof bin === "string") details = decodeStatusDetails(fromBase64(bin));
  } catch {
    // Details that do not decode are dropped; the status itself still stands.
  }
  return new StreampathError(code, decodeGrpcMessage(String(status?.["grpc-message"] ?? "")), { details });
}

/** A Connect error from its JSON (`{ code, message, details }`), or from the HTTP status when it is not that. */
export function connectError(where: string, httpStatus: number | undefined, json: unknown): StreampathError {
  if (typeof json === "object" && json !== null && typeof (json as { code?: unknown }).code === "string") {
    const { code, message, details } = json as { code: string; message?: unknown; details?: unknown };
    return new StreampathError(codeFromName(code) ?? Code.Unknown, typeof message === "string" ? message : "", { details: detailsFromJson(details) });
  }
  return new StreampathError(codeOfHttpStatus(httpStatus), `${where} answered HTTP ${httpStatus ?? "nothing"}`);
}

/** Parses JSON text, or returns undefined (an error body that is not JSON). */
export function parseJsonOrUndefined(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** Connect unary's trailers, sent as `trailer-` headers. */
export function connectUnaryTrailers(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const trailers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (name.startsWith("trailer-")) trailers[name.slice(8)] = value;
  return trailers;
}
