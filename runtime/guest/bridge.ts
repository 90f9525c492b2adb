/**
 * The worker's side of the bridge: `serveBridge(registry)` answers the calls
 * a window makes with `connectWorker`, in either mode, by path through the
 * registry (serveWorker's, or anything with the same `call`). A handler's
 * error crosses as its status code and message; a window that stops reading
 * stalls the handler's producer (the response stream's queue, or credit);
 * a window that cancels aborts the handler's context.signal. Calls of the
 * `services` given cross as binary batches of their generated codecs, the
 * others as plain objects (structured clone). Given a `connection` (the
 * gateway), it relays that connection's state to every window connection.
 * See docs/bridge.md and docs/connection-state.md.
 */
import {
  BRIDGE_TAG,
  type BridgeEndpoint,
  type BridgeLimits,
  type OpenMessage,
  type Packet,
  bridgeMessage,
  checkLimits,
  connectionStateToWire,
  packetCount,
  stringRecord,
} from "../core/bridge.js";
import { type BatchCodec, batchCodec } from "../core/bridge-codec.js";
import { Inbox } from "../core/bridge-inbox.js";
import { type BridgePort, PortLink } from "../core/bridge-port.js";
import { outgoingStream, streamSource } from "../core/bridge-streams.js";
import type { CallOptions } from "../core/client.js";
import type { ConnectionState, ConnectionStateSource } from "../core/connection-state.js";
import { Code, StreampathError } from "../core/error.js";
import type { MethodDescriptor, ServiceDescriptor } from "../core/service.js";

export type { BridgeEndpoint } from "../core/bridge.js";

/** What serveBridge calls: a WorkerRegistry, or anything that calls a method by path. */
export interface BridgeRegistry {
  call(path: string, requests: AsyncIterable<unknown>, options?: CallOptions): AsyncIterable<unknown>;
}

export interface BridgeServeOptions {
  /**
   * The services (descriptors, or serveWorker's WorkerServices) whose calls
   * may cross as binary batches of their generated codecs: much cheaper than
   * structured clone of many small objects. Others cross as plain objects.
   */
  services?: readonly (ServiceDescriptor | { readonly service: ServiceDescriptor })[];
  /**
   * A connection whose state the windows should see (the worker's gateway): posted with
   * "ready" and on every change, it becomes each WorkerConnection's state once the worker serves.
   */
  connection?: Pick<ConnectionStateSource, "state" | "subscribe">;
}

export interface BridgeServer {
  /** Fails every running call with `reason` (the window reads it; the handlers are aborted), and every later one. */
  close(reason?: unknown): void;
}

/** A call being answered: how to end it from outside. */
interface Served {
  fail(error: StreampathError): void;
}

export function serveBridge(
  registry: BridgeRegistry,
  endpoint: BridgeEndpoint = globalThis as unknown as BridgeEndpoint,
  serveOptions: BridgeServeOptions = {},
): BridgeServer {
  const calls = new Set<Served>();
  /** Set by close(): later calls fail with it at once rather than wait for an answer that never comes. */
  let closed: StreampathError | undefined;
  let closedAt = 0;
  const methods = new Map<string, MethodDescriptor>();
  for (const entry of serveOptions.services ?? []) {
    const service = "service" in entry ? entry.service : entry;
    for (const method of Object.values(service.methods)) methods.set(method.path, method);
  }
  const binary = [...methods.keys()];
  const { connection } = serveOptions;
  // What the windows are told: the connection's state, or offline once closed (nothing is served any more).
  const state = (): ConnectionState | undefined => (closed ? { kind: "offline", error: closed, since: closedAt } : connection?.state);
  const ready = () => {
    const now = state();
    return { [BRIDGE_TAG]: "ready", binary, ...(now && { state: connectionStateToWire(now) }) };
  };
  const post = (now: ConnectionState) => endpoint.postMessage({ [BRIDGE_TAG]: "state", state: connectionStateToWire(now) }, []);

  const open = (message: OpenMessage): void => {
    let limits: BridgeLimits;
    let problem: StreampathError | undefined;
    try {
      limits = checkLimits({ window: message.window, maxBatch: message.maxBatch });
      if (typeof message.path !== "string") problem = new StreampathError(Code.InvalidArgument, "a bridge call without a method path");
      else if (message.timeoutMs !== undefined && !(typeof message.timeoutMs === "number" && message.timeoutMs >= 0)) {
        problem = new StreampathError(Code.InvalidArgument, `a bridge call with a bad timeoutMs: ${String(message.timeoutMs)}`);
      }
    } catch (error) {
      limits = { window: 1, maxBatch: 1 };
      problem = StreampathError.from(error);
    }
    problem ??= closed;
    let codecs: { send: BatchCodec<unknown>; receive: BatchCodec<unknown> } | undefined;
    if (message.binary === true && !problem) {
      const method = methods.get(message.path);
      if (method) codecs = { send: batchCodec(method.output), receive: batchCodec(method.input) };
      else problem = new StreampathError(Code.Internal, `a binary bridge call of ${message.path}, whose codecs this worker does not have`);
    }
    const abort = new AbortController();
    // The handler's response headers ride with the first packet of responses, its trailers with the last.
    let headers: Record<string, string> | undefined;
    let trailers: Record<string, string> | undefined;
    const stamp = (packet: Packet, final: unknown): void => {
      if (headers && (packetCount(packet) > 0 || final)) [packet.headers, headers] = [headers, undefined];
      if (final && trailers) packet.trailers = trailers;
    };
    const options: CallOptions = {
      signal: abort.signal,
      timeoutMs: message.timeoutMs,
      headers: stringRecord(message.headers),
      onHeaders: (h) => void (headers = stringRecord(h)),
      onTrailers: (t) => void (trailers = stringRecord(t)),
    };
    const call = (requests: AsyncIterable<unknown>): AsyncIterable<unknown> => {
      if (problem) return failing(problem);
      try {
        return registry.call(message.path, requests, options);
      } catch (error) {
        return failing(StreampathError.from(error));
      }
    };
    // The window canceled: the handler's signal aborts with the window's reason before its iterator is returned.
    const onCancel = (reason: StreampathError) => abort.abort(reason);

    if (message.requests instanceof ReadableStream) {
      const requests = new Inbox(streamSource(Promise.resolve(message.requests)), limits.maxBatch, codecs?.receive);
      const served: Served = { fail: (error) => (abort.abort(error), out.fail(error)) };
      // When the responses are finished with, the call is over: its requests are no longer read.
      const out = outgoingStream(call(requests), limits, onCancel, codecs?.send, () => {
        calls.delete(served);
        void requests.return();
      }, stamp);
      calls.add(served);
      endpoint.postMessage({ [BRIDGE_TAG]: "reply", id: message.id, responses: out.stream }, [out.stream as unknown as Transferable]);
    } else if (message.port) {
      const link = new PortLink<unknown, unknown>(message.port as unknown as BridgePort, limits, onCancel, codecs);
      const served: Served = { fail: (error) => (abort.abort(error), link.fail(error)) };
      link.send(call(link.inbox), () => {
        calls.delete(served);
        void link.inbox.return();
      }, stamp);
      calls.add(served);
    }
    // An open message with neither has nowhere to answer.
  };

  const listener = (event: MessageEvent): void => {
    const message = bridgeMessage(event.data);
    if (!message) return;
    if (message[BRIDGE_TAG] === "hello") endpoint.postMessage(ready(), []);
    else if (message[BRIDGE_TAG] === "open") open(message);
  };
  endpoint.addEventListener("message", listener);
  endpoint.start?.();
  endpoint.postMessage(ready(), []);
  const unsubscribe = connection?.subscribe(post);

  return {
    close(reason?: unknown) {
      if (closed) return;
      unsubscribe?.();
      closed = reason === undefined ? new StreampathError(Code.Unavailable, "the worker's bridge is closed") : StreampathError.from(reason, Code.Unavailable);
      closedAt = Date.now();
      post(state()!);
      for (const call of [...calls]) call.fail(closed);
      calls.clear();
    },
  };
}

function failing(error: StreampathError): AsyncIterable<never> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) };
}

