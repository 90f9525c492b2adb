// The real-browser harness end to end: Debian's Chromium runs a bundled worker served by the host over HTTPS/HTTP/2.
import test from "ava";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { launchChromium, openPage, respond, runInWorker, startBrowserHost } from "./helpers/browser.js";

const WORKER = fileURLToPath(new URL("./browser/smoke.worker.ts", import.meta.url));

// One browser for the file (launching takes about half a second); a context per test.
let browser: Browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after.always(() => browser?.close());

test("a worker in Chromium loads over HTTPS/HTTP/2, runs the project's runtime and fetches from the host", async (t) => {
  const server = await startBrowserHost({
    services: [],
    workerEntry: WORKER,
    routes: { "/ping": (stream) => respond(stream, "text/plain", "pong") },
  });
  t.teardown(() => server.close());
  const page = await openPage(browser);
  t.teardown(() => page.context().close());

  const result = await runInWorker<{ protocol: string; encoded: number[]; decoded: string[]; ping: { status: number; body: string } }>(
    page,
    server.url,
    { text: "hi" },
  );
  t.is(result.protocol, "https:");
  t.deepEqual(result.encoded, [0, 0, 0, 0, 2, 0x68, 0x69]);
  t.deepEqual(result.decoded, ["hi"]);
  t.deepEqual(result.ping, { status: 200, body: "pong" });
  t.deepEqual(server.served.map((r) => r.path), ["/", "/worker.js", "/ping"]);
  t.true(server.served.every((r) => r.alpn === "h2"), JSON.stringify(server.served));
});

test("a worker's failure rejects runInWorker with its message", async (t) => {
  const server = await startBrowserHost({ services: [], workerEntry: WORKER });
  t.teardown(() => server.close());
  const page = await openPage(browser);
  t.teardown(() => page.context().close());
  // A null input makes `input.text` throw in the worker, before its fetch.
  const error = await t.throwsAsync(runInWorker(page, server.url, null));
  t.regex(error!.message, /^in the browser worker: TypeError: Cannot read properties of null/);
});
