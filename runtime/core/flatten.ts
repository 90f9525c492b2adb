/**
 * Messages handed between layers a batch at a time (all that one chunk of a
 * stream held), read by the consumer one at a time. An await per message is
 * the price of an AsyncIterable; an async generator's `yield` or a channel
 * hop per message would cost several more. Here a message already decoded is
 * served from the batch at once, and the source is awaited once per batch.
 */

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The items of `batches`, in order, one per `next()`. `return()` (a
 * consumer's `break`) passes on to the source so it can stop; items of the
 * current batch left unread are dropped with it. A failure of the source is
 * thrown once the items before it have been read. `failure`, when given, is
 * asked before each item: once it returns an error, the items still buffered
 * are dropped and every read rejects with it (a canceled call must not go on
 * yielding what it had already received). `onTake` runs as each item is
 * handed out, before the read settles: what credit-granting callers count,
 * without wrapping every read in another promise.
 */
export function flatten<T>(
  batches: AsyncIterator<readonly T[]>,
  failure?: () => Error | undefined,
  onTake?: () => void,
): AsyncIterableIterator<T> {
  return new Flattened(batches, failure, onTake);
}

const NO_ITEMS: readonly never[] = [];

/**
 * A class whose source is awaited by promise reactions, not an async
 * function: a consumer waiting on an idle stream holds this object and two
 * closures, not a suspended frame (bench:memory).
 */
class Flattened<T> implements AsyncIterableIterator<T> {
  private batch: readonly T[] = NO_ITEMS;
  private index = 0;
  private finished = false;
  /** The source's next(), while one is outstanding: later next() calls queue behind it. */
  private pending: Promise<IteratorResult<T>> | undefined;

  constructor(
    private readonly batches: AsyncIterator<readonly T[]>,
    private readonly failure: (() => Error | undefined) | undefined,
    private readonly onTake: (() => void) | undefined,
  ) {}

  next(): Promise<IteratorResult<T>> {
    if (this.pending !== undefined) return this.pending.then(() => this.next());
    const error = this.failure?.();
    if (error !== undefined && this.index < this.batch.length) {
      // The source is told to stop (a rejected next() makes `for await` leave without return()).
      void this.return().catch(() => undefined);
      return Promise.reject(error);
    }
    if (this.index < this.batch.length) {
      this.onTake?.();
      return Promise.resolve({ done: false, value: this.batch[this.index++]! });
    }
    if (this.finished) return Promise.resolve(DONE);
    this.batch = NO_ITEMS;
    this.index = 0;
    return (this.pending = this.pull());
  }

  /** The source's next batch with items (empty ones are skipped), or its end. */
  private pull(): Promise<IteratorResult<T>> {
    let next: Promise<IteratorResult<readonly T[]>>;
    try {
      next = this.batches.next();
    } catch (error) {
      next = Promise.reject(error);
    }
    return next.then(this.onBatch, this.onFailure);
  }

  private readonly onBatch = (result: IteratorResult<readonly T[]>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (this.finished || result.done) {
      // Ended, or return() was called meanwhile.
      this.finished = true;
      this.pending = undefined;
      return DONE;
    }
    if (result.value.length === 0) return this.pull();
    this.batch = result.value;
    this.index = 1;
    this.pending = undefined;
    this.onTake?.();
    return { done: false, value: this.batch[0]! };
  };

  private readonly onFailure = (error: unknown): never => {
    this.finished = true;
    this.pending = undefined;
    throw error;
  };

  async return(): Promise<IteratorResult<T>> {
    const wasFinished = this.finished;
    this.finished = true;
    this.batch = NO_ITEMS;
    this.index = 0;
    if (!wasFinished) await this.batches.return?.();
    return DONE;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
