/**
 * Bridge tests: the page itself is the caller. A bundled window entry
 * (test/browser/bridge.page.ts) runs in the page at `/bridge`, starts the
 * bundled worker (test/browser/bridge.worker.ts) at `/worker.js`, and
 * exposes `runBridge(input)`. Both are served by the echo host, so a worker
 * handler can also call the host through its gateway.
 */
import { fileURLToPath } from "node:url";
import type { ExecutionContext } from "ava";
import type { Browser } from "playwright-core";
import { bundleWorker, openPage, respond, selfSigned, servePage } from "./browser.js";
import { type EchoHost, echoGeneratedDir, startEchoHost } from "./host.js";
import type { BridgeInput } from "../browser/bridge.page.js";

const PAGE_ENTRY = fileURLToPath(new URL("../browser/bridge.page.ts", import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL("../browser/bridge.worker.ts", import.meta.url));

const HTML = `<!doctype html><meta charset=utf-8><title>streampath bridge test</title><link rel=icon href="data:,">
<script type=module src="/page.js"></script>
`;

export interface BridgeBundles {
  page: string;
  worker: string;
}

/** The page and worker bundles, built once per test file. */
export async function bundleBridge(): Promise<BridgeBundles> {
  const alias = { "echo-generated": await echoGeneratedDir() };
  const [page, worker] = await Promise.all([bundleWorker(PAGE_ENTRY, alias), bundleWorker(WORKER_ENTRY, alias)]);
  return { page, worker };
}

export interface BridgePage {
  echo: EchoHost;
  /** Runs one input in the page; rejects with the page's error. */
  run<T>(input: BridgeInput, timeoutMs?: number): Promise<T>;
}

interface PageReply {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** A fresh page (its own context and worker) served by a fresh echo host, both closed at the test's end. */
export async function openBridgePage(t: ExecutionContext, browser: Browser, bundles: BridgeBundles): Promise<BridgePage> {
  const served = servePage(bundles.worker, {
    "/bridge": (stream) => respond(stream, "text/html; charset=utf-8", HTML),
    "/page.js": (stream) => respond(stream, "text/javascript; charset=utf-8", bundles.page),
  });
  const echo = await startEchoHost(t, { tls: selfSigned(), fallback: served.fallback });
  const tab = await openPage(browser);
  t.teardown(() => tab.context().close());
  const errors: string[] = [];
  tab.on("pageerror", (error) => errors.push(String(error)));
  // BRIDGE_CONSOLE=1 shows what the page logs, for debugging.
  if (process.env.BRIDGE_CONSOLE) tab.on("console", (m) => console.log("[page]", m.text()));
  await tab.goto(`${echo.url}/bridge`);
  await tab.waitForFunction(() => typeof (window as unknown as { runBridge?: unknown }).runBridge === "function", undefined, { timeout: 10_000 });
  return {
    echo,
    async run<T>(input: BridgeInput, timeoutMs = 60_000): Promise<T> {
      const reply = await tab.evaluate(
        ([input, timeoutMs]) => (window as unknown as { runBridge: (input: unknown, ms: number) => Promise<PageReply> }).runBridge(input, timeoutMs),
        [input, timeoutMs] as const,
      );
      if (!reply.ok) throw new Error(`in the page: ${reply.error}${errors.length ? `; page errors: ${errors.join("; ")}` : ""}`);
      return reply.result as T;
    },
  };
}
