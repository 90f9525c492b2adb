/**
 * The window ↔ worker bridge in Debian's Chromium: a page calls a worker's
 * in-worker Echo service through the generated client over connectWorker —
 * a bidi echo of 100,000 events, and unary, server-, client-streaming and
 * bidi calls — once over transferred ReadableStreams and once over the
 * MessagePort fallback with credits (forced).
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

for (const mode of ["streams", "port"] as const) {
  test.serial(`${mode}: a bidi echo carries 100,000 events window → worker → window, in order, payloads intact`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const result = await page.run<{ mode: string; received: number; ms: number; record: { received: number; produced: number; finished: boolean } }>({
      kind: "bidi",
      mode,
      count: 100_000,
    });
    t.is(result.mode, mode);
    t.is(result.received, 100_000);
    t.like(result.record, { received: 100_000, produced: 100_000, finished: true }, "the worker's handler saw every event once");
    t.log(`${mode}: 100,000 events each way in ${Math.round(result.ms)} ms (${Math.round(100_000 / (result.ms / 1000))} msg/s)`);
  });

  test.serial(`${mode}: unary, server-streaming, client-streaming and bidi calls`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const result = await page.run({ kind: "calls", mode });
    t.deepEqual(result, {
      mode,
      say: { text: "hi", header: "custom-header" },
      repeat: { count: 10_000, inOrder: true },
      collect: { index: 5000, length: 5000, head: "012345678901" },
      chat: { count: 1000, inOrder: true },
    });
  });
}
