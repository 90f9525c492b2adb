/**
 * A bounded async queue between a producer and one consumer. `send()` waits
 * while the queue is full, so a slow consumer slows the producer down instead
 * of letting items pile up: this is how back-pressure crosses every boundary.
 */
import { Code, StreampathError } from "./error.js";

export interface ChannelOptions {
  /** Called once when the consumer stops early (its iterator's `return()`, or `cancel()`). */
  onCancel?: (reason: StreampathError) => void;
}

interface Sender<T> {
  value: T;
  resolve: () => void;
  reject: (reason: StreampathError) => void;
}

interface Reader<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (reason: StreampathError) => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The queue never holds more than `capacity` items. A send that finds it full
 * keeps its value until there is room and settles then, in send order, so a
 * producer that awaits each `send()` never gets ahead of the consumer (one
 * that does not await gets no back-pressure). Capacity 0 is a rendezvous:
 * a send settles when a reader takes its value.
 *
 * The first of `close()`, `fail()` and `cancel()` wins; later calls do nothing.
 */
export class Channel<T> implements AsyncIterable<T> {
  readonly capacity: number;
  private readonly onCancel: ((reason: StreampathError) => void) | undefined;
  private readonly queue: T[] = [];
  private readonly senders: Sender<T>[] = [];
  private readonly readers: Reader<T>[] = [];
  private closed = false;
  /** Set by fail() or cancel(): what every later send and read rejects with. */
  private failure: StreampathError | undefined;
  /** The consumer has seen the end (or stopped), so reads return done. */
  private finished = false;
  private iterating = false;

  constructor(capacity: number, options?: ChannelOptions) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new StreampathError(
        Code.InvalidArgument,
        `channel capacity must be a non-negative integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.onCancel = options?.onCancel;
  }

  /** Items queued and not yet read; never more than `capacity`. */
  get size(): number {
    return this.queue.length;
  }

  /** Resolves once `value` is queued; rejects if the channel failed, was canceled or is closed. */
  send(value: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new StreampathError(Code.FailedPrecondition, "send on a closed channel"));
    const reader = this.readers.shift();
    if (reader !== undefined) {
      // A waiting reader means the queue is empty: hand the value over directly.
      reader.resolve({ done: false, value });
      return Promise.resolve();
    }
    if (this.queue.length < this.capacity) {
      this.queue.push(value);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.senders.push({ value, resolve, reject }));
  }

  /**
   * Queues `value` now if there is room (or a reader waiting) and returns
   * true; returns false, queuing nothing, when the producer must `send` and
   * wait. Lets a producer skip an await per item while there is room.
   */
  offer(value: T): boolean {
    if (this.failure !== undefined || this.closed) return false;
    const reader = this.readers.shift();
    if (reader !== undefined) {
      reader.resolve({ done: false, value });
      return true;
    }
    if (this.queue.length < this.capacity && this.senders.length === 0) {
      this.queue.push(value);
      return true;
    }
    return false;
  }

  /** No more sends; the consumer reads what is queued (and pending sends' values), then the end. */
  close(): void {
    if (this.closed || this.failure !== undefined) return;
    this.closed = true;
    // Readers wait only on an empty queue with no pending sends: nothing is left for them.
    for (const reader of this.readers.splice(0)) reader.resolve(DONE);
  }

  /** Ends the channel with an error: queued items are dropped, the next read and pending sends reject. */
  fail(reason: unknown): void {
    if (this.closed || this.failure !== undefined) return;
    this.abort(StreampathError.from(reason));
  }

  /**
   * The consumer's side of `fail()`: it stops reading. Queued items are
   * dropped, pending and later sends reject with Canceled, `onCancel` fires.
   * A read still waiting rejects too, so it cannot mistake this for the end.
   */
  cancel(reason?: unknown): void {
    if (this.failure !== undefined || this.finished) return;
    const error =
      reason === undefined
        ? new StreampathError(Code.Canceled, "the consumer stopped reading")
        : StreampathError.from(reason, Code.Canceled);
    this.abort(error);
    this.onCancel?.(error);
  }

  private abort(error: StreampathError): void {
    this.failure = error;
    this.queue.length = 0;
    for (const sender of this.senders.splice(0)) sender.reject(error);
    for (const reader of this.readers.splice(0)) reader.reject(error);
  }

  /** @internal the consumer's read (ChannelReader's next). */
  read(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift() as T;
      // Room for one more: let the oldest waiting send in.
      const sender = this.senders.shift();
      if (sender !== undefined) {
        this.queue.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve({ done: false, value });
    }
    const sender = this.senders.shift();
    if (sender !== undefined) {
      // Capacity 0: take the value straight from the sender.
      sender.resolve();
      return Promise.resolve({ done: false, value: sender.value });
    }
    if (this.finished) return Promise.resolve(DONE);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) {
      this.finished = true;
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** @internal the consumer stopped early (ChannelReader's return). */
  stopReading(): Promise<IteratorReturnResult<undefined>> {
    // Stopping after close() with nothing left unread loses nothing: no cancel.
    const drained = this.closed && this.queue.length === 0 && this.senders.length === 0;
    try {
      if (!drained) this.cancel();
    } finally {
      this.finished = true;
    }
    return Promise.resolve(DONE);
  }

  /** The consumer's view; there is exactly one, so a second call throws. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterating) throw new StreampathError(Code.FailedPrecondition, "a channel has a single consumer");
    this.iterating = true;
    return new ChannelReader(this);
  }
}

/** A channel's one consumer: an object with methods, not two closures per channel. */
class ChannelReader<T> implements AsyncIterator<T> {
  constructor(private readonly channel: Channel<T>) {}

  next(): Promise<IteratorResult<T>> {
    return this.channel.read();
  }

  // `for await` calls return() when the loop exits early (break, throw):
  // the consumer is gone, so the producer must stop.
  return(): Promise<IteratorResult<T>> {
    return this.channel.stopReading();
  }
}
