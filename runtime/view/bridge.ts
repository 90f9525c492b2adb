/**
 * The window's side of the bridge: `connectWorker(worker)` is a Transport to
 * the registry a worker serves with `serveBridge`. Each call crosses as one
 * open message; its requests and responses then flow in batches, over
 * transferred ReadableStreams or, where a browser cannot transfer them, over
 * a MessagePort of the call's own with credits; as binary batches of the
 * generated codecs where the worker has them, else as the plain objects
 * (structured clone). Its connection state combines its own with the
 * host connection's state the worker relays. See docs/bridge.md and
 * docs/connection-state.md.
 */
import {
  BRIDGE_TAG,
  type BridgeEndpoint,
  type BridgeLimits,
  type OpenMessage,
  type Packet,
  bridgeMessage,
  canTransferStreams,
  checkLimits,
  connectionStateFromWire,
  stringRecord,
  toWire,
} from "../core/bridge.js";
import { batchCodec } from "../core/bridge-codec.js";
import { Inbox } from "../core/bridge-inbox.js";
import { PortLink } from "../core/bridge-port.js";
import { outgoingStream, streamSource } from "../core/bridge-streams.js";
import type { CallOptions, Transport } from "../core/client.js";
import type { ConnectionStateSource } from "../core/connection-state.js";
import { type DeadlineSignal, deadlineSignal } from "../core/deadline.js";
import { Code, StreampathError } from "../core/error.js";
import type { MethodDescriptor } from "../core/service.js";
import { WorkerState } from "./worker-state.js";

export interface BridgeOptions {
  /** auto (port): a MessagePort per call with credits, measured the faster in Chromium (docs/bridge.md); streams: transferable ReadableStreams. */
  mode?: "auto" | "streams" | "port";
  /** auto: binary batches for the methods whose codecs the worker announced (serveBridge's `services`); clone: always structured clone. */
  encoding?: "auto" | "clone";
  /** Port mode: messages in flight per direction of a call, the credit (default 4096). Streams mode keeps at most 5 × maxBatch in flight. */
  window?: number;
  /** The most messages one chunk carries (default 512, at most `window`). */
  maxBatch?: number;
}

/**
 * A Transport to the worker, whose connection state is what the window can count on (worker-state.ts):
 * `connecting` until the worker serves; then the state of the worker's connection to its host if the
 * worker relays one (serveBridge's `connection`), else `live`; `offline` while the window's network is,
 * and for good once the connection is closed or the worker failed before it served.
 */
export interface WorkerConnection extends Transport, ConnectionStateSource {
  readonly mode: "streams" | "port";
  /** Fails running calls (and cancels them in the worker) and later ones with `reason`. The worker is not terminated. */
  close(reason?: unknown): void;
}

/** What a call needs of its connection. */
interface Connection {
  readonly endpoint: BridgeEndpoint;
  readonly mode: "streams" | "port";
  readonly limits: BridgeLimits;
  readonly closing: AbortSignal;
  /** Resolves when the worker serves; then `binary` holds the paths it has codecs for. */
  readonly ready: Promise<void>;
  readonly binary: ReadonlySet<string>;
  /** Call `id` was posted: `resolve` gets its responses when the worker's reply arrives. */
  expect(id: number, resolve: (responses: ReadableStream<Packet>) => void): void;
  /** Call `id` is over: a reply still to come is canceled. */
  forget(id: number): void;
}

let nextId = 1;

export function connectWorker(worker: Worker | MessagePort, options: BridgeOptions = {}): WorkerConnection {
  const endpoint = worker as unknown as BridgeEndpoint;
  const limits = checkLimits(options);
  const requested = options.mode ?? "auto";
  if (requested !== "auto" && requested !== "streams" && requested !== "port") {
    throw new StreampathError(Code.InvalidArgument, `connectWorker: unknown mode ${JSON.stringify(requested)}`);
  }
  if (requested === "streams" && !canTransferStreams()) {
    throw new StreampathError(Code.FailedPrecondition, 'connectWorker: this browser cannot transfer a ReadableStream; use mode "port" or "auto"');
  }
  // Port mode unless streams are asked for: it measured faster than transferred streams (docs/bridge.md).
  const mode = requested === "auto" ? "port" : requested;
  const encoding = options.encoding ?? "auto";
  if (encoding !== "auto" && encoding !== "clone") {
    throw new StreampathError(Code.InvalidArgument, `connectWorker: unknown encoding ${JSON.stringify(encoding)}`);
  }

  const closing = new AbortController();
  let serving = false;
  let served!: () => void;
  const ready = new Promise<void>((resolve) => (served = () => ((serving = true), resolve())));
  const state = new WorkerState();
  const { cell } = state;
  const binary = new Set<string>();
  const replies = new Map<number, (stream: ReadableStream<Packet>) => void>();
  /** Calls that ended before their reply came (bounded by the calls that were open at once). */
  const abandoned = new Set<number>();

  const listener = (event: MessageEvent): void => {
    const message = bridgeMessage(event.data);
    if (!message) return;
    if (message[BRIDGE_TAG] === "ready") {
      if (encoding === "auto" && Array.isArray(message.binary)) for (const path of message.binary) binary.add(String(path));
      served();
      // The state rides with "ready", so the window never shows live before it hears the host's state.
      state.served(connectionStateFromWire(message.state));
    } else if (message[BRIDGE_TAG] === "state") {
      state.relayed(connectionStateFromWire(message.state));
    } else if (message[BRIDGE_TAG] === "reply") {
      const resolve = replies.get(message.id);
      replies.delete(message.id);
      if (resolve) resolve(message.responses);
      // A reply to a call of this connection that is gone: stop its handler. Other ids are another connection's.
      else if (abandoned.delete(message.id)) void message.responses.cancel({ code: Code.Canceled, message: "the call is gone" }).catch(() => undefined);
    }
  };
  // A worker whose script fails (not found, a syntax error, a throw before serveBridge) never
  // serves: its calls would wait for their deadline, or for ever. Its error event closes the
  // connection, saying why; once it serves, an error is an uncaught one of its own, and it goes on.
  const failed = (event: Event): void => {
    if (serving) return;
    const detail = (event as ErrorEvent).message || "no message (did its script load?)";
    close(new StreampathError(Code.Unavailable, `the worker failed before it served: ${detail}`));
  };
  const onError = endpoint as unknown as Pick<Worker, "addEventListener" | "removeEventListener">;
  endpoint.addEventListener("message", listener);
  onError.addEventListener("error", failed);
  endpoint.start?.();
  // The worker says "ready" when it starts serving, and again for every hello, so a late connection hears it too.
  endpoint.postMessage({ [BRIDGE_TAG]: "hello" }, []);

  const connection: Connection = {
    endpoint,
    mode,
    limits,
    closing: closing.signal,
    ready,
    binary,
    expect: (id, resolve) => void replies.set(id, resolve),
    forget: (id) => {
      if (replies.delete(id)) abandoned.add(id);
    },
  };
  return {
    mode,
    call: <I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions?: CallOptions) =>
      new BridgeCall<I, O>(connection, method, requests, callOptions ?? {}),
    close,
    get state() {
      return cell.state;
    },
    subscribe: (listener) => cell.subscribe(listener),
    whenLive: (signal) => cell.whenLive(signal),
  };

  function close(reason?: unknown): void {
    if (closing.signal.aborted) return;
    const error = reason === undefined ? new StreampathError(Code.Unavailable, "the worker connection is closed") : StreampathError.from(reason, Code.Unavailable);
    closing.abort(error);
    state.close(error);
    endpoint.removeEventListener("message", listener);
    onError.removeEventListener("error", failed);
    replies.clear();
    abandoned.clear();
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** One call from the window: lazy (opens on the first read, once the worker serves), ended by the caller, its deadline or the connection. */
class BridgeCall<I, O> implements AsyncIterableIterator<O> {
  private readonly id = nextId++;
  private readonly started = Date.now();
  private readonly signal: AbortSignal;
  private readonly deadline: DeadlineSignal;
  private inbox: Inbox<O> | undefined;
  private opening: Promise<void> | undefined;
  /** Stops the requests, telling the worker why when the call was aborted. */
  private stopSending: ((reason?: StreampathError) => void) | undefined;
  private finished = false;
  /** Why the call ended before it opened: the next read throws it. */
  private failure: StreampathError | undefined;
  private stop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.stop = resolve));

  constructor(
    private readonly connection: Connection,
    private readonly method: MethodDescriptor<I, O>,
    private readonly requests: AsyncIterable<I>,
    private readonly options: CallOptions,
  ) {
    const parents = [connection.closing, ...(options.signal ? [options.signal] : [])];
    const deadline = deadlineSignal(options.timeoutMs, parents);
    this.signal = deadline.signal;
    this.deadline = deadline;
    const onAbort = () => this.abort(StreampathError.from(this.signal.reason, Code.Canceled));
    if (this.signal.aborted) onAbort();
    else this.signal.addEventListener("abort", onAbort, { once: true });
  }

  next(): Promise<IteratorResult<O>> {
    if (this.inbox) return this.inbox.next();
    if (this.finished) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure) : Promise.resolve(DONE);
    }
    this.opening ??= Promise.race([this.connection.ready, this.stopped]).then(() => {
      if (!this.finished) this.inbox = this.open();
    });
    return this.opening.then(() => this.next());
  }

  /** The caller stopped reading (break out of for-await): the worker's handler is canceled. */
  return(): Promise<IteratorResult<O>> {
    this.abort(new StreampathError(Code.Canceled, "the caller stopped reading"));
    this.failure = undefined;
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<O> {
    return this;
  }

  /** Posts the call, once the worker serves. */
  private open(): Inbox<O> {
    const { connection, id, method } = this;
    const binary = connection.binary.has(method.path);
    const codecs = binary ? { send: batchCodec(method.input), receive: batchCodec(method.output) } : undefined;
    const timeoutMs = this.options.timeoutMs === undefined ? undefined : Math.max(0, this.options.timeoutMs - (Date.now() - this.started));
    const open: OpenMessage = { [BRIDGE_TAG]: "open", id, path: method.path, headers: this.options.headers, ...connection.limits, binary };
    if (timeoutMs !== undefined) open.timeoutMs = timeoutMs;
    let inbox: Inbox<O>;
    if (connection.mode === "streams") {
      const out = outgoingStream(this.requests, connection.limits, () => undefined, codecs?.send);
      this.stopSending = (reason) => out.stop(reason && toWire(reason));
      let replied!: (responses: ReadableStream<Packet>) => void;
      const responses = new Promise<ReadableStream<Packet>>((resolve) => (replied = resolve));
      inbox = new Inbox(streamSource(responses as Promise<ReadableStream<Packet<O>>>), connection.limits.maxBatch, codecs?.receive);
      connection.expect(id, replied);
      connection.endpoint.postMessage({ ...open, requests: out.stream }, [out.stream as unknown as Transferable]);
    } else {
      const channel = new MessageChannel();
      const link = new PortLink<O, I>(channel.port1, connection.limits, () => undefined, codecs);
      link.send(this.requests);
      this.stopSending = (reason) => (reason ? link.close() : undefined);
      inbox = link.inbox;
      connection.endpoint.postMessage({ ...open, port: channel.port2 }, [channel.port2]);
    }
    inbox.onFinish = (error) => this.complete(error);
    const { onHeaders, onTrailers } = this.options;
    if (onHeaders || onTrailers) {
      inbox.onPacket = (packet) => {
        const headers = stringRecord(packet.headers);
        const trailers = stringRecord(packet.trailers);
        if (headers) onHeaders?.(headers);
        if (trailers) onTrailers?.(trailers);
      };
    }
    return inbox;
  }

  /** Ends the call with `reason`: a waiting read throws it, and the worker's handler is canceled. */
  private abort(reason: StreampathError): void {
    if (this.finished) return;
    if (this.inbox) this.inbox.fail(reason);
    else this.failure = reason;
    this.complete(reason);
  }

  private complete(reason?: StreampathError): void {
    if (this.finished) return;
    this.finished = true;
    this.stop();
    this.deadline.dispose();
    this.connection.forget(this.id);
    this.stopSending?.(reason);
  }
}
