/**
 * Credit in Chromium: a worker that stops reading endless server streams
 * stalls their host handlers with at most the credit window in flight, and
 * another call on the same HTTP/2 connection still goes through. Three
 * floods of 8 KiB events: were their down streams left unread, each would
 * hold Chromium's per-stream window (~6 MiB) and together more than its
 * connection window (~15 MiB), stalling every request of the origin
 * (BROWSER-FACTS.md); the guest reads them into its credit-bounded buffer.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { bundleWorker, launchChromium, openPage, respond, runInWorker, selfSigned, servePage } from "./helpers/browser.js";
import { type EchoHost, echoGeneratedDir, startEchoHost } from "./helpers/host.js";
import { watchPairs } from "./helpers/pair-watch.js";
import type { PairInput } from "./browser/pair.worker.js";

const WORKER = fileURLToPath(new URL("./browser/pair.worker.ts", import.meta.url));
const WINDOW = 1024;
// Large enough that the window in messages is what binds (1024 × 8 KiB is 8 MiB); bytes: test/pair-credit-bytes.
const WINDOW_BYTES = 64 * 1024 * 1024;
const READ_FIRST = 100;
// What the handler may be ahead of the window: the event it is yielding and the one the host pulled to send.
const SLACK = 2;
const FLOODS = 3;

interface Probe {
  produced: number[];
  finished: boolean[];
}

interface StallResult {
  upload: string;
  stalled: Probe;
  say: string;
  echoed: number;
  thirdMs: number;
  afterThird: Probe;
  resumed: Probe;
  ended: Probe;
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: unread server streams stall their handlers at the credit window and do not stall other calls`, async (t) => {
    const browser = await launchChromium();
    t.teardown(() => browser.close());
    const worker = await bundleWorker(WORKER, { "echo-generated": await echoGeneratedDir() });
    let echo: EchoHost | undefined;
    const probe = (): Probe => {
      const floods = echo!.calls.filter((c) => c.method === "flood").sort((a, b) => (a.text < b.text ? -1 : 1));
      return { produced: floods.map((c) => c.produced), finished: floods.map((c) => c.finished) };
    };
    const page = servePage(worker, { "/probe": (stream) => respond(stream, "application/json", JSON.stringify(probe())) });
    echo = await startEchoHost(t, { tls: selfSigned(), fallback: page.fallback });
    const pairs = watchPairs(echo.host);
    const tab = await openPage(browser);
    const input: PairInput = { kind: "stall", upload, window: WINDOW, windowBytes: WINDOW_BYTES, readFirst: READ_FIRST, payloadBytes: 8192, floods: FLOODS };
    const result = await runInWorker<StallResult>(tab, echo.url, input, 60_000);
    t.log(JSON.stringify(result));

    t.is(result.stalled.produced.length, FLOODS);
    for (const produced of result.stalled.produced) {
      t.true(produced <= READ_FIRST + WINDOW + SLACK, `a stalled handler produced ${produced}: more than read + window`);
      // The guest grants in quarter-window steps, so the host may stop up to a quarter short of read + window.
      t.true(produced >= READ_FIRST + (WINDOW * 3) / 4, `a stalled handler produced only ${produced}: it stopped before its credit ran out`);
    }
    t.deepEqual(result.afterThird.produced, result.stalled.produced, "nothing moved while nobody read");
    t.is(result.say, "third");
    t.is(result.echoed, 2000);
    t.true(result.thirdMs < 20_000, `the third call took ${result.thirdMs} ms`);
    t.true(result.resumed.produced[0] >= result.stalled.produced[0] + WINDOW, "reading again granted more credit");
    t.deepEqual(result.resumed.produced.slice(1), result.stalled.produced.slice(1), "the other floods stayed stalled");
    t.deepEqual(result.ended.finished, [true, true, true], "return() on the iterators ended every handler");
    t.is(pairs.sessions.size, 1, "all calls shared one HTTP/2 connection");
  });
}
