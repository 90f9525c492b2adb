/**
 * A window that breaks the bridge's port protocol, in Chromium: the page
 * opens calls on ports by hand and sends what a well-behaved window never
 * does. Each call fails with a clear status and message from the worker —
 * past its credit (resource_exhausted), past its batch limit, a bad credit,
 * a bad window, path or deadline, a binary call the worker has no codecs
 * for, bytes that do not decode — and the worker goes on serving other calls.
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

type Wire = { code: number; message: string } | undefined;

test("bad input on a call's port fails that call with a status, and the worker serves on", async (t) => {
  const page = await openBridgePage(t, browser, bundles);
  const r = await page.run<Record<string, Wire | string>>({ kind: "protocol", mode: "port" });
  const is = (name: string, code: number, message: RegExp) => {
    const error = r[name] as Wire;
    t.is(error?.code, code, `${name}: ${JSON.stringify(error)}`);
    t.regex(error?.message ?? "", message, name);
  };
  is("pastCredit", 8, /10 messages in flight, past the window of 8/);
  is("pastBatch", 13, /5 messages in one packet, more than its batch limit of 4/);
  is("badCredit", 13, /a credit of -3/);
  is("badWindow", 3, /window must be an integer/);
  is("noPath", 3, /without a method path/);
  is("badDeadline", 3, /bad timeoutMs/);
  is("binaryUnknown", 13, /codecs this worker does not have/);
  is("garbageBytes", 3, /does not decode/);
  t.is(r.after, "after");
});
