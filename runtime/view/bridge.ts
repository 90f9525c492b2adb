/**
 * The window's side of the bridge: `connectWorker(worker)` is a Transport to
 * the registry a worker serves with `serveBridge`. Each call crosses as one
 * open message; its requests and responses then flow in batches, over
 * transferred ReadableStreams or, where a browser cannot transfer them, over
 * a MessagePort of the call's own with credits. See docs/bridge.md.
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
  toWire,
} from "../core/bridge.js";
import { Inbox } from "../core/bridge-inbox.js";
import { PortLink } from "../core/bridge-port.js";
import { outgoingStream, streamSource } from "../core/bridge-streams.js";
import type { CallOptions, Transport } from "../core/client.js";
import { deadlineSignal } from "../core/deadline.js";
import { Code, StreampathError } from "../core/error.js";
import type { MethodDescriptor } from "../core/service.js";

export interface BridgeOptions {
  /** auto: transferable streams if this browser can transfer a ReadableStream, else a MessagePort with credits. */
  mode?: "auto" | "streams" | "port";
  /** Messages in flight per direction of a call: the streams' queues, the ports' credit (default 4096). */
  window?: number;
  /** The most messages one chunk carries (default 512, at most `window`). */
  maxBatch?: number;
}

export interface WorkerConnection extends Transport {
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
  /** Runs `post` once the worker serves (at once if it already does). */
  whenReady(post: () => void): void;
  /** Resolves with the responses of call `id` when the worker's reply arrives. */
  reply(id: number): Promise<ReadableStream<Packet>>;
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
  const mode = requested === "auto" ? (canTransferStreams() ? "streams" : "port") : requested;

  const closing = new AbortController();
  let ready = false;
  const waiting: (() => void)[] = [];
  const replies = new Map<number, (stream: ReadableStream<Packet>) => void>();

  const listener = (event: MessageEvent): void => {
    const message = bridgeMessage(event.data);
    if (!message) return;
    if (message[BRIDGE_TAG] === "ready" && !ready) {
      ready = true;
      for (const post of waiting.splice(0)) post();
    } else if (message[BRIDGE_TAG] === "reply") {
      const resolve = replies.get(message.id);
      replies.delete(message.id);
      // A reply to a call that is gone: stop its handler.
      if (resolve) resolve(message.responses);
      else void message.responses.cancel({ code: Code.Canceled, message: "the call is gone" }).catch(() => undefined);
    }
  };
  endpoint.addEventListener("message", listener);
  endpoint.start?.();
  // The worker says "ready" when it starts serving, and again for every hello, so a late connection hears it too.
  endpoint.postMessage({ [BRIDGE_TAG]: "hello" }, []);

  const connection: Connection = {
    endpoint,
    mode,
    limits,
    closing: closing.signal,
    whenReady: (post) => (ready ? post() : void waiting.push(post)),
    reply: (id) => new Promise((resolve) => replies.set(id, resolve)),
    forget: (id) => void replies.delete(id),
  };
  return {
    mode,
    call: <I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions?: CallOptions) =>
      new BridgeCall<I, O>(connection, method.path, requests, callOptions ?? {}),
    close(reason?: unknown) {
      if (closing.signal.aborted) return;
      closing.abort(reason === undefined ? new StreampathError(Code.Unavailable, "the worker connection is closed") : StreampathError.from(reason, Code.Unavailable));
      endpoint.removeEventListener("message", listener);
      waiting.length = 0;
      replies.clear();
    },
  };
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** One call from the window: lazy (opens on the first read), ended by the caller, its deadline or the connection. */
class BridgeCall<I, O> implements AsyncIterableIterator<O> {
  private readonly id = nextId++;
  private readonly started = Date.now();
  private readonly signal: AbortSignal;
  private readonly dispose: () => void;
  private inbox: Inbox<O> | undefined;
  /** Stops the requests, telling the worker why when the call was aborted. */
  private stopSending: ((reason?: StreampathError) => void) | undefined;
  private finished = false;

  constructor(
    private readonly connection: Connection,
    private readonly path: string,
    private readonly requests: AsyncIterable<I>,
    private readonly options: CallOptions,
  ) {
    const parents = [connection.closing, ...(options.signal ? [options.signal] : [])];
    const deadline = deadlineSignal(options.timeoutMs, AbortSignal.any(parents));
    this.signal = deadline.signal;
    this.dispose = deadline.dispose;
    this.signal.addEventListener("abort", () => this.abort(StreampathError.from(this.signal.reason, Code.Canceled)), { once: true });
  }

  next(): Promise<IteratorResult<O>> {
    if (this.inbox) return this.inbox.next();
    if (this.finished) return Promise.resolve(DONE);
    if (this.signal.aborted) {
      this.finished = true;
      return Promise.reject(StreampathError.from(this.signal.reason, Code.Canceled));
    }
    this.inbox = this.open();
    return this.inbox.next();
  }

  /** The caller stopped reading (break out of for-await): the worker's handler is canceled. */
  return(): Promise<IteratorResult<O>> {
    this.abort(new StreampathError(Code.Canceled, "the caller stopped reading"));
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<O> {
    return this;
  }

  private open(): Inbox<O> {
    const { connection, id } = this;
    const base = { [BRIDGE_TAG]: "open", id, path: this.path, headers: this.options.headers, ...connection.limits } as const;
    const message = (): OpenMessage => {
      const timeoutMs = this.options.timeoutMs === undefined ? undefined : Math.max(0, this.options.timeoutMs - (Date.now() - this.started));
      return timeoutMs === undefined ? { ...base } : { ...base, timeoutMs };
    };
    let inbox: Inbox<O>;
    if (connection.mode === "streams") {
      const out = outgoingStream(this.requests, connection.limits, () => undefined);
      this.stopSending = (reason) => out.stop(reason && toWire(reason));
      inbox = new Inbox(streamSource(connection.reply(id) as Promise<ReadableStream<Packet<O>>>), connection.limits.maxBatch);
      connection.whenReady(() => {
        if (!this.finished) connection.endpoint.postMessage({ ...message(), requests: out.stream }, [out.stream as unknown as Transferable]);
      });
    } else {
      const channel = new MessageChannel();
      const link = new PortLink<O, I>(channel.port1, connection.limits, () => undefined);
      link.send(this.requests);
      this.stopSending = (reason) => (reason ? link.close() : undefined);
      inbox = link.inbox;
      connection.whenReady(() => {
        if (!this.finished) connection.endpoint.postMessage({ ...message(), port: channel.port2 }, [channel.port2]);
      });
    }
    inbox.onFinish = () => this.complete();
    return inbox;
  }

  /** Ends the call with `reason`: a waiting read throws it, and the worker's handler is canceled. */
  private abort(reason: StreampathError): void {
    if (this.finished) return;
    if (this.inbox) this.inbox.fail(reason);
    this.complete(reason);
  }

  private complete(reason?: StreampathError): void {
    if (this.finished) return;
    this.finished = true;
    this.dispose();
    this.connection.forget(this.id);
    this.stopSending?.(reason);
  }
}
