/**
 * Cancellation in the window: the caller's signal, its deadline, the caller
 * stopping to read and the view registry closing reach the view handler's
 * context.signal, and from there the views and worker services it calls;
 * closing the views leaves the worker serving.
 */
import test from "ava";
import { fromArray, request, waitFor } from "./helpers/host.js";
import { startWindow } from "./helpers/view.js";

const code = (error: unknown) => (error as { code?: number }).code;

test("the caller's signal aborts the view's context, through a view and on into the worker", async (t) => {
  const window = await startWindow(t);
  const controller = new AbortController();
  const started = Date.now();
  const replies = window.shell.relay(fromArray([request({ text: "slow", delayMs: 30_000 })]), { signal: controller.signal });
  const reading = replies[Symbol.asyncIterator]().next();
  const workerMirror = await window.worker.call("mirror");
  controller.abort();
  t.is(code(await t.throwsAsync(reading)), 1, "canceled");
  t.true(Date.now() - started < 10_000);
  for (const method of ["relay", "mirror"]) {
    const seen = await window.call(method);
    t.true(seen.aborted, `the ${method} view saw it`);
    t.like(seen.abortReason, { code: 1 });
  }
  await waitFor(() => workerMirror.aborted && workerMirror.finished, 5000, "the worker's Reader.mirror to be aborted and finish");
});

test("a deadline aborts the view with deadline_exceeded", async (t) => {
  const window = await startWindow(t);
  const error = await t.throwsAsync(window.panel.count(fromArray([request({ delayMs: 30_000 })]), { timeoutMs: 100 }));
  t.is(code(error), 4);
  const count = await window.call("count");
  t.true(count.aborted);
  t.like(count.abortReason, { code: 4 });
  t.is(typeof count.context.deadline, "number");
  await waitFor(() => count.finished, 5000, "the handler to finish");
});

test("a caller that stops reading aborts the view, which finishes", async (t) => {
  const window = await startWindow(t);
  for await (const reply of window.panel.list(request({ repeat: 1_000_000 }))) if (reply.index === 2) break;
  const list = await window.call("list");
  await waitFor(() => list.finished, 5000, "the handler's finally");
  t.true(list.aborted);
  t.like(list.abortReason, { code: 1 });
  t.is(list.pulled, 2);
});

test("close() aborts running views and refuses new calls; the worker keeps serving", async (t) => {
  const window = await startWindow(t);
  const running = window.panel.count(fromArray([request({ delayMs: 30_000 })]));
  const count = await window.call("count");
  window.views.close();
  t.like(await t.throwsAsync(running), { code: 14, message: "the window's services are closed" });
  t.true(count.aborted);
  t.is(code(await t.throwsAsync(window.panel.count(fromArray([request()])))), 14);
  t.is(window.seen.length, 1, "the refused call never reached a handler");
  t.like(await window.worker.reader.count(fromArray([request({ text: "still" })])), { text: "still" });
});
