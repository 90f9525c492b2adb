/**
 * Real-browser tests: Debian's Chromium (driven by playwright-core, never
 * Playwright's own browsers) runs a bundled TS entry in a dedicated worker,
 * served over HTTPS/HTTP/2 by the project's own host. See
 * /work/shared/BROWSER-FACTS.md for the flags and what was measured.
 *
 * Worker entries call `serveTest(main)` from test/browser/worker-main.ts.
 */
import { existsSync } from "node:fs";
import type http2 from "node:http2";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
export { selfSigned } from "./tls.js";
import { selfSigned } from "./tls.js";
import { createHost, type Authenticate, type Host, type HostLimits, type ServiceRegistration } from "../../runtime/host/index.js";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  // QUIC would let Chromium leave the HTTP/2 session the tests are about.
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Service workers ignore the context's ignoreHTTPSErrors; the flag covers them too.
  "--ignore-certificate-errors",
];

/** Debian's Chromium, headless; throws how to install it when missing (tests fail, not skip). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: browser tests need Debian's package (apt-get install -y chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A page in a fresh context that accepts the host's self-signed certificate. */
export async function openPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  return context.newPage();
}

/**
 * Bundles a TS entry for a module worker, in memory. The "source" condition
 * makes `streampath/runtime/...` self-imports resolve to the TS sources;
 * `alias` maps bare names to directories (code generated for this process).
 */
export async function bundleWorker(entry: string, alias?: Record<string, string>): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    alias,
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    conditions: ["source"],
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}


export type Route = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

export interface BrowserHostOptions<P = unknown> {
  services: ServiceRegistration[];
  /** The TS file the page runs in its worker, as `/worker.js`. */
  workerEntry: string;
  /** esbuild aliases for the worker's bundle. */
  alias?: Record<string, string>;
  authenticate?: Authenticate<P>;
  limits?: Partial<HostLimits>;
  /** More paths (without the query) to serve, any method that is not a streampath call; anything else gets 404. */
  routes?: Record<string, Route>;
}

/** One non-POST request the host answered: its path and the session's ALPN protocol. */
export interface ServedRequest {
  path: string;
  alpn: string | false | undefined;
}

export interface BrowserHost {
  host: Host;
  /** `https://127.0.0.1:PORT`; the page is at `/`. */
  url: string;
  /** Every non-POST request, in order of arrival. */
  served: ServedRequest[];
  close(): Promise<void>;
}

/**
 * The page's `runWorker(input, timeoutMs)`: lives in the page rather than in a
 * page.evaluate callback because tsx rewrites named functions in this file to
 * call a `__name` helper the page does not have.
 */
const PAGE = `<!doctype html><meta charset=utf-8><title>streampath browser test</title><link rel=icon href="data:,">
<script>
function runWorker(input, timeoutMs) {
  return new Promise((resolve) => {
    const worker = new Worker("/worker.js", { type: "module" });
    const timer = setTimeout(() => done({ ok: false, error: "no reply from the worker within " + timeoutMs + " ms" }), timeoutMs);
    function done(reply) {
      clearTimeout(timer);
      worker.terminate();
      resolve(reply);
    }
    worker.onmessage = (e) => done(e.data);
    worker.onmessageerror = () => done({ ok: false, error: "the worker's reply could not be deserialized" });
    worker.onerror = (e) =>
      done({ ok: false, error: "worker error event: " + (e.message || "(no message: did /worker.js load?)") + " at " + e.filename + ":" + e.lineno + ":" + e.colno });
    worker.postMessage(input);
  });
}
</script>
`;

/** A whole response with `no-store`, so each test sees a fresh page and worker. */
export function respond(stream: http2.ServerHttp2Stream, type: string, body: string | Uint8Array, status = 200): void {
  stream.respond({ ":status": status, "content-type": type, "cache-control": "no-store" });
  stream.end(body);
}

export interface ServedPage {
  /** For `createHost({ fallback })`. */
  fallback: Route;
  /** Every request the fallback answered, in order of arrival. */
  served: ServedRequest[];
}

/** Serves the page at `/`, the bundled `worker` at `/worker.js`, and `routes`; anything else gets 404. */
export function servePage(worker: string, routes: Record<string, Route> = {}): ServedPage {
  const served: ServedRequest[] = [];
  const fallback: Route = (stream, headers) => {
    const path = String(headers[":path"] ?? "/").split("?")[0];
    served.push({ path, alpn: stream.session?.alpnProtocol });
    if (path === "/") return respond(stream, "text/html; charset=utf-8", PAGE);
    if (path === "/worker.js") return respond(stream, "text/javascript; charset=utf-8", worker);
    const route = routes[path];
    if (route) return route(stream, headers);
    respond(stream, "text/plain", "not found", 404);
  };
  return { fallback, served };
}

/** A TLS host on 127.0.0.1:0 serving `services`, the page at `/` and the bundled worker at `/worker.js`. */
export async function startBrowserHost<P = unknown>(options: BrowserHostOptions<P>): Promise<BrowserHost> {
  const page = servePage(await bundleWorker(options.workerEntry, options.alias), options.routes);
  const host = await createHost({
    services: options.services,
    tls: selfSigned(),
    authenticate: options.authenticate,
    limits: options.limits,
    fallback: page.fallback,
  });
  return { host, url: host.url, served: page.served, close: () => host.close(100) };
}

interface WorkerReply {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/**
 * Opens the page at `url`, starts its module worker, posts `input` and
 * resolves with the worker's result; rejects with the worker's error, an
 * `error` event (a script that fails to load or throws at top level), or
 * after `timeoutMs`. Values cross by structured clone and Playwright's
 * serializer (typed arrays and bigints survive both).
 */
export async function runInWorker<T = unknown>(page: Page, url: string, input?: unknown, timeoutMs = 10_000): Promise<T> {
  await page.goto(url, { timeout: timeoutMs });
  const reply = await page.evaluate(
    ([input, timeoutMs]) => (window as unknown as { runWorker: (input: unknown, ms: number) => Promise<WorkerReply> }).runWorker(input, timeoutMs),
    [input, timeoutMs] as const,
  );
  if (!reply.ok) throw new Error(`in the browser worker: ${reply.error}`);
  return reply.result as T;
}
