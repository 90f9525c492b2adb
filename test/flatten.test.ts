/**
 * flatten: batches in, items out one by one, in order; the consumer's early
 * stop reaches the source; a failure reaches the consumer after the items
 * before it, or at once when the caller's failure check says so.
 */
import test from "ava";
import { flatten } from "../runtime/core/flatten.js";

/** A source of batches that records whether return() reached it. */
function source(batches: number[][], failAfter?: Error) {
  const state = { returned: false, pulls: 0 };
  async function* gen(): AsyncGenerator<number[]> {
    try {
      for (const batch of batches) {
        state.pulls++;
        yield batch;
      }
      if (failAfter) throw failAfter;
    } finally {
      state.returned = true;
    }
  }
  return { iterator: gen(), state };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test("items of every batch, in order, empty batches skipped", async (t) => {
  const { iterator } = source([[1, 2], [], [3], [], [], [4, 5, 6]]);
  t.deepEqual(await collect(flatten(iterator)), [1, 2, 3, 4, 5, 6]);
});

test("the source is awaited once per batch, not per item", async (t) => {
  const { iterator, state } = source([[1, 2, 3], [4, 5, 6]]);
  const items = flatten(iterator);
  t.deepEqual(await items.next(), { done: false, value: 1 });
  await items.next();
  await items.next();
  t.is(state.pulls, 1);
  await items.next();
  t.is(state.pulls, 2);
});

test("next() called again before the first settles still yields in order", async (t) => {
  const { iterator } = source([[1], [2, 3]]);
  const items = flatten(iterator);
  const results = await Promise.all([items.next(), items.next(), items.next(), items.next()]);
  t.deepEqual(
    results.map((r) => (r.done ? "done" : r.value)),
    [1, 2, 3, "done"],
  );
});

test("break stops the source: its finally runs, later reads are done", async (t) => {
  const { iterator, state } = source([[1, 2, 3], [4]]);
  const items = flatten(iterator);
  for await (const item of items) if (item === 2) break;
  t.true(state.returned);
  t.deepEqual(await items.next(), { done: true, value: undefined });
});

test("a source failure comes after the items before it", async (t) => {
  const boom = new Error("boom");
  const { iterator } = source([[1, 2]], boom);
  const seen: number[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const item of flatten(iterator)) seen.push(item);
  });
  t.is(error, boom);
  t.deepEqual(seen, [1, 2]);
});

test("once the failure check reports an error, buffered items are dropped and the source stops", async (t) => {
  const canceled = new Error("canceled");
  let failure: Error | undefined;
  const { iterator, state } = source([[1, 2, 3, 4]]);
  const seen: number[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const item of flatten(iterator, () => failure)) {
      seen.push(item);
      if (item === 2) failure = canceled;
    }
  });
  t.is(error, canceled);
  t.deepEqual(seen, [1, 2]);
  await new Promise((resolve) => setImmediate(resolve));
  t.true(state.returned);
});
