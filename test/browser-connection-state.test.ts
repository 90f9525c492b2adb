/**
 * The connection state a window sees, in Chromium: the page connects to its
 * worker with connectWorker; the worker keeps a server stream open to the
 * host through its gateway and relays the gateway's state with serveBridge.
 * The window sees connecting → live; the host closed → reconnecting within
 * 2 s, with the error; the host back on the same port → live again, with no
 * reload. A worker that fails before it serves leaves the window offline.
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { bundleWorker, launchChromium, openPage, respond, selfSigned, servePage } from "./helpers/browser.js";
import { echoGeneratedDir } from "./helpers/host.js";
import { restartableEchoHost } from "./helpers/restartable-host.js";
import type { Recorded } from "./browser/connection-state.page.js";

const PAGE_ENTRY = fileURLToPath(new URL("./browser/connection-state.page.ts", import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL("./browser/connection-state.worker.ts", import.meta.url));
const HTML = `<!doctype html><meta charset=utf-8><title>streampath connection state</title><link rel=icon href="data:,">
<script type=module src="/page.js"></script>
`;

let browser: Browser;
let bundles: { page: string; worker: string };
test.before(async () => {
  browser = await launchChromium();
  const alias = { "echo-generated": await echoGeneratedDir() };
  const [page, worker] = await Promise.all([bundleWorker(PAGE_ENTRY, alias), bundleWorker(WORKER_ENTRY, alias)]);
  bundles = { page, worker };
});
test.after.always(() => browser?.close());

async function open(t: import("ava").ExecutionContext) {
  const served = servePage(bundles.worker, {
    "/state": (stream) => respond(stream, "text/html; charset=utf-8", HTML),
    "/page.js": (stream) => respond(stream, "text/javascript; charset=utf-8", bundles.page),
  });
  const echo = await restartableEchoHost(t, { tls: selfSigned(), fallback: served.fallback });
  const tab = await openPage(browser);
  t.teardown(() => tab.context().close());
  await tab.goto(`${echo.url}/state`);
  await tab.waitForFunction(() => "connectionStates" in window, undefined, { timeout: 10_000 });
  return { echo, tab };
}

const states = (tab: Page) => tab.evaluate(() => (window as unknown as { connectionStates: Recorded[] }).connectionStates);
const now = (tab: Page) => tab.evaluate(() => performance.now());

/** The first state of `kind` the page recorded at or after `after` (page time). */
async function next(tab: Page, kind: Recorded["kind"], after: number, ms: number): Promise<Recorded> {
  let last: Recorded[] = [];
  for (const end = Date.now() + ms; Date.now() < end; ) {
    last = await states(tab);
    const found = last.find((s) => s.kind === kind && s.at >= after);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${kind} within ${ms} ms; the page saw ${last.map((s) => s.kind).join(" → ")}`);
}

test.serial("the window sees connecting → live, reconnecting with the error within 2 s of the host's close, and live again when it is back on the same port", async (t) => {
  const { echo, tab } = await open(t);
  const live = await next(tab, "live", 0, 10_000);
  const first = await states(tab);
  t.is(first[0].kind, "connecting");
  t.deepEqual(first.map((s) => s.kind), ["connecting", "live"]);

  const closedAt = await now(tab);
  await echo.stop(100);
  const reconnecting = await next(tab, "reconnecting", closedAt, 2000);
  const ms = reconnecting.at - closedAt;
  t.true(ms < 2000, `reconnecting ${Math.round(ms)} ms after the host's close`);
  t.is(reconnecting.attempt, 1);
  t.truthy(reconnecting.message, "with the error");

  await new Promise((resolve) => setTimeout(resolve, 1000)); // a while down: probes fail
  const during = (await states(tab)).filter((s) => s.at >= closedAt);
  t.true(during.every((s) => s.kind === "reconnecting"), during.map((s) => s.kind).join(" → "));
  const backAt = await now(tab);
  await echo.start();
  const again = await next(tab, "live", backAt, 5000);
  t.log(`live ${Math.round(live.at)} ms after the page loaded; reconnecting ${Math.round(ms)} ms after the host's close ("${reconnecting.message}"); attempts while down: ${during.map((s) => s.attempt).join(", ")}; live ${Math.round(again.at - backAt)} ms after its return`);
});

test.serial("the network going offline is offline at once; back online, live again within about a second", async (t) => {
  const { tab } = await open(t);
  await next(tab, "live", 0, 10_000);
  const offAt = await now(tab);
  await tab.context().setOffline(true);
  const offline = await next(tab, "offline", offAt, 2000);
  t.regex(offline.message ?? "", /offline/);
  const onAt = await now(tab);
  await tab.context().setOffline(false);
  const live = await next(tab, "live", onAt, 3000);
  t.log(`offline ${Math.round(offline.at - offAt)} ms after the network went ("${offline.message}"); live ${Math.round(live.at - onAt)} ms after it came back`);
});

test.serial("a worker that fails before it serves leaves the window offline, saying why", async (t) => {
  const { tab } = await open(t);
  const broken = await tab.evaluate(() => (window as unknown as { brokenWorkerState: () => Promise<Recorded> }).brokenWorkerState());
  t.is(broken.kind, "offline");
  t.regex(broken.message ?? "", /the worker failed before it served/);
});
