/**
 * Host links: a host calling another host (or any gRPC or Connect server)
 * with gRPC or Connect over HTTP/2, in binary or JSON. One HTTP/2 session per peer, shared by every call and
 * replaced after GOAWAY or a broken connection; calls in flight on a broken
 * session fail with UNAVAILABLE, new calls get a new session.
 */
import http2 from "node:http2";
import { concatBytes } from "../core/bytes.js";
import type { CallOptions, Transport } from "../core/client.js";
import { EnvelopeDecoder, EnvelopeFlag } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { flatten } from "../core/flatten.js";
import { writeEnvelopes } from "./write-envelopes.js";
import { readableChunks } from "./readable-chunks.js";
import {
  type LinkProtocolName,
  connectError,
  connectUnaryTrailers,
  grpcOutcome,
  isConnectUnary,
  parseJsonOrUndefined,
  requestHeaders,
} from "./link-protocol.js";
import type { Format } from "./protocol.js";
import { serialization } from "./serialization.js";
import { PeerSession, type PeerSessionOptions } from "./peer-session.js";
import type { MethodDescriptor } from "../core/service.js";

export interface HostLinkOptions extends PeerSessionOptions {
  /** Largest response message accepted, in bytes. Default 4 MiB. */
  maxMessageBytes?: number;
  /**
   * `grpc` (default): any gRPC server. `connect`: the Connect protocol, for
   * servers or proxies that speak it but not gRPC's trailers.
   */
  protocol?: LinkProtocolName;
  /** Messages as protobuf binary (default) or JSON, readable in a proxy's log. */
  format?: Format;
}

/** A transport to one peer host; calls share its HTTP/2 session. */
export interface HostLink extends Transport {
  readonly url: string;
  close(): Promise<void>;
}

export function connectHost(url: string, options: HostLinkOptions = {}): HostLink {
  const authority = new URL(url).origin;
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const protocol = options.protocol ?? "grpc";
  const format = options.format ?? "proto";
  if (protocol !== "grpc" && protocol !== "connect") throw new TypeError(`connectHost: protocol must be "grpc" or "connect", not ${String(protocol)}`);
  if (format !== "proto" && format !== "json") throw new TypeError(`connectHost: format must be "proto" or "json", not ${String(format)}`);
  const peer = new PeerSession(authority, options);

  // Responses are decoded a chunk at a time and served one by one (flatten): a
  // generator's yield per message would cost several awaits each.
  async function* callBatches<I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions: CallOptions, state: { failure?: StreampathError }): AsyncGenerator<O[]> {
    const { signal, timeoutMs } = callOptions;
    if (signal?.aborted) throw StreampathError.from(signal.reason, Code.Canceled);
    const where = `${authority}${method.path}`;
    const input = serialization(method.input, format);
    const output = serialization(method.output, format);
    const unary = isConnectUnary(protocol, method.kind);
    const s = peer.get();
    peer.track(s, +1);
    const stream = s.request({
      ...callOptions.headers,
      ...requestHeaders(protocol, method.kind, format, timeoutMs),
      ":method": "POST",
      ":path": method.path,
    });
    const fail = (error: StreampathError) => {
      state.failure ??= error;
      // Not close(): Node's close() half-closes (END_STREAM) before its RST_STREAM, so the peer
      // would first see the requests end cleanly. destroy() sends only RST_STREAM. Never in this
      // tick: it may be inside the session's receive callbacks (see resetLater).
      resetLater(stream, error);
    };
    const onAbort = () => fail(StreampathError.from(signal!.reason, Code.Canceled));
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeoutMs !== undefined ? setTimeout(() => fail(new StreampathError(Code.DeadlineExceeded, `deadline of ${timeoutMs}ms exceeded`)), timeoutMs) : undefined;
    let headers: http2.IncomingHttpHeaders | undefined;
    let trailers: http2.IncomingHttpHeaders | undefined;
    let httpStatus: number | undefined;
    stream.once("response", (h) => {
      headers = h;
      httpStatus = h[":status"];
      callOptions.onHeaders?.(h);
    });
    stream.once("trailers", (t) => {
      trailers = t;
      callOptions.onTrailers?.(t);
    });
    stream.on("error", () => undefined);
    // Requests go up while responses come down: full duplex. Connect unary sends its one message bare.
    const sent = unary
      ? only(requests).then((request) => void stream.end(input.encode(request)))
      : writeEnvelopes(stream, requests, input, () => undefined).then(() => void stream.end());
    sent.catch((error) => fail(StreampathError.from(error, Code.Internal)));
    const decoder = new EnvelopeDecoder({ maxMessageBytes });
    // A body that is one message or an error, not envelopes: Connect unary, or any Connect error status.
    const whole: Uint8Array[] = [];
    let wholeBytes = 0;
    let end: unknown;
    let done = false;
    try {
      try {
        for await (const chunk of { [Symbol.asyncIterator]: () => readableChunks(stream) }) {
          if (protocol === "connect" && (unary || httpStatus !== 200)) {
            wholeBytes += chunk.length;
            if (wholeBytes > maxMessageBytes) throw new StreampathError(Code.ResourceExhausted, `${where} answered more than ${maxMessageBytes} bytes`);
            whole.push(chunk);
            continue;
          }
          const batch: O[] = [];
          decoder.each(chunk, (flags, bytes, start, stop, owned) => {
            if (flags & EnvelopeFlag.EndStream && protocol === "connect") end = parseJsonOrUndefined(bytes.subarray(start, stop)) ?? null;
            else if (flags & EnvelopeFlag.Compressed) throw new StreampathError(Code.Internal, `${where} sent a compressed message, which the link did not accept`);
            else batch.push(output.decode(bytes, start, stop, owned));
          });
          if (state.failure) throw state.failure;
          if (batch.length === 0) continue;
          yield batch;
        }
        decoder.end();
      } catch (error) {
        if (state.failure) throw state.failure;
        if (stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM || s.destroyed || s.closed) {
          throw new StreampathError(Code.Unavailable, `connection to ${authority} lost: ${(error as Error).message}`, { cause: error });
        }
        throw StreampathError.from(error, Code.Internal);
      }
      if (state.failure) throw state.failure;
      if (protocol === "grpc") {
        const error = grpcOutcome(where, headers, trailers);
        if (error) throw error;
      } else if (httpStatus !== 200) {
        throw connectError(where, httpStatus, parseJsonOrUndefined(concatBytes(whole)));
      } else if (unary) {
        callOptions.onTrailers?.(connectUnaryTrailers(headers!));
        const body = concatBytes(whole);
        yield [output.decode(body, 0, body.length)];
      } else {
        if (end === undefined) throw new StreampathError(Code.Internal, `${where} ended without Connect's end-stream message`);
        const { error, metadata } = (end ?? {}) as { error?: unknown; metadata?: Record<string, string[]> };
        callOptions.onTrailers?.(Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, v.join(", ")])));
        if (error) throw connectError(where, 200, error);
      }
      done = true;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(timer);
      // The consumer stopped early: reset the stream (destroy, not close(): see fail()).
      if (!done) resetLater(stream, new StreampathError(Code.Canceled, "the caller stopped reading"));
      peer.track(s, -1);
    }
  }

  return {
    url,
    call(method, requests, callOptions = {}) {
      const state: { failure?: StreampathError } = {};
      return flatten(callBatches(method, requests, callOptions, state), () => state.failure);
    },
    close: () => peer.close(),
  };
}

/** The one request of a unary call. */
async function only<T>(requests: AsyncIterable<T>): Promise<T> {
  for await (const request of requests) return request;
  throw new StreampathError(Code.Internal, "a unary call was given no request");
}

/**
 * Resets a stream on the next turn of the event loop. Node 20's http2 can spin forever, growing
 * without bound, when a stream is reset inside its session's receive callbacks (nodejs/node#64113)
 * — a data, close or response handler, or a promise continuation of one, which runs in the same tick.
 */
function resetLater(stream: http2.ClientHttp2Stream, error: Error): void {
  setImmediate(() => {
    if (!stream.destroyed) stream.destroy(error);
  });
}
