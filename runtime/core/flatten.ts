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
  let batch: readonly T[] = [];
  let index = 0;
  let finished = false;
  /** The source's next(), while one is outstanding: later next() calls queue behind it. */
  let pending: Promise<IteratorResult<T>> | undefined;

  const pull = async (): Promise<IteratorResult<T>> => {
    try {
      for (;;) {
        const result = await batches.next();
        if (finished) return DONE; // return() was called meanwhile
        if (result.done) {
          finished = true;
          return DONE;
        }
        if (result.value.length > 0) {
          batch = result.value;
          index = 1;
          onTake?.();
          return { done: false, value: batch[0]! };
        }
      }
    } catch (error) {
      finished = true;
      throw error;
    } finally {
      pending = undefined;
    }
  };

  const stop = async (): Promise<IteratorResult<T>> => {
    const wasFinished = finished;
    finished = true;
    batch = [];
    index = 0;
    if (!wasFinished) await batches.return?.();
    return DONE;
  };

  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (pending !== undefined) return pending.then(() => iterator.next());
      const error = failure?.();
      if (error !== undefined && index < batch.length) {
        // The source is told to stop (a rejected next() makes `for await` leave without return()).
        void stop().catch(() => undefined);
        return Promise.reject(error);
      }
      if (index < batch.length) {
        onTake?.();
        return Promise.resolve({ done: false, value: batch[index++]! });
      }
      if (finished) return Promise.resolve(DONE);
      batch = [];
      index = 0;
      return (pending = pull());
    },
    return: stop,
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
