/**
 * Writes messages as envelopes (responses on the host, requests on a link).
 * Messages produced in one turn of the event loop go out in one write
 * (flushed by setImmediate, or at FLUSH_BYTES), and the producer is not
 * pulled again while HTTP/2 wants us to wait (`drain`). `beforeFirst` runs
 * once before any byte is written (gRPC sends headers then). When `signal`
 * aborts, writing stops at once with its reason, even if the producer is
 * stuck inside `next()`, and the producer is told to finish.
 *
 * A class driven by its producer's promises rather than an async function
 * racing the signal: an open call holds one object and three closures, not
 * two suspended async frames, a race promise and their reactions (about
 * 1 KiB a call, bench:memory).
 */
import type { Writable } from "node:stream";
import { FLUSH_BYTES, Flusher, MessageBatch, nextTask } from "../core/batch.js";
import { Code, StreampathError } from "../core/error.js";
import type { BinaryWriter } from "../core/writer.js";

export function writeEnvelopes<O>(
  stream: Writable,
  source: AsyncIterable<O>,
  codec: { write(message: O, w: BinaryWriter): void },
  beforeFirst: () => void,
  signal?: AbortSignal,
  encodeChunk?: (chunk: Uint8Array) => Uint8Array | string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const writer = new EnvelopeWriter(stream, source[Symbol.asyncIterator](), codec, beforeFirst, signal, encodeChunk, resolve, reject);
    writer.start();
  });
}

class EnvelopeWriter<O> {
  private readonly batch = new MessageBatch();
  private readonly flusher: Flusher;
  private started = false;
  /** A write was refused: waiting for `drain` (or the stream's close). */
  private draining = false;
  /** The producer is not pulled again until the drain. */
  private parked = false;
  private settled = false;

  constructor(
    private readonly stream: Writable,
    private readonly iterator: AsyncIterator<O>,
    private readonly codec: { write(message: O, w: BinaryWriter): void },
    private readonly beforeFirst: () => void,
    private readonly signal: AbortSignal | undefined,
    private readonly encodeChunk: ((chunk: Uint8Array) => Uint8Array | string) | undefined,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.flusher = new Flusher(() => this.flush(), { maxBytes: FLUSH_BYTES, pending: () => this.batch.bytes, schedule: nextTask });
  }

  start(): void {
    if (this.signal) {
      if (this.signal.aborted) return this.handleEvent();
      // One listener for the whole call, not a race per message.
      this.signal.addEventListener("abort", this, { once: true });
    }
    this.pull();
  }

  /** The signal aborted (this object is its listener): the call ends now, whatever the producer does. */
  handleEvent(): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(this.signal!.reason);
    this.stopProducer();
  }

  private pull(): void {
    let next: Promise<IteratorResult<O>>;
    try {
      next = this.iterator.next();
    } catch (error) {
      return this.fail(error);
    }
    next.then(this.onNext, this.onError);
  }

  private readonly onNext = (result: IteratorResult<O>): void => {
    if (this.settled) return;
    if (result.done) return this.complete();
    try {
      if (!this.started) {
        this.started = true;
        this.beforeFirst();
      }
      this.batch.add(this.codec, result.value);
      this.flusher.notify();
    } catch (error) {
      return this.fail(error);
    }
    if (this.draining) this.parked = true;
    else this.resume();
  };

  private readonly onError = (error: unknown): void => {
    if (!this.settled) this.fail(error);
  };

  private resume(): void {
    if (this.stream.destroyed) return this.fail(new StreampathError(Code.Canceled, "the peer went away"));
    this.pull();
  }

  private flush(): void {
    const chunk = this.batch.take();
    const stream = this.stream;
    if (!chunk || stream.destroyed || stream.writableEnded) return;
    if (!stream.write(this.encodeChunk ? this.encodeChunk(chunk) : chunk) && !this.draining) {
      this.draining = true;
      stream.on("drain", this.onDrain);
      stream.on("close", this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.stream.off("drain", this.onDrain);
    this.stream.off("close", this.onDrain);
    this.draining = false;
    if (!this.parked || this.settled) return;
    this.parked = false;
    this.resume();
  };

  private complete(): void {
    this.settled = true;
    this.signal?.removeEventListener("abort", this);
    try {
      if (!this.started) this.beforeFirst();
      this.flusher.flushNow();
    } catch (error) {
      return this.reject(error);
    }
    this.resolve();
  }

  private fail(error: unknown): void {
    this.settled = true;
    this.signal?.removeEventListener("abort", this);
    try {
      this.flusher.flushNow(); // what the producer made before it failed goes out before the status
    } catch {
      // the producer's failure is the call's; this runs in a promise reaction, which must not throw
    }
    this.reject(error);
    this.stopProducer();
  }

  /** Tells an unfinished producer to finish (its finally blocks run), without waiting on it. */
  private stopProducer(): void {
    try {
      void this.iterator.return?.()?.catch?.(() => undefined);
    } catch {
      // a producer whose return() throws has finished all the same
    }
  }
}
