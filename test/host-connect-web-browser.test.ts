/**
 * The stock browser client: @connectrpc/connect-web 2.1.1 with its default
 * options (`createConnectTransport({ baseUrl })`: the Connect protocol in
 * JSON, over fetch) in a page in Debian's Chromium, against a host serving
 * the echo fixture. Over HTTP/2 from the host's own origin (TLS), and over
 * HTTP/1.1 from another origin (an h2c host, which Chromium reaches with
 * HTTP/1.1, and CORS); a page on an origin the host does not allow is refused.
 *
 * The @bufbuild/protobuf descriptors are built from echo.proto with
 * protobufjs in Node (test/helpers/connect-es.ts) and handed to the
 * page as FileDescriptorSet bytes; the page's bundle holds only
 * @bufbuild/protobuf, @connectrpc/connect and @connectrpc/connect-web.
 */
import http from "node:http";
import type http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import type { Browser } from "playwright-core";
import { bundleWorker, launchChromium, openPage, respond, selfSigned } from "./helpers/browser.js";
import { echoDescriptorSetBytes } from "./helpers/connect-es.js";
import { startEchoHost, type EchoHost } from "./helpers/host.js";
import type { ConnectWebInput, ConnectWebResult } from "./browser/connect-web.page.js";

const PAGE_ENTRY = fileURLToPath(new URL("./browser/connect-web.page.ts", import.meta.url));
const HTML = `<!doctype html><meta charset=utf-8><title>connect-web test</title><link rel=icon href="data:,">
<script type=module src="/page.js"></script>
`;
const REPEAT = 50;
/** The request headers the page sends besides Connect's own, which a cross-origin host must allow. */
const CUSTOM_HEADERS = ["x-custom", "x-user", "x-set-header", "x-set-trailer"];

/** echo.proto as FileDescriptorSet bytes (with every json_name), base64, for the page. */
const descriptorSet = (): string => Buffer.from(echoDescriptorSetBytes()).toString("base64");

// One browser and one page bundle for the file; a context per test.
let browser: Browser;
let bundle: string;
const DESCRIPTOR_SET = descriptorSet();
test.before(async () => {
  [browser, bundle] = await Promise.all([launchChromium(), bundleWorker(PAGE_ENTRY)]);
});
test.after.always(() => browser?.close());

/** The page's files: `/` and its bundled script `/page.js`. */
function pageFile(path: string): { type: string; body: string } | undefined {
  if (path === "/") return { type: "text/html; charset=utf-8", body: HTML };
  if (path === "/page.js") return { type: "text/javascript; charset=utf-8", body: bundle };
  return undefined;
}

/** For a host's `fallback`: the page, or 404. */
function pageFallback(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const file = pageFile(String(headers[":path"] ?? "/").split("?")[0]);
  if (file) respond(stream, file.type, file.body);
  else respond(stream, "text/plain", "not found", 404);
}

/** A plain HTTP/1.1 server on 127.0.0.1:0 serving the page (another origin than the host); returns its origin. */
async function servePageElsewhere(t: ExecutionContext): Promise<string> {
  const server = http.createServer((req, res) => {
    const file = pageFile((req.url ?? "/").split("?")[0]);
    res.writeHead(file ? 200 : 404, { "content-type": file?.type ?? "text/plain", "cache-control": "no-store" });
    res.end(file?.body ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** One request of the page's, as Chromium's network stack saw it (DevTools protocol). */
interface SeenRequest {
  method: string;
  path: string;
  /** "h2", "http/1.1", ... ("" when no response came). */
  protocol: string;
  status: number;
}

interface PageReply {
  ok: boolean;
  result?: ConnectWebResult;
  error?: string;
}

/** Opens `pageUrl` in a fresh context, runs the calls in it, and returns their results and the Echo requests Chromium made. */
async function runPage(t: ExecutionContext, pageUrl: string, input: Omit<ConnectWebInput, "descriptorSet" | "repeat">): Promise<{ result: ConnectWebResult; requests: SeenRequest[] }> {
  const page = await openPage(browser);
  t.teardown(() => page.context().close());
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map<string, SeenRequest>();
  cdp.on("Network.requestWillBeSent", (e) => {
    const path = new URL(e.request.url).pathname;
    if (path.startsWith("/test.echo.Echo/")) byId.set(e.requestId, { method: e.request.method, path, protocol: "", status: 0 });
  });
  cdp.on("Network.responseReceived", (e) => {
    const seen = byId.get(e.requestId);
    if (seen) Object.assign(seen, { protocol: e.response.protocol ?? "", status: e.response.status });
  });
  await cdp.send("Network.enable");
  await page.goto(pageUrl);
  await page.waitForFunction(() => typeof (window as unknown as { runConnectWeb?: unknown }).runConnectWeb === "function", undefined, { timeout: 10_000 });
  const reply = await page.evaluate(
    (input) => (window as unknown as { runConnectWeb: (input: ConnectWebInput) => Promise<PageReply> }).runConnectWeb(input),
    { ...input, descriptorSet: DESCRIPTOR_SET, repeat: REPEAT },
  );
  if (!reply.ok) throw new Error(`in the page: ${reply.error}${errors.length ? `; page errors: ${errors.join("; ")}` : ""}`);
  return { result: reply.result!, requests: [...byId.values()] };
}

/** The calls went through, in JSON, and gave what the echo host answers. */
async function assertCalls(t: ExecutionContext, result: ConnectWebResult, echo: EchoHost): Promise<void> {
  t.deepEqual(result.say, { ok: true, value: { reply: { text: "hi ✓", index: 0, principal: "ada", header: "v" }, header: "h", trailer: "tr" } });
  t.deepEqual(result.repeat, {
    ok: true,
    value: { indexes: Array.from({ length: REPEAT }, (_, i) => i), texts: Array(REPEAT).fill("s"), trailer: "done" },
  });
  t.deepEqual(result.fail, { ok: false, error: { name: "ConnectError", code: 5, rawMessage: "no such thing ✗", message: "[not_found] no such thing ✗" } });

  const say = await echo.call("say", "hi ✓");
  const repeat = await echo.call("repeat", "s");
  const failed = await echo.call("say", "no such thing ✗");
  t.is(say.headers["content-type"], "application/json");
  t.is(failed.headers["content-type"], "application/json");
  t.is(repeat.headers["content-type"], "application/connect+json");
  t.is(say.headers["connect-protocol-version"], "1");
  t.is(repeat.produced, REPEAT);
}

/**
 * Every Echo POST Chromium made got a response (an error's too: NOT_FOUND is
 * HTTP 404) over `protocol`. Read from DevTools rather than the page's
 * resource timing, whose nextHopProtocol is "" cross-origin (no Timing-Allow-Origin).
 */
function assertProtocol(t: ExecutionContext, requests: SeenRequest[], protocol: string): void {
  const posts = requests.filter((r) => r.method === "POST");
  t.deepEqual(posts.map((r) => r.path).sort(), ["/test.echo.Echo/Repeat", "/test.echo.Echo/Say", "/test.echo.Echo/Say"]);
  t.true(posts.every((r) => r.protocol === protocol && r.status > 0), JSON.stringify(requests));
}

test("connect-web defaults over HTTP/2, same origin: unary with header and trailer, a server stream, an error, all JSON", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned(), fallback: pageFallback });
  const { result, requests } = await runPage(t, `${echo.url}/`, { baseUrl: echo.url });
  await assertCalls(t, result, echo);
  assertProtocol(t, requests, "h2");
  // Same origin, the page sees it too.
  t.deepEqual(result.protocols, { "/test.echo.Echo/Say": "h2", "/test.echo.Echo/Repeat": "h2" });
});

test("connect-web defaults over HTTP/1.1, cross-origin: an h2c host allowing the page's origin with CORS", async (t) => {
  const origin = await servePageElsewhere(t);
  const echo = await startEchoHost(t, {
    // No exposedHeaders: the host exposes what a call's response carries (x-echo-header, Connect's trailer-x-echo-trailer).
    cors: { allowedOrigins: [origin], allowedHeaders: CUSTOM_HEADERS },
  });
  t.not(new URL(echo.url).origin, origin);
  const { result, requests } = await runPage(t, `${origin}/`, { baseUrl: echo.url });
  await assertCalls(t, result, echo);
  assertProtocol(t, requests, "http/1.1");
  // Chromium asks first (a JSON POST's content type is not CORS-safelisted; answers are cached per path).
  const preflights = requests.filter((r) => r.method === "OPTIONS");
  t.true(preflights.length > 0 && preflights.every((r) => r.status === 204), JSON.stringify(requests));
});

test("connect-web from an origin the host does not allow: every call fails in the browser and no handler runs", async (t) => {
  const allowed = await servePageElsewhere(t);
  const origin = await servePageElsewhere(t);
  const echo = await startEchoHost(t, { cors: { allowedOrigins: [allowed], allowedHeaders: CUSTOM_HEADERS } });
  // The control: the same host answers the allowed origin.
  const control = await runPage(t, `${allowed}/`, { baseUrl: echo.url });
  t.like(control.result.say, { ok: true, value: { reply: { text: "hi ✓" } } });
  const served = echo.calls.length;
  t.is(served, 3);

  const { result, requests } = await runPage(t, `${origin}/`, { baseUrl: echo.url });
  // Chromium asked first (a preflight per call), the host said no, and the POSTs were never sent.
  const preflights = requests.filter((r) => r.method === "OPTIONS");
  t.is(preflights.length, 3, JSON.stringify(requests));
  t.true(preflights.every((r) => r.status === 403 && r.protocol === "http/1.1"), JSON.stringify(requests));
  t.true(requests.filter((r) => r.method === "POST").every((r) => r.status === 0), JSON.stringify(requests));
  // A fetch refused by CORS rejects with "TypeError: Failed to fetch", which connect-web turns into UNKNOWN.
  const refused = { ok: false, error: { name: "ConnectError", code: 2, rawMessage: "Failed to fetch", message: "[unknown] Failed to fetch" } };
  t.deepEqual(result.say, refused);
  t.deepEqual(result.repeat, refused);
  t.deepEqual(result.fail, refused);
  t.is(echo.calls.length, served, "no handler ran for the refused origin");
});
