/**
 * Resume in Chromium: during a 100,000-event bidi call from a worker, the
 * host resets the down stream, then the up stream (or a fallback batch),
 * then both, at random points many times; the handler and the worker each
 * see every event exactly once, in order (the worker checks each echo).
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { bundleWorker, launchChromium, openPage, runInWorker, selfSigned, servePage } from "./helpers/browser.js";
import { echoGeneratedDir, startEchoHost } from "./helpers/host.js";
import { resetHalves, seeded, watchPairs } from "./helpers/pair-watch.js";
import type { PairInput } from "./browser/pair.worker.js";

const WORKER = fileURLToPath(new URL("./browser/pair.worker.ts", import.meta.url));
const COUNT = 100_000;

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: the host resets halves of a worker's 100,000-event call many times; nothing lost or repeated`, async (t) => {
    const browser = await launchChromium();
    t.teardown(() => browser.close());
    const page = servePage(await bundleWorker(WORKER, { "echo-generated": await echoGeneratedDir() }));
    const echo = await startEchoHost(t, { tls: selfSigned(), fallback: page.fallback });
    const watch = watchPairs(echo.host, "/test.echo.Echo/Events");
    const tab = await openPage(browser);
    const input: PairInput = { kind: "bidi", upload, count: COUNT, window: 512, retry: { attempts: 6, baseMs: 5, capMs: 50 } };
    const running = runInWorker<{ upload: string; received: number; ms: number }>(tab, echo.url, input, 120_000);
    // Resets start once the call is under way, so the page and worker load undisturbed.
    for (let i = 0; i < 500 && watch.counts.down === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const received = () => echo.calls.find((c) => c.method === "events")?.received ?? 0;
    const resets = resetHalves(watch, { random: seeded(upload === "stream" ? 13 : 17), rounds: 45, minMs: 10, maxMs: 80, progress: received });
    let result;
    try {
      result = await running;
    } finally {
      await resets.stop();
    }
    t.is(result.received, COUNT, "the worker saw every echo once, in order");
    const record = await echo.call("events");
    t.is(record.received, COUNT, "the handler saw every event once");
    t.true(record.finished);
    const { rounds, downs, ups } = resets.state;
    t.log(`${Math.round(result.ms)} ms; reset rounds ${rounds} (downs ${downs}, ups ${ups}); requests ${JSON.stringify(watch.counts)}`);
    t.true(rounds >= 10 && downs >= 3 && ups >= 3, `too few resets landed: ${JSON.stringify(resets.state)}`);
  });
}
