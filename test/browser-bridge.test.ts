/**
 * The window ↔ worker bridge in Debian's Chromium: a page calls a worker's
 * in-worker Echo service through the generated client over connectWorker —
 * a bidi echo of 100,000 events, and unary, server-, client-streaming and
 * bidi calls — over transferred ReadableStreams and over the MessagePort
 * fallback with credits (forced), each with binary batches (the worker
 * announced Echo's codecs) and with the plain objects (encoding "clone").
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

const CASES = [
  { mode: "streams", encoding: "auto" },
  { mode: "port", encoding: "auto" },
  { mode: "streams", encoding: "clone" },
  { mode: "port", encoding: "clone" },
] as const;

test.serial("auto: the default mode is port (docs/bridge.md says why)", async (t) => {
  const page = await openBridgePage(t, browser, bundles);
  const result = await page.run<{ mode: string; received: number }>({ kind: "bidi", mode: "auto", encoding: "auto", count: 1000 });
  t.is(result.mode, "port");
  t.is(result.received, 1000);
});

for (const { mode, encoding } of CASES) {
  const binary = encoding === "auto";
  const name = `${mode}, ${binary ? "binary" : "cloned"}`;
  test.serial(`${name}: a bidi echo carries 100,000 events window → worker → window, in order, payloads intact`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const result = await page.run<{
      mode: string;
      received: number;
      ms: number;
      binary: boolean;
      record: { received: number; produced: number; finished: boolean };
    }>({ kind: "bidi", mode, encoding, count: 100_000 });
    t.is(result.mode, mode);
    t.is(result.binary, binary, "the call crossed as asked");
    t.is(result.received, 100_000);
    t.like(result.record, { received: 100_000, produced: 100_000, finished: true }, "the worker's handler saw every event once");
    t.log(`${name}: 100,000 events each way in ${Math.round(result.ms)} ms (${Math.round(100_000 / (result.ms / 1000))} msg/s)`);
  });

  test.serial(`${name}: unary, server-streaming, client-streaming and bidi calls`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const result = await page.run({ kind: "calls", mode, encoding });
    t.deepEqual(result, {
      mode,
      say: { text: "hi", header: "custom-header" },
      heard: [
        'say headers {"x-echo-header":"custom-header"}',
        'say trailers {"x-echo-trailer":"said hi"}',
        'failed say headers {"x-echo-header":"none"}',
        'failed say trailers {"x-echo-trailer":"said no"}',
        'repeat headers {"x-echo-header":"repeating"}',
        "repeat first message",
        'repeat trailers {"x-produced":"10000"}',
        "repeat done",
      ],
      repeat: { count: 10_000, inOrder: true },
      collect: { index: 5000, length: 5000, head: "012345678901" },
      chat: { count: 1000, inOrder: true },
      bigChat: { count: 200, intact: true },
      binary,
      twoConnections: [
        { count: 3000, texts: ["two"], error: undefined },
        { count: 3000, texts: ["one"], error: undefined },
      ],
    });
  });
}
