/**
 * CORS on a host, with raw node:http (HTTP/1.1) and node:http2 requests:
 * preflights from allowed origins answered with what the Connect and
 * gRPC-Web protocols send, other origins refused (preflight 403, calls
 * permission_denied before any handler runs), responses exposing the
 * protocols' headers and the handler's own; same-origin requests untouched;
 * a host without `cors` ignores Origin.
 */
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import test, { type ExecutionContext } from "ava";
import { selfSigned } from "./helpers/tls.js";
import { envelope, loadEcho, parseEnvelopes, rawRequest, rawSession, request, startEchoHost, type EchoHost } from "./helpers/host.js";

type Via = "1.1" | "2";
const ALLOWED = "https://app.example";
const OTHER = "https://evil.example";
const CORS = { allowedOrigins: [ALLOWED], allowedHeaders: ["x-custom", "x-set-header", "x-set-trailer"], exposedHeaders: ["x-extra"], maxAgeSeconds: 600 };

interface Reply {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function send(t: ExecutionContext, echo: EchoHost, via: Via, method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<Reply> {
  if (via === "2") {
    const session = await rawSession(t, echo.url);
    const r = await rawRequest(session, { ":method": method, ":path": path, ...headers }, body === undefined ? [] : [typeof body === "string" ? Buffer.from(body) : body]).response;
    return { status: r.status, headers: r.headers, body: r.body };
  }
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: echo.port, method, path, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const list = (value: unknown) => String(value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
const corsHeaders = (r: Reply) => Object.keys(r.headers).filter((name) => name.startsWith("access-control-"));
const sayJson = (text: string) => JSON.stringify({ text });

for (const via of ["1.1", "2"] as Via[]) {
  test(`HTTP/${via}: a preflight from an allowed origin → 204 with the protocols' headers and the configured ones`, async (t) => {
    const echo = await startEchoHost(t, { cors: CORS });
    const r = await send(t, echo, via, "OPTIONS", "/test.echo.Echo/Say", {
      origin: ALLOWED,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, connect-protocol-version, x-custom",
    });
    t.is(r.status, 204);
    t.is(r.body.length, 0);
    t.is(r.headers["access-control-allow-origin"], ALLOWED);
    t.true(list(r.headers.vary).includes("origin"), String(r.headers.vary));
    t.true(["post", "get"].every((m) => list(r.headers["access-control-allow-methods"]).includes(m)), String(r.headers["access-control-allow-methods"]));
    const allowed = list(r.headers["access-control-allow-headers"]);
    for (const name of ["content-type", "connect-protocol-version", "connect-timeout-ms", "grpc-timeout", "x-grpc-web", "x-user-agent", "x-custom", "x-set-header", "x-set-trailer"]) {
      t.true(allowed.includes(name), `allow-headers lacks ${name}: ${allowed.join(", ")}`);
    }
    t.is(r.headers["access-control-max-age"], "600");
    t.is(r.headers["access-control-allow-credentials"], undefined, "credentials only when allowCredentials");
    t.is(echo.calls.length, 0);
  });

  test(`HTTP/${via}: allowCredentials, an origin test function, and the default max-age`, async (t) => {
    const echo = await startEchoHost(t, { cors: { allowedOrigins: (origin) => origin.endsWith(".example"), allowCredentials: true } });
    const r = await send(t, echo, via, "OPTIONS", "/test.echo.Echo/Say", { origin: OTHER, "access-control-request-method": "POST" });
    t.is(r.status, 204);
    t.is(r.headers["access-control-allow-origin"], OTHER);
    t.is(r.headers["access-control-allow-credentials"], "true");
    t.is(r.headers["access-control-max-age"], "7200");
    const call = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { origin: OTHER, "content-type": "application/json" }, sayJson("creds"));
    t.is(call.status, 200);
    t.is(call.headers["access-control-allow-credentials"], "true");
  });

  test(`HTTP/${via}: a preflight from another origin → 403 naming it`, async (t) => {
    const echo = await startEchoHost(t, { cors: CORS });
    const r = await send(t, echo, via, "OPTIONS", "/test.echo.Echo/Say", { origin: OTHER, "access-control-request-method": "POST" });
    t.is(r.status, 403);
    t.true(r.body.toString().includes(OTHER), r.body.toString());
    t.is(r.headers["access-control-allow-origin"], undefined);
    t.is(echo.calls.length, 0);
  });

  test(`HTTP/${via}: a call from an allowed origin → allow-origin and expose-headers with the protocols' and the handler's headers`, async (t) => {
    const echo = await startEchoHost(t, { cors: CORS });
    const h = { origin: ALLOWED, "x-set-header": "h", "x-set-trailer": "tr" };
    const unary = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { ...h, "content-type": "application/json" }, sayJson("cors"));
    t.is(unary.status, 200, unary.body.toString());
    t.is(JSON.parse(unary.body.toString()).text, "cors");
    t.is(unary.headers["access-control-allow-origin"], ALLOWED);
    t.true(list(unary.headers.vary).includes("origin"));
    t.is(unary.headers["x-echo-header"], "h");
    t.is(unary.headers["trailer-x-echo-trailer"], "tr");
    const exposed = list(unary.headers["access-control-expose-headers"]);
    for (const name of ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-extra", "x-echo-header", "trailer-x-echo-trailer"]) {
      t.true(exposed.includes(name), `expose-headers lacks ${name}: ${exposed.join(", ")}`);
    }
    // gRPC-Web: the status travels in the body, the handler's header is exposed.
    const { EchoRequest } = await loadEcho();
    const web = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { ...h, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" }, envelope(EchoRequest.encode(request({ text: "web" }))));
    t.is(web.status, 200);
    t.is(web.headers["access-control-allow-origin"], ALLOWED);
    const webExposed = list(web.headers["access-control-expose-headers"]);
    t.true(["grpc-status", "grpc-message", "x-echo-header"].every((n) => webExposed.includes(n)), webExposed.join(", "));
    t.deepEqual(parseEnvelopes(web.body).map((f) => f.flags), [0x00, 0x80]);
    t.is((await echo.call("say", "web")).finished, true);
  });

  test(`HTTP/${via}: errors and Connect GET from an allowed origin carry the CORS headers too`, async (t) => {
    const echo = await startEchoHost(t, { cors: CORS });
    const failed = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { origin: ALLOWED, "content-type": "application/json" }, JSON.stringify({ text: "gone", failWith: 5 }));
    t.is(failed.status, 404);
    t.is(JSON.parse(failed.body.toString()).code, "not_found");
    t.is(failed.headers["access-control-allow-origin"], ALLOWED);
    const missing = await send(t, echo, via, "POST", "/test.echo.Echo/Nope", { origin: ALLOWED, "content-type": "application/json" }, "{}");
    t.is(JSON.parse(missing.body.toString()).code, "unimplemented");
    t.is(missing.headers["access-control-allow-origin"], ALLOWED);
    const get = await send(t, echo, via, "GET", `/test.echo.Echo/Say?connect=v1&encoding=json&message=${encodeURIComponent(sayJson("get"))}`, { origin: ALLOWED });
    t.is(get.status, 200, get.body.toString());
    t.is(JSON.parse(get.body.toString()).text, "get");
    t.is(get.headers["access-control-allow-origin"], ALLOWED);
  });

  test(`HTTP/${via}: a call from an origin not allowed → permission_denied, and its handler never runs`, async (t) => {
    const echo = await startEchoHost(t, { cors: CORS });
    const r = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { origin: OTHER, "content-type": "application/json" }, sayJson("nope"));
    t.is(r.status, 403);
    const error = JSON.parse(r.body.toString());
    t.is(error.code, "permission_denied");
    t.true(String(error.message).includes(OTHER), error.message);
    t.deepEqual(corsHeaders(r), []);
    const { EchoRequest } = await loadEcho();
    const stream = await send(t, echo, via, "POST", "/test.echo.Echo/Repeat", { origin: OTHER, "content-type": "application/connect+proto" }, envelope(EchoRequest.encode(request({ text: "nope", repeat: 3 }))));
    t.is(stream.status, 403);
    t.is(JSON.parse(stream.body.toString()).code, "permission_denied");
    // A moment for any handler that did start to show up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.is(echo.calls.length, 0, "no handler ran");
  });

  test(`HTTP/${via}: a same-origin call (Origin = the host's scheme://authority) passes without CORS headers`, async (t) => {
    const echo = await startEchoHost(t, { cors: CORS });
    const origin = `http://127.0.0.1:${echo.port}`;
    t.is(origin, echo.url);
    const r = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { origin, "content-type": "application/json" }, sayJson("same"));
    t.is(r.status, 200, r.body.toString());
    t.is(JSON.parse(r.body.toString()).text, "same");
    t.deepEqual(corsHeaders(r), [], "same-origin responses need no CORS headers");
    t.is((await echo.call("say", "same")).finished, true);
  });

  test(`HTTP/${via}: a host without cors ignores Origin: calls run, no CORS headers, no preflight answer`, async (t) => {
    const echo = await startEchoHost(t);
    const r = await send(t, echo, via, "POST", "/test.echo.Echo/Say", { origin: OTHER, "content-type": "application/json", "x-set-header": "h" }, sayJson("plain"));
    t.is(r.status, 200, r.body.toString());
    t.is(JSON.parse(r.body.toString()).text, "plain");
    t.deepEqual(corsHeaders(r), []);
    t.is((await echo.call("say", "plain")).finished, true);
    const preflight = await send(t, echo, via, "OPTIONS", "/test.echo.Echo/Say", { origin: OTHER, "access-control-request-method": "POST" });
    t.not(preflight.status, 204);
    t.deepEqual(corsHeaders(preflight), []);
  });
}

test("TLS: same-origin is https://authority, over HTTP/1.1 (ALPN) and HTTP/2", async (t) => {
  const echo = await startEchoHost(t, { cors: CORS, tls: selfSigned() });
  const origin = `https://127.0.0.1:${echo.port}`;
  t.is(origin, echo.url);
  const headers = { origin, "content-type": "application/json" };
  const one = await new Promise<Reply>((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port: echo.port, method: "POST", path: "/test.echo.Echo/Say", headers, rejectUnauthorized: false, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end(sayJson("tls1"));
  });
  t.is(one.status, 200, one.body.toString());
  t.deepEqual(corsHeaders(one), []);
  const session = http2.connect(echo.url, { rejectUnauthorized: false });
  session.on("error", () => undefined);
  t.teardown(() => void session.destroy());
  const two = await rawRequest(session, { ":method": "POST", ":path": "/test.echo.Echo/Say", ...headers }, [Buffer.from(sayJson("tls2"))]).response;
  t.is(two.status, 200, two.body.toString());
  t.deepEqual(Object.keys(two.headers).filter((n) => n.startsWith("access-control-")), []);
  // The same authority over plain http is another origin.
  const foreign = await rawRequest(session, { ":method": "POST", ":path": "/test.echo.Echo/Say", ...headers, origin: `http://127.0.0.1:${echo.port}` }, [Buffer.from(sayJson("x"))]).response;
  t.is(foreign.status, 403);
  t.deepEqual(echo.calls.map((c) => c.text).sort(), ["tls1", "tls2"]);
});
