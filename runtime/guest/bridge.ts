/**
 * The worker's side of the bridge: `serveBridge(registry)` answers the calls
 * a window makes with `connectWorker`, in either mode, by path through the
 * registry (serveWorker's, or anything with the same `call`). A handler's
 * error crosses as its status code and message; a window that stops reading
 * stalls the handler's producer (the response stream's queue, or credit);
 * a window that cancels aborts the handler's context.signal. See docs/bridge.md.
 */
import {
  BRIDGE_TAG,
  type BridgeEndpoint,
  type BridgeLimits,
  type OpenMessage,
  bridgeMessage,
  checkLimits,
} from "../core/bridge.js";
import { Inbox } from "../core/bridge-inbox.js";
import { type BridgePort, PortLink } from "../core/bridge-port.js";
import { outgoingStream, streamSource } from "../core/bridge-streams.js";
import type { CallOptions } from "../core/client.js";
import { Code, StreampathError } from "../core/error.js";

export type { BridgeEndpoint } from "../core/bridge.js";

/** What serveBridge calls: a WorkerRegistry, or anything that calls a method by path. */
export interface BridgeRegistry {
  call(path: string, requests: AsyncIterable<unknown>, options?: CallOptions): AsyncIterable<unknown>;
}

export interface BridgeServer {
  /** Fails every running call with `reason` (the window reads it; the handlers are aborted) and stops answering. */
  close(reason?: unknown): void;
}

/** A call being answered: how to end it from outside. */
interface Served {
  fail(error: StreampathError): void;
}

export function serveBridge(registry: BridgeRegistry, endpoint: BridgeEndpoint = globalThis as unknown as BridgeEndpoint): BridgeServer {
  const calls = new Set<Served>();
  let closed = false;

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
    const abort = new AbortController();
    const options: CallOptions = { signal: abort.signal, timeoutMs: message.timeoutMs, headers: stringRecord(message.headers) };
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
      const requests = new Inbox(streamSource(Promise.resolve(message.requests)), limits.maxBatch);
      const served: Served = { fail: (error) => (abort.abort(error), out.fail(error)) };
      const out = outgoingStream(
        track(call(requests), () => {
          calls.delete(served);
          void requests.return();
        }),
        limits,
        onCancel,
      );
      calls.add(served);
      endpoint.postMessage({ [BRIDGE_TAG]: "reply", id: message.id, responses: out.stream }, [out.stream as unknown as Transferable]);
    } else if (message.port) {
      const link = new PortLink<unknown, unknown>(message.port as unknown as BridgePort, limits, onCancel);
      const served: Served = { fail: (error) => (abort.abort(error), link.fail(error)) };
      link.send(
        track(call(link.inbox), () => {
          calls.delete(served);
          void link.inbox.return();
        }),
      );
      calls.add(served);
    }
    // An open message with neither has nowhere to answer.
  };

  const listener = (event: MessageEvent): void => {
    const message = bridgeMessage(event.data);
    if (!message || closed) return;
    if (message[BRIDGE_TAG] === "hello") endpoint.postMessage({ [BRIDGE_TAG]: "ready" }, []);
    else if (message[BRIDGE_TAG] === "open") open(message);
  };
  endpoint.addEventListener("message", listener);
  endpoint.start?.();
  endpoint.postMessage({ [BRIDGE_TAG]: "ready" }, []);

  return {
    close(reason?: unknown) {
      if (closed) return;
      closed = true;
      endpoint.removeEventListener("message", listener);
      const error = reason === undefined ? new StreampathError(Code.Unavailable, "the worker's bridge is closed") : StreampathError.from(reason, Code.Unavailable);
      for (const call of [...calls]) call.fail(error);
      calls.clear();
    },
  };
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** `source`, calling `onDone` once when it ends, fails or is returned: the call is over, so its requests are no longer read. */
function track<T>(source: AsyncIterable<T>, onDone: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = source[Symbol.asyncIterator]();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        onDone();
      };
      return {
        next: () =>
          iterator.next().then(
            (result) => {
              if (result.done) end();
              return result;
            },
            (error: unknown) => {
              end();
              throw error;
            },
          ),
        return: () => {
          end();
          return iterator.return ? iterator.return() : Promise.resolve(DONE);
        },
      };
    },
  };
}

function failing(error: StreampathError): AsyncIterable<never> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === "string") out[key] = v;
  return out;
}
