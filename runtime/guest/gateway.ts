/**
 * `connectGateway(origin)`: a worker's transport to its host. Unary calls
 * use the Connect protocol over fetch; client-streaming, server-streaming
 * and bidi calls use the pair, so every streamed direction has credit-based
 * flow control and survives a broken request (docs/protocol.md). Its
 * connection state says whether the host is reached now
 * (docs/connection-state.md).
 */
import { deadlineSignal } from "../core/deadline.js";
import type { CallOptions, Transport } from "../core/client.js";
import type { ConnectionStateSource } from "../core/connection-state.js";
import { Code, StreampathError } from "../core/error.js";
import type { MethodDescriptor } from "../core/service.js";
import { DEFAULT_PROBE, HostConnection, type ProbePolicy } from "./connection.js";
import { type Fetch, connectUnary, requestStreamsSupported } from "./http.js";
import { GuestPair } from "./pair.js";
import type { PairEnvironment, RetryPolicy } from "./pair-environment.js";
import { Slots } from "../core/slots.js";

export interface GatewayOptions {
  /** The fetch to use; default globalThis.fetch. */
  fetch?: Fetch;
  /** Down-direction messages we accept ahead of the application (the credit we grant). Default 16,384. */
  window?: number;
  /** The same in bytes of envelopes, which bounds the buffer's memory whatever the message size. Default 4 MiB. */
  windowBytes?: number;
  /** Most of our requests kept for replay beyond what the host acknowledged, in messages. Default 16,384. */
  maxWindow?: number;
  /** The same in bytes. Default 4 MiB. */
  maxWindowBytes?: number;
  /** Largest response message accepted, in bytes. Default 4 MiB. */
  maxMessageBytes?: number;
  /** "auto" (default) streams request bodies where fetch can and falls back to batches of POSTs; or force one. */
  upload?: "auto" | "stream" | "batch";
  /** Resuming a pair; `attempts` also counts the failures in a row after which the connection state is offline. */
  retry?: Partial<RetryPolicy>;
  /** How the gateway probes its host while it cannot reach it (and, idle, while it can). */
  probe?: Partial<ProbePolicy>;
  /**
   * Streaming calls whose pair is being set up at once (a down sent, its up not yet confirmed by the
   * host); more wait their turn. A browser has one HTTP/2 connection per origin with a bounded number
   * of streams (Chromium: at most 256), and a down holds one until its up arrives: without a bound,
   * hundreds of calls started together take every stream their ups need and none can go on. Default 8.
   */
  maxJoining?: number;
  /** A down or batch request without response headers this long counts as broken (and is resumed). Default 10 s. */
  responseTimeoutMs?: number;
  /** Headers sent with every request (credentials, say). */
  headers?: Record<string, string>;
  /**
   * How unary calls carry their messages: `proto` (default) or `json`, readable in the
   * browser's network panel. Streaming calls travel in the pair, always binary: its
   * flow control counts the bytes of binary envelopes.
   */
  format?: "proto" | "json";
}

export interface Gateway extends Transport, ConnectionStateSource {
  readonly origin: string;
  /** "stream" or "batch": how the up direction travels now. */
  readonly upload: "stream" | "batch";
  /** Fails running and later calls with `reason` (default unavailable) and stops probing: the state is offline for good. */
  close(reason?: unknown): void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 100, capMs: 5000 };

export function connectGateway(origin: string, options: GatewayOptions = {}): Gateway {
  const fetchImpl: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const upload = options.upload ?? "auto";
  const baseUrl = origin.replace(/\/+$/, "");
  const format = options.format ?? "proto";
  if (format !== "proto" && format !== "json") throw new TypeError(`connectGateway: format must be "proto" or "json", not ${String(format)}`);
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const responseTimeoutMs = options.responseTimeoutMs ?? 10_000;
  const connection = new HostConnection({
    fetch: fetchImpl, origin: baseUrl, headers: options.headers, attempts: retry.attempts,
    probe: { ...DEFAULT_PROBE, ...options.probe }, timeoutMs: responseTimeoutMs,
  });
  const env: PairEnvironment = {
    // Every request's outcome moves the connection state.
    fetch: connection.observe(fetchImpl),
    baseUrl,
    window: { messages: options.window ?? 16_384, bytes: options.windowBytes ?? 4 * 1024 * 1024 },
    keep: { messages: options.maxWindow ?? 16_384, bytes: options.maxWindowBytes ?? 4 * 1024 * 1024 },
    maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024,
    retry,
    upload: upload === "batch" || (upload === "auto" && !requestStreamsSupported()) ? "batch" : "stream",
    // A forced "stream" never falls back.
    streamingConfirmed: upload === "stream",
    unconfirmedUpFailures: 0,
    joining: new Slots(options.maxJoining ?? 8),
    responseTimeoutMs,
    connection,
  };
  const withDefaults = (callOptions: CallOptions): CallOptions => ({
    ...callOptions,
    headers: { ...options.headers, ...callOptions.headers },
  });
  const { cell } = connection;
  return {
    origin: env.baseUrl,
    get upload() {
      return env.upload;
    },
    get state() {
      return cell.state;
    },
    subscribe: (listener) => cell.subscribe(listener),
    whenLive: (signal) => cell.whenLive(signal),
    call<I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions: CallOptions = {}): AsyncIterable<O> {
      if (connection.closed) return failing(connection.closed);
      const merged = withDefaults(callOptions);
      if (method.kind === "unary") return unary(env, method, requests, merged, format);
      return new GuestPair(env, method, merged).start(requests);
    },
    close(reason?: unknown) {
      connection.close(reason === undefined ? new StreampathError(Code.Unavailable, "the gateway is closed") : StreampathError.from(reason, Code.Unavailable));
    },
  };
}

function failing(error: StreampathError): AsyncIterable<never> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) };
}

async function* unary<I, O>(
  env: PairEnvironment,
  method: MethodDescriptor<I, O>,
  requests: AsyncIterable<I>,
  options: CallOptions,
  format: "proto" | "json",
): AsyncGenerator<O> {
  let request: { value: I } | undefined;
  for await (const r of requests) {
    if (request) throw new StreampathError(Code.InvalidArgument, `${method.path} is unary: one request, got more`);
    request = { value: r };
  }
  if (!request) throw new StreampathError(Code.InvalidArgument, `${method.path} is unary: one request, got none`);
  const headers = { ...options.headers };
  if (options.timeoutMs !== undefined) headers["connect-timeout-ms"] = String(options.timeoutMs);
  const closing = new AbortController(); // the gateway closes
  // Not AbortSignal.any: a caller's long-lived signal (a page's) would keep a little of every call.
  const deadline = deadlineSignal(options.timeoutMs, options.signal ? [closing.signal, options.signal] : closing.signal);
  const release = env.connection.hold((reason) => closing.abort(reason));
  let failure: StreampathError | undefined;
  try {
    yield await connectUnary(env.fetch, env.baseUrl + method.path, method.input, method.output, request.value, headers, deadline.signal, format);
  } catch (error) {
    failure = StreampathError.from(error);
    throw error;
  } finally {
    deadline.dispose();
    release(failure);
  }
}
