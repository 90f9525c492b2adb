/**
 * One call on the host, whatever the protocol: requests read from the HTTP/2
 * stream into a bounded channel only as fast as the handler takes them, the
 * handler run by its kind, and responses pulled from it only as fast as
 * HTTP/2 flow control lets bytes out, many envelopes per write.
 */
import type { Http2Stream, ServerHttp2Stream } from "node:http2";
import { EnvelopeBatch } from "../core/batch.js";
import { Channel } from "../core/channel.js";
import { EnvelopeDecoder, EnvelopeFlag } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import type { MessageCodec } from "../core/message.js";
import type { HandlerContext, MethodDescriptor } from "./service.js";

/** How many decoded requests may wait for the handler. */
const REQUEST_QUEUE = 16;
/** A batch this big is written at once instead of waiting for the producer to pause. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Decodes the request body into messages. Reading stops (and HTTP/2 flow
 * control pushes back on the client) while the channel is full.
 */
export function readRequests<I>(
  stream: ServerHttp2Stream,
  codec: MessageCodec<I>,
  maxMessageBytes: number,
  signal: AbortSignal,
): Channel<I> {
  const channel = new Channel<I>(REQUEST_QUEUE);
  const decoder = new EnvelopeDecoder({ maxMessageBytes });
  void (async () => {
    try {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        for (const envelope of decoder.decode(chunk)) {
          if (envelope.flags & EnvelopeFlag.Compressed) {
            throw new StreampathError(Code.Internal, "compressed messages are not supported (send grpc-encoding identity)");
          }
          let message: I;
          try {
            message = codec.decode(envelope.data);
          } catch (error) {
            throw new StreampathError(Code.InvalidArgument, `cannot decode ${codec.typeName}: ${(error as Error).message}`);
          }
          await channel.send(message);
        }
      }
      decoder.end();
      channel.close();
    } catch (error) {
      if (!signal.aborted || error instanceof StreampathError) channel.fail(error);
      else channel.fail(signal.reason);
    }
  })();
  return channel;
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

/** Runs a handler of any kind as "requests in, responses out". */
export async function* invoke<I, O>(
  method: MethodDescriptor<I, O>,
  handler: (...args: any[]) => unknown,
  requests: AsyncIterable<I>,
  context: HandlerContext,
): AsyncGenerator<O> {
  switch (method.kind) {
    case "unary":
      yield (await handler(await single(requests, "unary"), context)) as O;
      return;
    case "server_streaming":
      yield* handler(await single(requests, "server-streaming"), context) as AsyncIterable<O>;
      return;
    case "client_streaming":
      yield (await handler(requests, context)) as O;
      return;
    case "bidi_streaming":
      yield* handler(requests, context) as AsyncIterable<O>;
  }
}

/**
 * Writes messages as envelopes (responses on the host, requests on a link).
 * Messages produced in one turn of the event loop go out in one write
 * (flushed by setImmediate, or at FLUSH_BYTES), and the producer is not
 * pulled again while HTTP/2 wants us to wait (`drain`). `beforeFirst` runs
 * once before any byte is written (gRPC sends headers then).
 */
export async function writeEnvelopes<O>(
  stream: Http2Stream,
  responses: AsyncIterable<O>,
  codec: MessageCodec<O>,
  beforeFirst: () => void,
): Promise<void> {
  const batch = new EnvelopeBatch();
  let started = false;
  let scheduled = false;
  let waiting: Promise<void> | undefined;
  const flush = () => {
    scheduled = false;
    const chunk = batch.take();
    if (!chunk || stream.destroyed) return;
    if (!stream.write(chunk)) {
      waiting ??= new Promise<void>((resolve) => {
        const done = () => {
          stream.off("drain", done);
          stream.off("close", done);
          waiting = undefined;
          resolve();
        };
        stream.on("drain", done);
        stream.on("close", done);
      });
    }
  };
  for await (const message of responses) {
    if (!started) {
      started = true;
      beforeFirst();
    }
    batch.add(0, codec.encode(message));
    if (batch.bytes >= FLUSH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    if (waiting) await waiting;
    if (stream.destroyed) throw new StreampathError(Code.Canceled, "the client went away");
  }
  if (!started) beforeFirst();
  flush();
}
