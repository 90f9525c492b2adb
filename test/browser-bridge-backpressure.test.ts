/**
 * Back-pressure across the bridge in Chromium, in both modes: a window that
 * stops reading an endless server stream stalls the worker handler's
 * producer with a bounded number produced, and reading again resumes it.
 *
 * The bound, with W = window and B = maxBatch (messages):
 * - port: the worker sends only within credit, and the window grants credit
 *   only for messages its reader took, so at most W are past the reader;
 * - streams: the worker's response stream keeps no queue and its pump
 *   gathers at most B until the stream is read, the transfer between realms
 *   holds at most one chunk in each realm, and the window reads one packet
 *   ahead of the one its reader is in (≤ 5B);
 * plus what the handler is ahead of the bridge: the event it is yielding and
 * the one the bridge has pulled (SLACK).
 */
import test from "ava";
import type { Browser } from "playwright-core";
import { launchChromium } from "./helpers/browser.js";
import {
  type BridgeBundles,
  bundleBridge,
  openBridgePage,
} from "./helpers/bridge-page.js";

const WINDOW = 64;
const MAX_BATCH = 16;
const READ_FIRST = 100;
const SLACK = 2;
const BOUND = {
  port: READ_FIRST + WINDOW + SLACK,
  streams: READ_FIRST + 5 * MAX_BATCH + SLACK,
};

let browser: Browser;
let bundles: BridgeBundles;
test.before(async () => {
  browser = await launchChromium();
  bundles = await bundleBridge();
});
test.after.always(() => browser?.close());

for (const mode of ["streams", "port"] as const) {
  test.serial(
    `${mode}: a window that stops reading stalls the worker's producer within the window, and reading resumes it`,
    async (t) => {
      const page = await openBridgePage(t, browser, bundles);
      const r = await page.run<{
        stalled: number;
        stillStalled: number;
        read: number;
        resumed: number;
        record: { aborted: boolean; finished: boolean; produced: number };
      }>({
        kind: "stall",
        mode,
        window: WINDOW,
        maxBatch: MAX_BATCH,
        readFirst: READ_FIRST,
      });
      t.log(JSON.stringify(r));
      t.true(
        r.stalled <= BOUND[mode],
        `the stalled producer made ${r.stalled}, more than ${BOUND[mode]}`,
      );
      // Port: half the credit at least was used; streams: a batch at least was in flight.
      const least =
        mode === "port" ? READ_FIRST + WINDOW / 2 : READ_FIRST + MAX_BATCH;
      t.true(
        r.stalled >= least,
        `the producer stopped at ${r.stalled}, before ${least}`,
      );
      t.is(r.stillStalled, r.stalled, "nothing moved while nobody read");
      t.true(
        r.resumed >= r.stalled + WINDOW,
        `reading again resumed the producer only from ${r.stalled} to ${r.resumed}`,
      );
      t.true(
        r.resumed <= r.read + BOUND[mode] - READ_FIRST,
        `after reading ${r.read}, the producer made ${r.resumed}: past the bound again`,
      );
      t.like(
        r.record,
        { aborted: true, finished: true },
        "return() ended the handler",
      );
    },
  );
}
