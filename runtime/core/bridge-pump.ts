/**
 * The sending half of one direction of a bridge call: pulls messages from a
 * source (the caller's requests, a handler's responses) only while the
 * receiver has room, and hands them out in packets — one per task turn (or,
 * for a sink with `ready`, per demand), or at once when a batch reaches
 * `maxBatch` messages or MAX_BATCH_BYTES encoded bytes — so a burst crosses
 * as a few chunks, not one per message.
 */
import { Flusher, nextTask } from "./batch.js";
import { type Packet, type WireError, toWire } from "./bridge.js";
import { type Gather, MAX_BATCH_BYTES, cloneGather } from "./bridge-codec.js";

/** Where a pump's packets go: a ReadableStream's controller or a port. */
export interface PumpSink<T> {
  /** Messages that may be gathered before they are sent (a port's credit; for a stream, one batch). */
  room(): number;
  /**
   * Whether a packet may go now. A sink that has it (a stream) is sent one
   * packet per demand: messages gather meanwhile, so each packet carries
   * everything produced while the last one travelled. Without it: always.
   */
  ready?(): boolean;
  /** Sends a packet (`{}` when there is nothing but `final`); `final` ends the direction after it. */
  emit(packet: Packet<T>, final?: PumpFinal): void;
}

/** How a direction ends: after the last packet, or with an error. */
export type PumpFinal = { end: true } | { error: WireError };

export interface PumpOptions<T> {
  maxBatch: number;
  /** Adds what rides with a packet besides messages (a handler's response headers and trailers), just before it goes. */
  stamp?: (packet: Packet<T>, final?: PumpFinal) => void;
  /** How messages are gathered (default: as they are, for structured clone). */
  gather?: Gather<T>;
  /** Called once when the source is finished with: ended, failed, or told to stop. */
  onDone?: () => void;
}

export class Pump<T> {
  private readonly iterator: AsyncIterator<T>;
  private readonly flusher: Flusher;
  private readonly gather: Gather<T>;
  private readonly onDone: (() => void) | undefined;
  private readonly stamp: PumpOptions<T>["stamp"];
  private stopped = false;
  private waker: (() => void) | undefined;

  constructor(
    source: AsyncIterable<T>,
    private readonly sink: PumpSink<T>,
    options: PumpOptions<T>,
  ) {
    const gather = (this.gather = options.gather ?? cloneGather());
    this.onDone = options.onDone;
    this.stamp = options.stamp;
    const full = () => (gather.count >= options.maxBatch || gather.bytes >= MAX_BATCH_BYTES ? 1 : 0);
    this.flusher = new Flusher(this.flush, { maxBytes: 1, pending: full, schedule: nextTask });
    this.iterator = source[Symbol.asyncIterator]();
    void this.run();
  }

  /** The sink is ready for a packet: what is gathered goes at once, else the next messages go on the next turn. */
  demand(): void {
    if (this.gather.count > 0) this.flusher.flushNow();
    this.wake();
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
    this.gather.take();
    this.finishSource();
  }

  /** Ends the direction with `error` (after what is pending), and tells the source to finish. */
  fail(error: unknown): void {
    if (this.stopped) return;
    const packet = this.gather.take();
    this.finishSource();
    this.send(packet, { error: toWire(error) });
  }

  private finishSource(): void {
    this.stopped = true;
    this.flusher.cancel();
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
        if (this.sink.room() - this.gather.count <= 0) {
          // Out of room: what is gathered goes now (if the sink is ready), then wait for the receiver.
          if (this.gather.count > 0) this.flusher.flushNow();
          if (this.sink.room() - this.gather.count > 0) continue;
          await new Promise<void>((resolve) => (this.waker = resolve));
          continue;
        }
        const result = await this.iterator.next();
        if (this.stopped) return;
        if (result.done) {
          this.end({ end: true });
          return;
        }
        this.gather.add(result.value);
        this.flusher.notify();
      }
    } catch (error) {
      // The source failed, or a message could not be encoded (the source is then told to stop).
      if (!this.stopped) this.fail(error);
    }
  }

  private end(final: PumpFinal): void {
    this.stopped = true;
    this.flusher.cancel();
    this.send(this.gather.take(), final);
    this.onDone?.();
  }

  private readonly flush = (): void => {
    if (this.stopped || this.gather.count === 0 || this.sink.ready?.() === false) return;
    this.send(this.gather.take());
  };

  private send(packet: Packet<T>, final?: PumpFinal): void {
    this.stamp?.(packet, final);
    this.sink.emit(packet, final);
  }
}
