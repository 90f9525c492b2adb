/**
 * Host links: a host calling another host (or any gRPC server) with plain
 * gRPC over HTTP/2. One HTTP/2 session per peer, shared by every call and
 * replaced after GOAWAY or a broken connection; calls in flight on a broken
 * session fail with UNAVAILABLE, new calls get a new session.
 */
import http2 from "node:http2";
import type { CallOptions, Transport } from "../core/client.js";
import { formatGrpcTimeout } from "../core/deadline.js";
import { EnvelopeDecoder } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { flatten } from "../core/flatten.js";
import { decodeAt } from "../core/message.js";
import { writeEnvelopes } from "./call.js";
import { PeerSession, type PeerSessionOptions } from "./peer-session.js";
import type { MethodDescriptor } from "../core/service.js";

export interface HostLinkOptions extends PeerSessionOptions {
  /** Largest response message accepted, in bytes. Default 4 MiB. */
  maxMessageBytes?: number;
}

/** A transport to one peer host; calls share its HTTP/2 session. */
export interface HostLink extends Transport {
  readonly url: string;
  close(): Promise<void>;
}

export function connectHost(url: string, options: HostLinkOptions = {}): HostLink {
  const authority = new URL(url).origin;
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const peer = new PeerSession(authority, options);

  // Responses are decoded a chunk at a time and served one by one (flatten): a
  // generator's yield per message would cost several awaits each.
  async function* callBatches<I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions: CallOptions, state: { failure?: StreampathError }): AsyncGenerator<O[]> {
    const { signal, timeoutMs } = callOptions;
    if (signal?.aborted) throw StreampathError.from(signal.reason, Code.Canceled);
    const s = peer.get();
    peer.track(s, +1);
    const stream = s.request({
      ":method": "POST",
      ":path": method.path,
      "content-type": "application/grpc+proto",
      te: "trailers",
      ...(timeoutMs !== undefined ? { "grpc-timeout": formatGrpcTimeout(timeoutMs) } : {}),
      ...callOptions.headers,
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
    stream.once("response", (h) => {
      headers = h;
      callOptions.onHeaders?.(h);
    });
    stream.once("trailers", (t) => {
      trailers = t;
      callOptions.onTrailers?.(t);
    });
    stream.on("error", () => undefined);
    // Requests go up while responses come down: full duplex.
    void writeEnvelopes(stream, requests, method.input, () => undefined).then(
      () => stream.end(),
      (error) => fail(StreampathError.from(error, Code.Internal)),
    );
    const decoder = new EnvelopeDecoder({ maxMessageBytes });
    let done = false;
    try {
      try {
        for await (const chunk of stream as AsyncIterable<Uint8Array>) {
          const batch: O[] = [];
          decoder.each(chunk, (_flags, bytes, start, end) => void batch.push(decodeAt(method.output, bytes, start, end)));
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
      const status = trailers ?? headers;
      const code = Number(status?.["grpc-status"] ?? NaN);
      if (Number.isNaN(code)) {
        const httpStatus = headers?.[":status"];
        throw new StreampathError(Code.Unavailable, `${authority}${method.path} answered HTTP ${httpStatus ?? "nothing"} without grpc-status`);
      }
      if (code !== Code.Ok) throw new StreampathError(code, decodeGrpcMessage(String(status?.["grpc-message"] ?? "")));
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

function decodeGrpcMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
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
