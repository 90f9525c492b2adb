/**
 * Cancellation across the bridge in Chromium, in both modes. From the
 * window: its AbortSignal, breaking out of for-await, a deadline, and
 * closing the connection each abort the worker handler's context.signal
 * (with canceled, canceled, deadline_exceeded, unavailable) and the handler
 * finishes; the worker's records are read through another call. From the
 * worker: a handler that fails mid-call ends the window's iteration with its
 * error and stops the window's request producer; closing the worker's bridge
 * fails a running call and later ones with its reason. A cancel also reaches a host call
 * the worker's handler made through its gateway.
 */
import test from "ava";
import type { Browser } from "playwright-core";
import { launchChromium } from "./helpers/browser.js";
import { type BridgeBundles, bundleBridge, openBridgePage } from "./helpers/bridge-page.js";

let browser: Browser;
let bundles: BridgeBundles;
test.before(async () => {
  browser = await launchChromium();
  bundles = await bundleBridge();
});
test.after.always(() => browser?.close());

interface Record_ {
  aborted: boolean;
  abortReason?: { code?: number; message: string };
  finished: boolean;
  deadline?: number;
  produced: number;
}
interface Caught {
  name: string;
  code?: number;
  message: string;
}

for (const mode of ["streams", "port"] as const) {
  test.serial(`${mode}: cancels from the window abort the worker's handler; the worker's failures end the window's call`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const r = await page.run<{
      signal: { error: Caught; record: Record_ };
      broke: Record_;
      deadline: { error: Caught; ms: number; record: Record_ };
      failed: { count: number; error: Caught; requestsFinished: boolean; pulled: number };
      closed: { running: Caught; later: Caught; record: Record_ };
      bridgeClosed: Caught;
      afterBridgeClosed: Caught;
    }>({ kind: "cancel", mode });
    t.log(JSON.stringify(r));

    t.like(r.signal.error, { code: 1 }, "the aborted read rejects with canceled");
    t.like(r.signal.record, { aborted: true, finished: true, abortReason: { code: 1 } }, "the window's signal aborted the handler");

    t.like(r.broke, { aborted: true, finished: true, abortReason: { code: 1 } }, "break aborted the handler");

    t.like(r.deadline.error, { code: 4 });
    t.true(r.deadline.ms < 5000, `the deadline of 300 ms ended the call after ${r.deadline.ms} ms`);
    t.like(r.deadline.record, { aborted: true, finished: true, abortReason: { code: 4 } });
    t.is(typeof r.deadline.record.deadline, "number", "the handler's context had the deadline");

    t.is(r.failed.count, 2, "the replies before the failing request");
    t.deepEqual(r.failed.error, { name: "StreampathError", code: 10, message: "m2" });
    t.true(r.failed.requestsFinished, "the window's request producer was stopped");
    t.true(r.failed.pulled < 100_000, `the window's requests stopped early (${r.failed.pulled} pulled)`);

    t.like(r.closed.running, { code: 14, message: "the worker connection is closed" });
    t.like(r.closed.later, { code: 14, message: "the worker connection is closed" });
    t.like(r.closed.record, { aborted: true, finished: true, abortReason: { code: 14 } });

    t.deepEqual(r.bridgeClosed, { name: "StreampathError", code: 14, message: "closed by the test" });
    t.deepEqual(r.afterBridgeClosed, { name: "StreampathError", code: 14, message: "closed by the test" }, "a later call fails at once");
  });

  test.serial(`${mode}: a cancel from the window reaches the host call of the worker's handler`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const r = await page.run<{ error: Caught; record: Record_ }>({ kind: "host-cancel", mode });
    t.like(r.error, { code: 1 });
    t.like(r.record, { aborted: true, finished: true, abortReason: { code: 1 } });
    const host = await page.echo.call("flood", "host-flood");
    for (let i = 0; i < 100 && !host.finished; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    t.true(host.finished, "the host's handler finished");
    t.true(host.aborted, "the host's handler was aborted");
    t.true(host.produced < 5_000_000, `the host's flood stopped (${host.produced} produced)`);
  });
}
