/**
 * The sending half of one direction of a bridge call: pulls messages from a
 * source (the caller's requests, a handler's responses) only while the
 * receiver has room, and hands them out in batches — one per task turn, or
 * at once when a batch reaches `maxBatch` — so a burst crosses as a few
 * chunks, not one chunk per message.
 */
import { Flusher, nextTask } from "./batch.js";
import { type WireError, toWire } from "./bridge.js";

/** Where a pump's batches go: a ReadableStream's controller or a port. */
export interface PumpSink<T> {
  /** Messages the receiver can take now (a stream's desiredSize, a port's credit). */
  room(): number;
  /** Sends a batch; `final` ends the direction after it. */
  emit(messages: T[], final?: { end: true } | { error: WireError }): void;
}

export class Pump<T> {
  private readonly iterator: AsyncIterator<T>;
  private readonly flusher: Flusher;
  private pending: T[] = [];
  private stopped = false;
  private waker: (() => void) | undefined;

  /** `onDone`: called once when the source is finished with — ended, failed, or told to stop. */
  constructor(
    source: AsyncIterable<T>,
    private readonly sink: PumpSink<T>,
    maxBatch: number,
    private readonly onDone?: () => void,
  ) {
    this.flusher = new Flusher(this.flush, { maxBytes: maxBatch, pending: () => this.pending.length, schedule: nextTask });
    this.iterator = source[Symbol.asyncIterator]();
    void this.run();
  }

  /** The receiver has more room. */
  wake(): void {
    const waker = this.waker;
    this.waker = undefined;
    waker?.();
  }

  /** The receiver stopped reading: drop what is pending and tell the source to finish. */
  stop(): void {
    if (this.stopped) return;
    this.finishSource();
  }

  /** Ends the direction with `error` (after what is pending), and tells the source to finish. */
  fail(error: unknown): void {
    if (this.stopped) return;
    const messages = this.pending;
    this.finishSource();
    this.sink.emit(messages, { error: toWire(error) });
  }

  private finishSource(): void {
    this.stopped = true;
    this.flusher.cancel();
    this.pending = [];
    this.wake();
    this.onDone?.();
    // Not awaited: a source stuck in its own await must not hold the bridge up.
    void Promise.resolve()
      .then(() => this.iterator.return?.())
      .catch(() => undefined);
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        if (this.sink.room() - this.pending.length <= 0) {
          // Out of room: what is gathered goes now, then wait for the receiver.
          if (this.pending.length > 0) this.flusher.flushNow();
          if (this.sink.room() > 0) continue;
          await new Promise<void>((resolve) => (this.waker = resolve));
          continue;
        }
        const result = await this.iterator.next();
        if (this.stopped) return;
        if (result.done) {
          this.end({ end: true });
          return;
        }
        this.pending.push(result.value);
        this.flusher.notify();
      }
    } catch (error) {
      if (!this.stopped) this.end({ error: toWire(error) });
    }
  }

  private end(final: { end: true } | { error: WireError }): void {
    this.stopped = true;
    this.flusher.cancel();
    const messages = this.pending;
    this.pending = [];
    this.sink.emit(messages, final);
    this.onDone?.();
  }

  private readonly flush = (): void => {
    if (this.stopped || this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    this.sink.emit(messages);
  };
}
