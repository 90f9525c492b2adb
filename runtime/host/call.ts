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

/** A request body as readRequests takes it: an HTTP/2 stream or an HTTP/1.1 request. */
export interface RequestBody {
  /** Read by its `data` events; paused while the handler is behind, which pushes back on the client. */
  readonly readable: Readable;
  /** What each chunk carries, when that is not the chunk itself (gRPC-Web's base64); `end` throws if the body was cut short. */
  readonly decode?: { chunk(chunk: Uint8Array): Uint8Array[]; end(): void };
  /** The client reset or disconnected before the body ended. */
  wasReset(): boolean;
}

/** The body of a Node stream (HTTP/2 stream or HTTP/1.1 request). */
export function bodyOf(readable: Readable, wasReset: () => boolean): RequestBody {
  return { readable, wasReset };
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
  const channel = new Channel<I[]>(REQUEST_BATCHES);
  const decoder = new EnvelopeDecoder({ maxMessageBytes });
  const { readable } = body;
  /** The channel is closed or failed: what still arrives is drained unread. */
  let over = false;
  /** The body's end arrived (it may wait for `busy`). */
  let ended = false;
  /** The work of `later` under way: the end waits for it (a paused stream still ends once its last chunk is out). */
  let busy: Promise<void> | undefined;
  const fail = (error: unknown) => {
    if (over) return;
    over = true;
    readable.resume(); // let the client finish sending; nobody reads it
    if (!signal.aborted || error instanceof StreampathError) channel.fail(error);
    else channel.fail(signal.reason);
  };
  /** Messages of chunks that need awaiting (inflating, or a full channel), in order: reading waits for them. */
  const later = async (batch: I[], compressed: { flags: number; bytes: Uint8Array }[] | undefined) => {
    for (const { flags, bytes } of compressed ?? []) {
      const plain = flags & EnvelopeFlag.Compressed ? await decompress(encoding!, bytes, maxMessageBytes, signal) : bytes;
      batch.push(serialization.decode(plain, 0, plain.length));
    }
    if (batch.length > 0) await channel.send(batch);
  };
  const onData = (data: Uint8Array) => {
    if (over) return;
    const batch: I[] = [];
    // Compressed messages are copied out (the chunk is only valid inside each) and inflated after.
    let compressed: { flags: number; bytes: Uint8Array }[] | undefined;
    const visit: EnvelopeVisitor = (flags, bytes, start, end) => {
      if (flags & EnvelopeFlag.Compressed || compressed) {
        if (!encoding && flags & EnvelopeFlag.Compressed) {
          throw new StreampathError(Code.Internal, "a message is flagged compressed but the call named no encoding");
        }
        (compressed ??= []).push({ flags, bytes: bytes.slice(start, end) });
      } else batch.push(serialization.decode(bytes, start, end));
    };
    try {
      if (body.decode) for (const chunk of body.decode.chunk(data)) decoder.each(chunk, visit);
      else decoder.each(data, visit);
    } catch (error) {
      return fail(error);
    }
    if (!compressed && (batch.length === 0 || channel.offer(batch))) return;
    readable.pause();
    busy = later(batch, compressed).then(() => {
      busy = undefined;
      if (!over) readable.resume();
    }, fail);
  };
  readable.on("data", onData);
  readable.once("end", () => {
    ended = true;
    if (busy) void busy.then(finish);
    else finish();
  });
  const finish = () => {
    if (over) return;
    try {
      if (body.wasReset()) throw new StreampathError(Code.Canceled, "the client reset the stream");
      body.decode?.end();
      decoder.end();
    } catch (error) {
      return fail(error);
    }
    over = true;
    channel.close();
  };
  readable.once("error", fail);
  // Closed before its end: reset by the client, or its connection lost.
  readable.once("close", () => ended || fail(new StreampathError(Code.Canceled, "the client reset the stream")));
  return { [Symbol.asyncIterator]: () => flatten(channel[Symbol.asyncIterator]()) };
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

async function* once<T>(value: Promise<T> | T): AsyncGenerator<T> {
  yield await value;
}

/**
 * Runs a handler of any kind as "requests in, responses out". Streaming
 * handlers' iterables are returned as they are: every wrapper would cost an
 * await per message.
 */
export function invoke<I, O>(
  method: MethodDescriptor<I, O>,
  handler: (...args: any[]) => unknown,
  requests: AsyncIterable<I>,
  context: HandlerContext,
): AsyncIterable<O> {
  switch (method.kind) {
    case "unary":
      return once(single(requests, "unary").then((request) => handler(request, context) as Promise<O> | O));
    case "server_streaming":
      return (async function* () {
        yield* handler(await single(requests, "server-streaming"), context) as AsyncIterable<O>;
      })();
    case "client_streaming":
      return once(handler(requests, context) as Promise<O> | O);
    case "bidi_streaming":
      return handler(requests, context) as AsyncIterable<O>;
  }
}
