/**
 * One call on the host, whatever the protocol: requests read from the HTTP/2
 * stream into a bounded channel only as fast as the handler takes them, the
 * handler run by its kind; its responses are written by write-envelopes.ts.
 */
import type { Readable } from "node:stream";
import { Channel } from "../core/channel.js";
import { EnvelopeDecoder, EnvelopeFlag, type EnvelopeVisitor } from "../core/envelope.js";
import { flatten } from "../core/flatten.js";
import { Code, StreampathError } from "../core/error.js";
import { type Encoding, decompress } from "./compression.js";
import type { Serialization } from "./serialization.js";
import type { HandlerContext, MethodDescriptor } from "./service.js";

/**
 * How many chunks' worth of decoded requests may wait for the handler. A
 * chunk is one HTTP/2 DATA frame (at most 16 KiB unless the client raised
 * SETTINGS_MAX_FRAME_SIZE), so this bounds memory in bytes as well.
 */
const REQUEST_BATCHES = 4;

/** A request body as readRequests takes it; an Exchange is one (its stream or HTTP/1.1 request). */
export interface RequestBody {
  /** Read by its `data` events; paused while the handler is behind, which pushes back on the client. */
  readonly body: Readable;
  /** What each chunk carries, when that is not the chunk itself (gRPC-Web's base64); `end` throws if the body was cut short. */
  readonly decode?: { chunk(chunk: Uint8Array): Uint8Array[]; end(): void };
  /** The client reset or disconnected before the body ended. */
  wasReset(): boolean;
}

/**
 * Decodes the request body into messages, handed to the handler a chunk at
 * a time (see flatten). Reading stops, and HTTP/2 flow control pushes back on
 * the client, while REQUEST_BATCHES chunks wait for the handler. With an
 * `encoding`, messages flagged compressed are inflated (each at most
 * `maxMessageBytes`); without one, such a message is a protocol error.
 *
 * Driven by the stream's events rather than its async iterator: a chunk whose
 * messages fit is decoded and queued in its `data` event, with no promise,
 * and an idle call holds no iterator, generator or end-of-stream listeners
 * (about 1.5 KiB a call, bench:memory). Each chunk is read as it came; the
 * iterator's `read()` joins whatever is buffered into one copy.
 */
export function readRequests<I>(
  body: RequestBody,
  serialization: Serialization<I>,
  maxMessageBytes: number,
  signal: AbortSignal,
  encoding?: Encoding,
): AsyncIterable<I> {
  return new RequestReader(body, serialization, maxMessageBytes, signal, encoding);
}

/**
 * readRequests' state and listeners as one object (four closures for the
 * stream's events), not a dozen closures over a shared scope.
 */
class RequestReader<I> implements AsyncIterable<I> {
  private readonly channel = new Channel<I[]>(REQUEST_BATCHES);
  private readonly decoder: EnvelopeDecoder;
  /** The channel is closed or failed: what still arrives is drained unread. */
  private over = false;
  /** The body's end arrived (it may wait for `busy`). */
  private ended = false;
  /** The work of `later` under way: the end waits for it (a paused stream still ends once its last chunk is out). */
  private busy: Promise<void> | undefined;

  constructor(
    private readonly source: RequestBody,
    private readonly serialization: Serialization<I>,
    private readonly maxMessageBytes: number,
    private readonly signal: AbortSignal,
    private readonly encoding: Encoding | undefined,
  ) {
    this.decoder = new EnvelopeDecoder({ maxMessageBytes });
    const readable = source.body;
    // `on`, not `once`: each `once` wraps its listener in a bound function and a state object.
    readable.on("data", this.onData);
    readable.on("end", this.onEnd);
    readable.on("error", this.fail);
    readable.on("close", this.onClose);
  }

  [Symbol.asyncIterator](): AsyncIterator<I> {
    return flatten(this.channel[Symbol.asyncIterator]());
  }

  private readonly fail = (error: unknown): void => {
    if (this.over) return;
    this.over = true;
    this.detach();
    this.source.body.resume(); // let the client finish sending; nobody reads it
    if (!this.signal.aborted || error instanceof StreampathError) this.channel.fail(error);
    else this.channel.fail(this.signal.reason);
  };

  private readonly onData = (data: Uint8Array): void => {
    if (this.over) return;
    const batch: I[] = [];
    // Compressed messages are copied out (the chunk is only valid inside each) and inflated after.
    let compressed: { flags: number; bytes: Uint8Array }[] | undefined;
    const visit: EnvelopeVisitor = (flags, bytes, start, end, owned) => {
      if (flags & EnvelopeFlag.Compressed || compressed) {
        if (!this.encoding && flags & EnvelopeFlag.Compressed) {
          throw new StreampathError(Code.Internal, "a message is flagged compressed but the call named no encoding");
        }
        (compressed ??= []).push({ flags, bytes: bytes.slice(start, end) });
      } else batch.push(this.serialization.decode(bytes, start, end, owned));
    };
    try {
      const { decode } = this.source;
      if (decode) for (const chunk of decode.chunk(data)) this.decoder.each(chunk, visit);
      else this.decoder.each(data, visit);
    } catch (error) {
      return this.fail(error);
    }
    if (!compressed && (batch.length === 0 || this.channel.offer(batch))) return;
    const readable = this.source.body;
    readable.pause();
    this.busy = this.later(batch, compressed).then(() => {
      this.busy = undefined;
      if (!this.over) readable.resume();
    }, this.fail);
  };

  /** Messages of chunks that need awaiting (inflating, or a full channel), in order: reading waits for them. */
  private async later(batch: I[], compressed: { flags: number; bytes: Uint8Array }[] | undefined): Promise<void> {
    for (const { flags, bytes } of compressed ?? []) {
      const plain = flags & EnvelopeFlag.Compressed ? await decompress(this.encoding!, bytes, this.maxMessageBytes, this.signal) : bytes;
      batch.push(this.serialization.decode(plain, 0, plain.length));
    }
    if (batch.length > 0) await this.channel.send(batch);
  }

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.busy) void this.busy.then(() => this.finish());
    else this.finish();
  };

  // Closed before its end: reset by the client, or its connection lost.
  private readonly onClose = (): void => {
    if (!this.ended) this.fail(new StreampathError(Code.Canceled, "the client reset the stream"));
  };

  private finish(): void {
    if (this.over) return;
    try {
      if (this.source.wasReset()) throw new StreampathError(Code.Canceled, "the client reset the stream");
      this.source.decode?.end();
      this.decoder.end();
    } catch (error) {
      return this.fail(error);
    }
    this.over = true;
    this.detach();
    this.channel.close();
  }

  /** Once the body is read or failed, the stream no longer holds the reader (a watch outlives its request by far). */
  private detach(): void {
    const readable = this.source.body;
    readable.off("data", this.onData);
    readable.off("end", this.onEnd);
    readable.off("error", this.fail);
    readable.off("close", this.onClose);
  }
}

/** The single request of a unary or server-streaming call. */
async function single<I>(requests: AsyncIterable<I>, kind: string): Promise<I> {
  let first: { value: I } | undefined;
  for await (const request of requests) {
    if (first) throw new StreampathError(Code.Unimplemented, `a ${kind} call takes one request message, got more`);
    first = { value: request };
  }
  if (!first) throw new StreampathError(Code.Unimplemented, `a ${kind} call takes one request message, got none`);
  return first.value;
}

/** Settles with `promise`, or rejects with the abort reason as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * The one response of a unary or client-streaming handler as an async
 * iterator: a small object, not an async generator (a generator, its
 * register file and a pending request for as long as the handler runs).
 */
class OneResponse<T> implements AsyncIterator<T> {
  private value: Promise<T> | undefined;

  constructor(value: Promise<T>) {
    this.value = value;
    value.catch(ignore); // rejected before anyone asked (the call was aborted first): not unhandled
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.value;
    if (value === undefined) return Promise.resolve({ done: true, value: undefined });
    this.value = undefined;
    return value.then(oneResult);
  }

  return(): Promise<IteratorResult<T>> {
    this.value = undefined;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}

const ignore = (): void => undefined;

/** Calls `run` now; what it returns or throws, as a promise. */
export function settle<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}
const oneResult = <T>(value: T): IteratorResult<T> => ({ done: false, value });

/**
 * Runs a handler of any kind as "requests in, responses out". Streaming
 * handlers' iterables are returned as they are: every wrapper would cost an
 * await per message, and memory for as long as the call is open. A
 * server-streaming handler's iterable comes once its one request has: the
 * promise of it, which writeEnvelopes takes as well.
 */
export function invoke<I, O>(
  method: MethodDescriptor<I, O>,
  handler: (...args: any[]) => unknown,
  requests: AsyncIterable<I>,
  context: HandlerContext,
): AsyncIterable<O> | Promise<AsyncIterable<O>> {
  switch (method.kind) {
    case "unary":
      return new OneResponse(single(requests, "unary").then((request) => handler(request, context) as Promise<O> | O));
    case "server_streaming":
      return single(requests, "server-streaming").then((request) => handler(request, context) as AsyncIterable<O>);
    case "client_streaming":
      return new OneResponse(settle(() => handler(requests, context) as Promise<O> | O));
    case "bidi_streaming":
      return handler(requests, context) as AsyncIterable<O>;
  }
}
