/**
 * Connect GET (`?connect=v1&encoding=proto|json&message=...`), over HTTP/2
 * and HTTP/1.1: proto as URL-safe base64 (`base64=1`), json percent-encoded,
 * gzip-compressed messages; refused for methods not marked
 * `idempotency_level = NO_SIDE_EFFECTS` (their handler never runs) and for
 * streaming methods; a message over maxMessageBytes is resource_exhausted.
 */
import http from "node:http";
import { gzipSync } from "node:zlib";
import test, { type ExecutionContext } from "ava";
import { createHost, implement } from "../runtime/host/index.js";
import { loadEcho, rawRequest, rawSession, request, startEchoHost, type EchoRequest } from "./helpers/host.js";

type Via = "1.1" | "2";

interface Reply {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET of `path` on the host at `url`, over HTTP/2 or HTTP/1.1. */
async function get(t: ExecutionContext, url: string, via: Via, path: string): Promise<Reply> {
  if (via === "2") {
    const session = await rawSession(t, url);
    const r = await rawRequest(session, { ":method": "GET", ":path": path }).response;
    return { status: r.status, headers: r.headers, body: r.body };
  }
  const { port } = new URL(url);
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "GET", path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const protoQuery = (bytes: Uint8Array, extra = "") => `?connect=v1&encoding=proto&base64=1${extra}&message=${base64url(bytes)}`;
const jsonQuery = (value: object) => `?connect=v1&encoding=json&message=${encodeURIComponent(JSON.stringify(value))}`;
const errorOf = (r: Reply) => JSON.parse(r.body.toString("utf8")) as { code: string; message: string };

async function encoded(init: Partial<EchoRequest>): Promise<Uint8Array> {
  const { EchoRequest } = await loadEcho();
  return EchoRequest.encode(request(init));
}

for (const via of ["2", "1.1"] as Via[]) {
  test(`HTTP/${via}: proto message as URL-safe base64 (base64=1)`, async (t) => {
    const echo = await startEchoHost(t);
    const { EchoReply } = await loadEcho();
    // Chosen so that its base64 has both URL-safe characters ('-' for '+', '_' for '/').
    const text = "get ~~~???>>>ÿ";
    const bytes = await encoded({ text });
    t.regex(base64url(bytes), /-/);
    t.regex(base64url(bytes), /_/);
    const r = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(bytes)}`);
    t.is(r.status, 200, r.body.toString());
    t.regex(String(r.headers["content-type"]), /^application\/proto/);
    t.like(EchoReply.decode(r.body), { text, principal: "anon" });
    // Standard base64 with its padding percent-encoded is read too.
    const padded = Buffer.from(await encoded({ text: "pad" })).toString("base64");
    t.regex(padded, /=$/);
    const p = await get(t, echo.url, via, `/test.echo.Echo/Say?connect=v1&encoding=proto&base64=1&message=${encodeURIComponent(padded)}`);
    t.is(p.status, 200, p.body.toString());
    t.is(EchoReply.decode(p.body).text, "pad");
  });

  test(`HTTP/${via}: json message percent-encoded`, async (t) => {
    const echo = await startEchoHost(t);
    const text = 'json & = ? # % + "quoted" ✓';
    const r = await get(t, echo.url, via, `/test.echo.Echo/Say${jsonQuery({ text })}`);
    t.is(r.status, 200, r.body.toString());
    t.regex(String(r.headers["content-type"]), /^application\/json/);
    t.like(JSON.parse(r.body.toString("utf8")), { text, principal: "anon" });
    t.is((await echo.call("say", text)).received, 1);
  });

  test(`HTTP/${via}: compression=gzip, proto and json`, async (t) => {
    const echo = await startEchoHost(t);
    const { EchoReply } = await loadEcho();
    const proto = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(gzipSync(await encoded({ text: "zipped" })), "&compression=gzip")}`);
    t.is(proto.status, 200, proto.body.toString());
    t.is(EchoReply.decode(proto.body).text, "zipped");
    const json = gzipSync(JSON.stringify({ text: "zipped json" }));
    const r = await get(t, echo.url, via, `/test.echo.Echo/Say?connect=v1&encoding=json&base64=1&compression=gzip&message=${base64url(json)}`);
    t.is(r.status, 200, r.body.toString());
    t.is(JSON.parse(r.body.toString("utf8")).text, "zipped json");
    // An encoding the host cannot read, and bytes that are not gzip.
    const zstd = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(await encoded({ text: "z" }), "&compression=zstd")}`);
    t.is(errorOf(zstd).code, "unimplemented");
    const notGzip = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(await encoded({ text: "z" }), "&compression=gzip")}`);
    t.is(notGzip.status, 400);
    t.is(errorOf(notGzip).code, "invalid_argument");
    t.is(echo.calls.length, 2, "only the two good GETs ran");
  });

  test(`HTTP/${via}: a method not marked no_side_effects → unimplemented, use POST; its handler never runs`, async (t) => {
    const { Echo, EchoReply } = await loadEcho();
    const ran: string[] = [];
    const copy = { ...Echo, methods: { ...Echo.methods, say: { ...Echo.methods.say, idempotency: undefined } } };
    const impl = {
      say: (req: EchoRequest) => (ran.push(req.text), EchoReply.create({ text: req.text })),
      ...Object.fromEntries(["repeat", "collect", "chat", "events", "flood"].map((name) => [name, () => { throw new Error("not here"); }])),
    };
    const host = await createHost({ h2c: true, services: [implement(copy, impl as never)] });
    t.teardown(() => host.close(100));
    for (const path of [`/test.echo.Echo/Say${jsonQuery({ text: "side" })}`, `/test.echo.Echo/Say${protoQuery(await encoded({ text: "side" }))}`]) {
      const r = await get(t, host.url, via, path);
      t.is(r.status, 501, path);
      const error = errorOf(r);
      t.is(error.code, "unimplemented");
      t.regex(error.message, /POST/);
      t.regex(error.message, /NO_SIDE_EFFECTS|no_side_effects/i);
    }
    t.deepEqual(ran, [], "the handler never ran");
    // The same method by POST is fine.
    const post = await fetch(`${host.url}/test.echo.Echo/Say`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "posted" }) });
    t.is(post.status, 200);
    t.deepEqual(ran, ["posted"]);
  });

  test(`HTTP/${via}: a GET to a streaming method is refused`, async (t) => {
    const echo = await startEchoHost(t);
    for (const path of [`/test.echo.Echo/Repeat${jsonQuery({ text: "s", repeat: 2 })}`, `/test.echo.Echo/Flood${protoQuery(await encoded({ repeat: 1 }))}`]) {
      const r = await get(t, echo.url, via, path);
      t.not(r.status, 200, path);
      const error = errorOf(r);
      t.is(error.code, "unimplemented", path);
      t.regex(error.message, /stream/, path);
    }
    t.is(echo.calls.length, 0, "no handler ran");
  });

  test(`HTTP/${via}: a message over maxMessageBytes → resource_exhausted`, async (t) => {
    const echo = await startEchoHost(t, { limits: { maxMessageBytes: 256 } });
    const big = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(await encoded({ text: "b".repeat(400) }))}`);
    t.is(big.status, 429);
    t.is(errorOf(big).code, "resource_exhausted");
    const bigJson = await get(t, echo.url, via, `/test.echo.Echo/Say${jsonQuery({ text: "j".repeat(400) })}`);
    t.is(errorOf(bigJson).code, "resource_exhausted");
    // Small compressed, large inflated.
    const bomb = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(gzipSync(await encoded({ text: "x".repeat(10_000) })), "&compression=gzip")}`);
    t.is(errorOf(bomb).code, "resource_exhausted");
    const fits = await get(t, echo.url, via, `/test.echo.Echo/Say${protoQuery(await encoded({ text: "s".repeat(200) }))}`);
    t.is(fits.status, 200);
    t.is(echo.calls.length, 1, "only the message within the limit ran");
  });

  test(`HTTP/${via}: a message that is not base64 or not the type → invalid_argument`, async (t) => {
    const echo = await startEchoHost(t);
    const notBase64 = await get(t, echo.url, via, "/test.echo.Echo/Say?connect=v1&encoding=proto&base64=1&message=%21%21%21");
    t.is(notBase64.status, 400);
    t.is(errorOf(notBase64).code, "invalid_argument");
    const badJson = await get(t, echo.url, via, `/test.echo.Echo/Say?connect=v1&encoding=json&message=${encodeURIComponent('{"text":')}`);
    t.is(badJson.status, 400);
    t.regex(errorOf(badJson).message, /test\.echo\.EchoRequest/);
    t.is(echo.calls.length, 0);
  });
}

// Without base64=1 the message is percent-encoded bytes, not text: bytes >= 0x80 that are no UTF-8 (the
// length varint C8 01 of a 200-byte text) must arrive as they were (connect-go reads the raw bytes).
test("proto message percent-encoded byte by byte, without base64=1", async (t) => {
  const echo = await startEchoHost(t);
  const { EchoReply } = await loadEcho();
  const bytes = await encoded({ text: "a".repeat(200) });
  t.is(bytes[1], 0xc8, "the length varint is not UTF-8");
  const message = [...bytes].map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
  const r = await get(t, echo.url, "2", `/test.echo.Echo/Say?connect=v1&encoding=proto&message=${message}`);
  t.is(r.status, 200, r.body.toString());
  t.is(EchoReply.decode(r.body).text, "a".repeat(200));
});
