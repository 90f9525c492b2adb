/**
 * Chromium through Debian's haproxy (TLS, HTTP/2, round-robin per request)
 * to three instances: 100 bidi, 100 client-streaming and 100 server-
 * streaming calls from a worker complete with every message once and in
 * order and no resume, streamed and with the fallback forced, although most
 * pairs have their halves on different instances (counted).
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { bundleWorker, launchChromium, openPage, runInWorker, selfSigned, servePage } from "./helpers/browser.js";
import { startEchoCluster } from "./helpers/cluster.js";
import { startHaproxy } from "./helpers/haproxy.js";
import { echoGeneratedDir } from "./helpers/host.js";
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

for (const upload of ["stream", "batch"] as const) {
  test.serial(`${upload}: 300 calls from Chromium through haproxy to three instances complete, most pairs split`, async (t) => {
    const page = servePage(worker);
    const cluster = await startEchoCluster(t, ["s1", "s2", "s3"], { fallback: page.fallback });
    const pairs = cluster.instances.map((i) => watchPairs(i.host));
    const haproxy = await startHaproxy(t, { route: "round-robin", tls: selfSigned(), backends: cluster.instances });
    const tab = await openPage(browser);
    t.teardown(() => tab.context().close());
    const input: PairInput = { kind: "mixed", upload, calls: 100, events: 200 };
    const result = await runInWorker<{ upload: string; ok: number; failed: number; failures: string[]; ms: number }>(tab, haproxy.url, input, 120_000);
    t.deepEqual(result.failures, [], `${result.failed} calls failed`);
    t.is(result.ok, 300);
    t.is(result.upload, upload);
    const downs = pairs.reduce((n, p) => n + p.counts.down, 0);
    const forwarded = cluster.forwarded();
    // Forwarded downs arrive twice (at the instance, then at the owner): a resume would show as more.
    t.is(downs - forwarded.down, 300, "one down per call: no resume, no client retry");
    const split = upload === "stream" ? forwarded.up : forwarded.batch;
    t.log(`${upload}: 300 calls in ${Math.round(result.ms)} ms; ${cluster.instances.map((i) => `${i.name} ${i.calls.length}`).join(", ")} calls; forwarded ${JSON.stringify(forwarded)}`);
    if (upload === "stream") t.true(split > 150, `${split} of 300 pairs had their up on another instance than their down`);
    else t.true(split > 150, `${split} batches went to another instance than their pair's`);
    for (const instance of cluster.instances) t.true(instance.calls.length > 30);
  });
}
