/**
 * Cancellation of in-realm calls: the caller's signal, its deadline, the
 * caller stopping to read and the registry closing all reach the handler's
 * context.signal, and end the call at once even while the handler waits.
 */
import test from "ava";
import { fromArray, request, waitFor } from "./helpers/host.js";
import { startWorker } from "./helpers/worker.js";

const code = (error: unknown) => (error as { code?: number }).code;

test("the caller's signal aborts the handler's context, through two in-realm hops", async (t) => {
  const worker = await startWorker(t);
  const controller = new AbortController();
  const started = Date.now();
  const replies = worker.writer.submitAll(fromArray([request({ text: "slow", delayMs: 30_000 })]), { signal: controller.signal });
  const reading = replies[Symbol.asyncIterator]().next();
  const mirror = await worker.call("mirror");
  controller.abort();
  t.is(code(await t.throwsAsync(reading)), 1, "canceled");
  t.true(Date.now() - started < 10_000);
  const submitAll = await worker.call("submitAll");
  t.true(submitAll.aborted, "the writer's handler saw it");
  t.like(submitAll.abortReason, { code: 1 });
  await waitFor(() => mirror.aborted && mirror.finished, 5000, "the reader's handler to be aborted and finish");
  t.like(mirror.abortReason, { code: 1 });
});

test("a deadline aborts the handler with deadline_exceeded", async (t) => {
  const worker = await startWorker(t);
  const error = await t.throwsAsync(worker.reader.count(fromArray([request({ delayMs: 30_000 })]), { timeoutMs: 100 }));
  t.is(code(error), 4);
  const count = await worker.call("count");
  t.true(count.aborted);
  t.like(count.abortReason, { code: 4 });
  t.is(typeof count.context.deadline, "number");
  await waitFor(() => count.finished, 5000, "the handler to finish");
});

test("a caller that stops reading aborts the handler, which finishes", async (t) => {
  const worker = await startWorker(t);
  for await (const reply of worker.reader.list(request({ repeat: 1_000_000 }))) if (reply.index === 2) break;
  const list = await worker.call("list");
  await waitFor(() => list.finished, 5000, "the handler's finally");
  t.true(list.aborted);
  t.like(list.abortReason, { code: 1 });
  t.is(list.pulled, 2);
});

test("a handler waiting for the caller's next request is released by the abort", async (t) => {
  const worker = await startWorker(t);
  async function* never() {
    yield request({ text: "first" });
    await new Promise(() => undefined);
  }
  const controller = new AbortController();
  const replies = worker.reader.mirror(never(), { signal: controller.signal })[Symbol.asyncIterator]();
  t.is((await replies.next()).value?.text, "first");
  const waiting = replies.next();
  await waitFor(() => worker.seen[0]?.pulled === 1, 5000, "the handler to wait for a second request");
  controller.abort();
  t.is(code(await t.throwsAsync(waiting)), 1);
  await waitFor(() => worker.seen[0]!.finished, 5000, "the handler to finish");
  t.true(worker.seen[0]!.aborted);
});

test("close() aborts running calls and refuses new ones", async (t) => {
  const worker = await startWorker(t);
  const running = worker.reader.count(fromArray([request({ delayMs: 30_000 })]));
  const count = await worker.call("count");
  worker.registry.close();
  t.is(code(await t.throwsAsync(running)), 14);
  t.true(count.aborted);
  t.is(code(await t.throwsAsync(worker.reader.count(fromArray([request()])))), 14);
  t.is(worker.seen.length, 1, "the refused call never reached a handler");
});
