/**
 * Errors across the bridge in Chromium, in both modes: a worker handler's
 * StreampathError crosses as its code and message, a plain Error as
 * unknown with its message, a failure after some responses ends the
 * window's iteration after them, an unknown method is unimplemented, and
 * the window's own failing request stream reaches the handler and comes
 * back, a message structured clone cannot carry fails its call with
 * invalid_argument; the connection serves the next call unaffected. A
 * worker that fails before it serves (its script missing, or throwing) fails
 * the calls made on it with unavailable at once, not at their deadline.
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
  test.serial(`${mode}: errors cross as status code and message`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const result = await page.run<Record<string, unknown>>({ kind: "errors", mode });
    t.deepEqual(result.unary, { name: "StreampathError", code: 3, message: "bad argument" });
    t.deepEqual(result.plain, { name: "StreampathError", code: 2, message: "a plain Error" });
    t.deepEqual(result.midStream, { count: 5, error: { name: "StreampathError", code: 9, message: "five then fail" } });
    t.like(result.unknown, { name: "StreampathError", code: 12 });
    t.regex((result.unknown as { message: string }).message, /no method \/test\.echo\.Echo\/Nope/);
    t.deepEqual(result.brokenRequests, { name: "StreampathError", code: 2, message: "the requests broke" });
    t.true(result.requestsFinished);
    t.like(result.uncloneable, { name: "StreampathError", code: 3 }, "a message that cannot be cloned fails its call");
    t.like(result.uncloneableStream, { name: "StreampathError", code: 3 });
    t.log(JSON.stringify([result.uncloneable, result.uncloneableStream]));
    t.is(result.after, "still fine");
    t.is(result.afterCloning, "cloning still fine", "the connection serves the next call");
  });
}

for (const mode of ["streams", "port"] as const) {
  test.serial(`${mode}: a worker that fails before it serves fails its calls unavailable at once`, async (t) => {
    const page = await openBridgePage(t, browser, bundles);
    const result = await page.run<Record<string, { error: { code: number; message: string }; ms: number }>>({ kind: "broken-worker", mode }, 20_000);
    t.log(JSON.stringify(result));
    for (const name of ["missing", "throwing"]) {
      t.is(result[name]!.error.code, 14, `${name}: unavailable`);
      t.regex(result[name]!.error.message, /^the worker failed before it served: /, name);
      t.true(result[name]!.ms < 5_000, `${name}: failed at once, not at a deadline`);
    }
    t.regex(result.throwing!.error.message, /boom before serving/);
  });
}
