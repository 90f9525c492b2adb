/**
 * An in-realm call's reads end when the call aborts, whatever the other side
 * does: a handler reading a caller's generator stuck in an await gets the
 * abort reason, and so does a caller reading a handler stuck in one. A
 * request source marked `settlesOnReturn` (the bridge's inbox) is read with
 * no abortable wait: ending the call returns it, and that ends the read.
 */
import test from "ava";
import { Code } from "../runtime/core/index.js";
import { settlesOnReturn } from "../runtime/core/local-call.js";
import { Echo, type Seen, registry } from "./helpers/local-echo.js";

const code = (error: unknown) => (error as { code?: number }).code;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("a handler reading a caller's stuck generator gets the abort; so does the caller", async (t) => {
  const seen: Seen = { finished: false };
  const workers = registry(seen, async function* (requests) {
    for await (const r of requests) yield r;
  });
  async function* stuck() {
    yield 1;
    await new Promise(() => undefined); // never
  }
  const controller = new AbortController();
  const replies = workers
    .call(Echo.methods.echo!.path, stuck(), { signal: controller.signal })
    [Symbol.asyncIterator]();
  t.deepEqual(await replies.next(), { done: false, value: 1 });
  const reading = replies.next();
  await sleep(20);
  controller.abort();
  t.is(code(await t.throwsAsync(reading)), Code.Canceled);
  for (let i = 0; i < 100 && !seen.finished; i++) await sleep(10);
  t.true(seen.finished, "the handler finished");
  t.is(
    code(seen.error),
    Code.Canceled,
    "its read of the requests ended with the abort",
  );
});

test("a caller reading a stuck handler gets the deadline", async (t) => {
  const seen: Seen = { finished: false };
  const workers = registry(seen, async function* () {
    await new Promise(() => undefined); // never
  });
  const replies = workers.call(
    Echo.methods.echo!.path,
    (async function* () {})(),
    { timeoutMs: 50 },
  );
  // The deadline's timer is unref'd (as AbortSignal.timeout's): this one keeps the test's process up meanwhile.
  const alive = setTimeout(() => undefined, 5000);
  t.is(
    code(await t.throwsAsync(replies[Symbol.asyncIterator]().next())),
    Code.DeadlineExceeded,
  );
  clearTimeout(alive);
});

test("a source marked settlesOnReturn is read as it is, and returned when the call ends", async (t) => {
  const seen: Seen = { finished: false };
  const workers = registry(seen, async function* (requests) {
    for await (const r of requests) yield r;
  });
  let pending: ((result: IteratorResult<number>) => void) | undefined;
  let returned = 0;
  const reads: Promise<IteratorResult<number>>[] = [];
  const source = {
    [settlesOnReturn]: true,
    next() {
      const read =
        reads.length === 0
          ? Promise.resolve({ done: false as const, value: 7 })
          : new Promise<IteratorResult<number>>(
              (resolve) => (pending = resolve),
            );
      reads.push(read);
      return read;
    },
    return() {
      returned++;
      pending?.({ done: true, value: undefined });
      return Promise.resolve({ done: true as const, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const controller = new AbortController();
  const replies = workers
    .call(Echo.methods.echo!.path, source, { signal: controller.signal })
    [Symbol.asyncIterator]();
  t.deepEqual(await replies.next(), { done: false, value: 7 });
  const reading = replies.next();
  for (let i = 0; i < 100 && !pending; i++) await sleep(5);
  t.truthy(pending, "the handler is waiting on the source");
  controller.abort();
  t.is(code(await t.throwsAsync(reading)), Code.Canceled);
  for (let i = 0; i < 100 && !seen.finished; i++) await sleep(10);
  t.is(returned, 1, "ending the call returned the source once");
  t.true(seen.finished, "its read ended, so the handler finished");
  t.is(reads.length, 2, "nothing read after the abort");
});
