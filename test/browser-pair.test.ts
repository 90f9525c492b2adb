/**
 * The pair in Debian's Chromium: a dedicated worker on a page served by a
 * generated host over HTTPS/HTTP/2 calls it through connectGateway — bidi
 * with 100,000 events each way, client and server streaming — once
 * streaming its request bodies and once with the POST-batch fallback forced;
 * and 550 calls at once on the page's one HTTP/2 connection.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { bundleWorker, launchChromium, openPage, runInWorker, selfSigned, servePage } from "./helpers/browser.js";
import { echoGeneratedDir, startEchoHost } from "./helpers/host.js";
import { watchPairs } from "./helpers/pair-watch.js";
import type { PairInput } from "./browser/pair.worker.js";

const WORKER = fileURLToPath(new URL("./browser/pair.worker.ts", import.meta.url));

let browser: Browser;
let worker: string;
test.before(async () => {
  browser = await launchChromium();
  worker = await bundleWorker(WORKER, { "echo-generated": await echoGeneratedDir() });
});
test.after.always(() => browser?.close());

async function setup(t: import("ava").ExecutionContext) {
  const page = servePage(worker);
  const echo = await startEchoHost(t, { tls: selfSigned(), fallback: page.fallback });
  const pairs = watchPairs(echo.host);
  const tab = await openPage(browser);
  t.teardown(() => tab.context().close());
  const run = <T>(input: PairInput, ms = 60_000) => runInWorker<T>(tab, echo.url, input, ms);
  return { echo, pairs, run, served: page.served };
}

for (const upload of ["stream", "batch"] as const) {
  test.serial(`${upload}: a bidi call from a worker carries 100,000 events each way, in order`, async (t) => {
    const { echo, pairs, run, served } = await setup(t);
    const result = await run<{ upload: string; received: number; ms: number }>({ kind: "bidi", upload, count: 100_000 });
    t.is(result.upload, upload);
    t.is(result.received, 100_000);
    const record = await echo.call("events");
    t.is(record.received, 100_000, "the handler saw every event once");
    t.true(record.finished);
    t.is(pairs.counts.down, 1, "no reconnects");
    if (upload === "stream") t.deepEqual([pairs.counts.up, pairs.counts.batch], [1, 0], "one streamed up request");
    else t.true(pairs.counts.up === 0 && pairs.counts.batch > 1, `ups ${pairs.counts.up}, batches ${pairs.counts.batch}`);
    t.is(pairs.sessions.size, 1, "every half on the page's one HTTP/2 session");
    t.true(served.every((r) => r.alpn === "h2"));
    t.log(`${upload}: 100,000 events each way in ${Math.round(result.ms)} ms; ${pairs.counts.batch} batches`);
  });

  test.serial(`${upload}: client-streaming and server-streaming calls from a worker`, async (t) => {
    const { echo, run } = await setup(t);
    const collected = await run<{ upload: string; index: number; length: number; head: string }>({ kind: "client", upload, count: 5000 });
    t.deepEqual(collected, { upload, index: 5000, length: 5000, head: "012345678901" });
    const repeated = await run<{ count: number; inOrder: boolean }>({ kind: "server", upload, count: 10_000 });
    t.is(repeated.count, 10_000);
    t.true(repeated.inOrder);
    t.true((await echo.call("collect")).finished);
    t.is((await echo.call("repeat")).produced, 10_000);
  });
}

test.serial("500 server-streaming and 50 bidi calls started at once from a worker, on the page's one HTTP/2 connection, all complete", async (t) => {
  const { echo, pairs, run } = await setup(t);
  // Chromium allows at most 256 streams on a connection; each pair needs two while it joins.
  const result = await run<{ ok: number; failed: number; failures: string[]; ms: number }>({ kind: "many", upload: "stream", calls: 500, bidis: 50 }, 120_000);
  t.deepEqual(result.failures, [], `${result.failed} calls failed`);
  t.is(result.ok, 550);
  t.is(pairs.sessions.size, 1, "every half on the page's one HTTP/2 session");
  t.is(echo.calls.filter((c) => c.method === "repeat").length, 500);
  t.log(`550 calls in ${Math.round(result.ms)} ms`);
});
