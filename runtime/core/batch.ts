/**
 * Write batching. Every write to a stream (an HTTP/2 DATA frame, a fetch
 * body chunk) has a fixed cost that dominates small messages, so envelopes
 * produced in one tick are gathered into one buffer and written as one chunk.
 */
import { giveBuffer, takeBuffer } from "./buffer-pool.js";
import { copyBytes } from "./bytes.js";
import { ENVELOPE_HEADER_BYTES, readLength, writeEnvelopeHeader } from "./envelope.js";
import { Code, StreampathError } from "./error.js";
import { BinaryWriter } from "./writer.js";

const DEFAULT_INITIAL_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * Envelopes written header and payload in place into one growing buffer,
 * with no allocation per envelope; `take()` hands them out as one chunk.
 */
export class EnvelopeBatch {
  private readonly initialBytes: number;
  /** Allocated on first use, so an idle stream holds no buffer. */
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private n = 0;

  constructor(options?: { initialBytes?: number }) {
    const initial = options?.initialBytes ?? DEFAULT_INITIAL_BYTES;
    if (!Number.isInteger(initial) || initial < 1) {
      throw new StreampathError(Code.InvalidArgument, `initialBytes must be a positive integer, got ${initial}`);
    }
    this.initialBytes = initial;
  }

  /** Bytes waiting to be taken, headers included. */
  get bytes(): number {
    return this.pos;
  }

  /** Envelopes waiting to be taken. */
  get count(): number {
    return this.n;
  }

  /** Appends one envelope. `data` is copied, so the caller may reuse it at once. */
  add(flags: number, data: Uint8Array): void {
    this.ensure(ENVELOPE_HEADER_BYTES + data.length);
    writeEnvelopeHeader(this.buf, this.pos, flags, data.length);
    this.buf.set(data, this.pos + ENVELOPE_HEADER_BYTES);
    this.pos += ENVELOPE_HEADER_BYTES + data.length;
    this.n++;
  }

  /**
   * Appends one envelope that is already encoded (from `encodeEnvelope`, or
   * kept in a replay window), checking that it is exactly one envelope.
   */
  addEncoded(envelope: Uint8Array): void {
    const length = envelope.length >= ENVELOPE_HEADER_BYTES ? readLength(envelope, 1) : -1;
    if (length !== envelope.length - ENVELOPE_HEADER_BYTES) {
      throw new StreampathError(
        Code.Internal,
        `not one whole envelope: ${envelope.length} bytes` +
          (length < 0 ? "" : `, its header declares ${length} payload bytes`),
      );
    }
    this.ensure(envelope.length);
    this.buf.set(envelope, this.pos);
    this.pos += envelope.length;
    this.n++;
  }

  /**
   * Everything added since the last take, as one chunk the batch never
   * touches again, or `undefined` if nothing was added. Small batches are
   * copied out and the buffer reused; a buffer that grew past `initialBytes`
   * is handed over as it is (no copy) and the next add starts a fresh one, so
   * one burst does not pin a large buffer to a stream for its lifetime.
   */
  take(): Uint8Array | undefined {
    if (this.n === 0) return undefined;
    let out: Uint8Array;
    if (this.buf.length > this.initialBytes) {
      out = this.buf.subarray(0, this.pos);
      this.buf = EMPTY;
    } else {
      out = copyBytes(this.buf, 0, this.pos);
    }
    this.pos = 0;
    this.n = 0;
    return out;
  }

  /** Makes room for `extra` more bytes, doubling so appends stay amortized O(1). */
  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, this.initialBytes);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

/** Batches are written once they reach this size, without waiting for their scheduled flush. */
export const FLUSH_BYTES = 64 * 1024;

/** Where a Flusher runs its scheduled flush. */
export type Schedule = (run: () => void) => void;

/**
 * A macrotask: Node's setImmediate, else a message on a MessageChannel
 * (browsers and workers), else setTimeout(0). Later than a microtask, so a
 * producer that awaits between messages (an async generator, a channel)
 * still fills one chunk. Not setTimeout where avoidable: browsers clamp
 * nested timers to 4 ms, which would put 4 ms into every round trip.
 */
export const nextTask: Schedule =
  typeof setImmediate === "function"
    ? (run) => void setImmediate(run)
    : typeof MessageChannel === "function"
      ? messageChannelTask()
      : (run) => void setTimeout(run, 0);

/**
 * The first flush scheduled in an event-loop turn runs on a microtask, any
 * other on the next task. A lone message (a ping, an answer) leaves at
 * once instead of a loop iteration later (bench:host ping-pong); a burst
 * still leaves in two writes a turn, the first message and then the rest.
 */
export const firstThisTurn: Schedule = (() => {
  if (typeof setImmediate !== "function") return nextTask;
  let flushedThisTurn = false;
  const endTurn = (): void => void (flushedThisTurn = false);
  return (run) => {
    if (flushedThisTurn) return void setImmediate(run);
    flushedThisTurn = true;
    setImmediate(endTurn);
    queueMicrotask(run);
  };
})();

function messageChannelTask(): Schedule {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (run) => {
    queue.push(run);
    channel.port2.postMessage(null);
  };
}

export interface FlusherOptions {
  /** Flush at once when `pending()` reaches this many bytes. */
  maxBytes: number;
  pending: () => number;
  /** Default: a microtask. */
  schedule?: Schedule;
}

/**
 * Decides when a batch is written: once, on the schedule (a microtask by
 * default) after the first `notify()`, so everything produced meanwhile goes
 * out in one write; or at once when `pending()` reaches `maxBytes`, so a
 * burst never builds up an unbounded batch. `flush` must handle its own
 * errors: one thrown from the scheduled run would be an uncaught exception.
 */
export abstract class BatchFlusher {
  private scheduled = false;

  constructor(
    private readonly maxBytes: number,
    private readonly schedule: Schedule = queueMicrotask,
  ) {}

  /** Writes what is pending. */
  protected abstract flush(): void;
  /** Bytes pending, compared with `maxBytes`. */
  protected abstract pendingBytes(): number;

  /** Call after adding to the batch. */
  notify(): void {
    if (this.pendingBytes() >= this.maxBytes) {
      this.flushNow();
    } else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.onScheduled);
    }
  }

  /** Flushes at once (before ending a stream, say); the scheduled flush is dropped. */
  flushNow(): void {
    this.scheduled = false;
    this.flush();
  }

  /** Drops a scheduled flush, for a stream that is gone. */
  cancel(): void {
    this.scheduled = false;
  }

  // A stale run, scheduled before a flushNow(), finds `scheduled` false
  // and does nothing, unless a later notify() re-armed it: either way one flush.
  private readonly onScheduled = (): void => {
    if (!this.scheduled) return;
    this.scheduled = false;
    this.flush();
  };
}

/**
 * A BatchFlusher given its flush and pending as functions. Classes that
 * write batches for as long as a call is open extend BatchFlusher instead:
 * no flusher object and two closures per call.
 */
export class Flusher extends BatchFlusher {
  private readonly flushBatch: () => void;
  private readonly pending: () => number;

  constructor(flush: () => void, options: FlusherOptions) {
    super(options.maxBytes, options.schedule);
    this.flushBatch = flush;
    this.pending = options.pending;
  }

  protected flush(): void {
    this.flushBatch();
  }

  protected pendingBytes(): number {
    return this.pending();
  }
}

/**
 * Messages encoded straight into one buffer as envelopes: no per-message
 * allocation or copy (a codec's `encode` would make one, and `add` another);
 * `take()` copies the batch out once, or with `handOver` hands a big one over
 * as it is.
 */
export class MessageBatch {
  /** Made at the first add, so an idle stream (a pair waiting, a watch with nothing new) holds no 16 KiB. */
  private w: BinaryWriter | undefined;
  private n = 0;
  /** Size of the next writer: that of the last one handed over whole. */
  private size = DEFAULT_INITIAL_BYTES;
  /** Whether the last `take()` handed its writer's buffer over, which `recycle` may give back. */
  lastLent = false;

  /**
   * `handOver`: a batch that fills most of a big buffer (many envelopes, or
   * large messages) is handed over instead of copied out: no copy, but the
   * chunk may keep up to twice its size alive, and whoever keeps it must
   * count its `buffer`'s size, not its own.
   */
  constructor(private readonly handOver = false) {}

  get bytes(): number {
    return this.w?.pos ?? 0;
  }

  get count(): number {
    return this.n;
  }

  add<T>(codec: { write(message: T, w: BinaryWriter): void }, message: T): void {
    const w = (this.w ??= this.writer());
    w.ensure(ENVELOPE_HEADER_BYTES);
    const start = w.pos;
    w.pos += ENVELOPE_HEADER_BYTES;
    codec.write(message, w);
    writeEnvelopeHeader(w.buf, start, 0, w.pos - start - ENVELOPE_HEADER_BYTES);
    this.n++;
  }

  /** Appends one envelope whose payload is already encoded (a control or end envelope). */
  addEnvelope(flags: number, payload: Uint8Array): void {
    const w = (this.w ??= this.writer());
    w.ensure(ENVELOPE_HEADER_BYTES + payload.length);
    writeEnvelopeHeader(w.buf, w.pos, flags, payload.length);
    w.buf.set(payload, w.pos + ENVELOPE_HEADER_BYTES);
    w.pos += ENVELOPE_HEADER_BYTES + payload.length;
    this.n++;
  }

  /**
   * Everything added since the last take, as one chunk; `trailer` (a pair's
   * control: no envelope of the batch's count) is written after it, so the
   * chunk need not be copied again to carry it.
   */
  take(trailer?: Uint8Array): Uint8Array | undefined {
    const w = this.w;
    if (w === undefined || w.pos === 0) return undefined;
    this.n = 0;
    if (trailer !== undefined) w.raw(trailer);
    if (this.handOver && w.pos > DEFAULT_INITIAL_BYTES && w.pos * 2 >= w.buf.length) {
      // Mostly full and big (large messages, or a burst of small ones): handed over as it is,
      // not copied out; the next add starts a writer of the same size, so it need not grow again.
      this.w = undefined;
      this.size = Math.min(w.buf.length, 1 << 20);
      this.lastLent = true;
      w.checkEnd();
      return w.buf.subarray(0, w.pos);
    }
    this.lastLent = false;
    const chunk = w.finish();
    w.reset();
    // Let one burst's big buffer go instead of keeping it for the stream's life.
    if (w.buf.length > 1 << 20) this.w = undefined;
    return chunk;
  }

  /**
   * Gives back a chunk `take` handed over (`lastLent`) once nothing reads it
   * any more (its write has completed, its envelopes are acknowledged): a
   * next writer of any batch fills its buffer again (buffer-pool.ts). Fresh
   * memory costs more than the copy into it: a 64 KiB message takes 5.4 µs
   * into a new buffer, 1.4 µs into one just used.
   */
  recycle(chunk: Uint8Array): void {
    giveBuffer(chunk);
  }

  private writer(): BinaryWriter {
    const spare = this.size > DEFAULT_INITIAL_BYTES ? takeBuffer(this.size) : undefined;
    return spare !== undefined ? BinaryWriter.over(spare) : new BinaryWriter(this.size);
  }
}
