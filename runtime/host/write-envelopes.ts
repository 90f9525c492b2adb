/**
 * Writes messages as envelopes (responses on the host, requests on a link).
 * The first message of a turn of the event loop goes out at once (on a
 * microtask), those produced after it in the same turn in one write (by
 * setImmediate, or at FLUSH_BYTES): see batch.ts `firstThisTurn`. The producer is not
 * pulled again while HTTP/2 wants us to wait (`drain`). `beforeFirst` runs
 * once before any byte is written (gRPC sends headers then). When `signal`
 * aborts, writing stops at once with its reason, even if the producer is
 * stuck inside `next()`, and the producer is told to finish. `source` may be
 * the promise of an iterable (a server-streaming handler's, which exists once
 * its one request has come).
 *
 * A class driven by its producer's promises rather than an async function
 * racing the signal: an open call holds one object and three closures (a
 * fourth at its first back-pressure), not two suspended async frames, a race
 * promise and their reactions (about 1 KiB a call, bench:memory).
 */
import type { Writable } from "node:stream";
import { BatchFlusher, FLUSH_BYTES, MessageBatch, firstThisTurn } from "../core/batch.js";
import { Code, StreampathError } from "../core/error.js";
import type { BinaryWriter } from "../core/writer.js";

export function writeEnvelopes<O>(
  stream: Writable,
  source: AsyncIterable<O> | Promise<AsyncIterable<O>>,
  codec: { write(message: O, w: BinaryWriter): void },
  beforeFirst: () => void,
  signal?: AbortSignal,
  encodeChunk?: (chunk: Uint8Array) => Uint8Array | string,
): Promise<void> {
  return new Promise<void>((done, fail) => {
    new EnvelopeWriter(stream, codec, { beforeFirst, done, fail }, signal, encodeChunk).start(source);
  });
}

/** Who hears of a writer's progress: an object's methods, so a call can be one with no closures. */
export interface EnvelopeSink {
  /** Once, before any byte is written. */
  beforeFirst(): void;
  /** The source ended and all it made went out. */
  done(): void;
  /** The source, the writing or the signal failed (with the signal's reason when it aborted). */
  fail(error: unknown): void;
}

/** writeEnvelopes with the outcome told to `sink`, not a promise. */
export function startEnvelopes<O>(
  stream: Writable,
  source: AsyncIterable<O> | Promise<AsyncIterable<O>>,
  codec: { write(message: O, w: BinaryWriter): void },
  sink: EnvelopeSink,
  signal?: AbortSignal,
): void {
  new EnvelopeWriter(stream, codec, sink, signal, undefined).start(source);
}

class EnvelopeWriter<O> extends BatchFlusher {
  private readonly batch = new MessageBatch(true);
  /** The producer's iterator; undefined until a promised source has come. */
  private iterator: AsyncIterator<O> | undefined;
  private started = false;
  /** A write was refused: waiting for `drain` (or the stream's close). */
  private draining = false;
  /** The producer is not pulled again until the drain. */
  private parked = false;
  private settled = false;

  constructor(
    private readonly stream: Writable,
    private readonly codec: { write(message: O, w: BinaryWriter): void },
    private readonly sink: EnvelopeSink,
    private readonly signal: AbortSignal | undefined,
    private readonly encodeChunk: ((chunk: Uint8Array) => Uint8Array | string) | undefined,
  ) {
    // A lone message at once; the rest of its turn in one write on the next task, or at FLUSH_BYTES.
    super(FLUSH_BYTES, firstThisTurn);
  }

  start(source: AsyncIterable<O> | Promise<AsyncIterable<O>>): void {
    if (this.signal) {
      if (this.signal.aborted) this.handleEvent();
      // One listener for the whole call, not a race per message.
      else this.signal.addEventListener("abort", this, { once: true });
    }
    if (source instanceof Promise) source.then((iterable) => this.begin(iterable), this.onError);
    else this.begin(source);
  }

  private begin(source: AsyncIterable<O>): void {
    try {
      this.iterator = source[Symbol.asyncIterator]();
    } catch (error) {
      return this.onError(error);
    }
    // Ended (aborted) before the source came: it is told to finish, never pulled.
    if (this.settled) return this.stopProducer();
    this.pull();
  }

  /** The signal aborted (this object is its listener): the call ends now, whatever the producer does. */
  handleEvent(): void {
    if (this.settled) return;
    this.settled = true;
    this.sink.fail(this.signal!.reason);
    this.stopProducer();
  }

  private pull(): void {
    let next: Promise<IteratorResult<O>>;
    try {
      next = this.iterator!.next();
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
        this.sink.beforeFirst();
      }
      this.batch.add(this.codec, result.value);
      this.notify();
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

  protected pendingBytes(): number {
    return this.batch.bytes;
  }

  protected flush(): void {
    const chunk = this.batch.take();
    const stream = this.stream;
    if (!chunk || stream.destroyed || stream.writableEnded) return;
    // A big batch's buffer is filled again once written (a chunk compressed or re-encoded is another buffer).
    const written = this.batch.lastLent && !this.encodeChunk ? (error?: Error | null) => error || this.batch.recycle(chunk) : undefined;
    if (!stream.write(this.encodeChunk ? this.encodeChunk(chunk) : chunk, written) && !this.draining) {
      this.draining = true;
      // Made at the first refused write: most calls never meet back-pressure.
      const onDrain = (this.onDrain ??= () => this.drained());
      stream.on("drain", onDrain);
      stream.on("close", onDrain);
    }
  }

  private onDrain: (() => void) | undefined;

  private drained(): void {
    this.stream.off("drain", this.onDrain!);
    this.stream.off("close", this.onDrain!);
    this.draining = false;
    if (!this.parked || this.settled) return;
    this.parked = false;
    this.resume();
  }

  private complete(): void {
    this.settled = true;
    this.signal?.removeEventListener("abort", this);
    try {
      if (!this.started) this.sink.beforeFirst();
      this.flushNow();
    } catch (error) {
      return this.sink.fail(error);
    }
    this.sink.done();
  }

  private fail(error: unknown): void {
    this.settled = true;
    this.signal?.removeEventListener("abort", this);
    try {
      this.flushNow(); // what the producer made before it failed goes out before the status
    } catch {
      // the producer's failure is the call's; this runs in a promise reaction, which must not throw
    }
    this.sink.fail(error);
    this.stopProducer();
  }

  /** Tells an unfinished producer to finish (its finally blocks run), without waiting on it. */
  private stopProducer(): void {
    try {
      void this.iterator?.return?.()?.catch?.(() => undefined);
    } catch {
      // a producer whose return() throws has finished all the same
    }
  }
}
