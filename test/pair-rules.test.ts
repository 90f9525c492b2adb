/**
 * Pairing rules against raw HTTP/2 requests (docs/protocol.md, "The pair"):
 * an up request with an unknown id, another principal's id, or the id of an
 * ended pair is refused at once with its documented status; a down request
 * that no up request joins ends after the timeout; ids are unguessable.
 */
import http2 from "node:http2";
import test, { type ExecutionContext } from "ava";
import { PAIR_CONTENT_TYPE, PairFlag, PairHeader, parseEnd } from "../runtime/core/pair.js";
import { selfSigned } from "./helpers/browser.js";
import { parseEnvelopes, startEchoHost } from "./helpers/host.js";

async function session(t: ExecutionContext, url: string): Promise<http2.ClientHttp2Session> {
  const s = http2.connect(url, { ca: selfSigned().cert });
  s.on("error", () => undefined);
  t.teardown(() => new Promise<void>((resolve) => setImmediate(() => (s.destroy(), resolve()))));
  await new Promise<void>((resolve, reject) => (s.once("remoteSettings", () => resolve()), s.once("error", reject)));
  return s;
}

const pairHeaders = (half: string, user: string, extra: Record<string, string> = {}) => ({
  ":method": "POST",
  ":path": "/test.echo.Echo/Chat",
  "content-type": PAIR_CONTENT_TYPE,
  [PairHeader.half]: half,
  "x-user": user,
  ...extra,
});

/** Opens a down stream and resolves with its id once the headers are in (the body keeps coming). */
function openDown(s: http2.ClientHttp2Session, user: string) {
  const stream = s.request(pairHeaders("down", user), { endStream: true });
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise<Buffer>((resolve) => stream.once("close", () => resolve(Buffer.concat(chunks))));
  const headers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve));
  return { stream, headers, ended };
}

/** Sends a whole up request and resolves with its status and JSON body. */
function refusal(s: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders) {
  const stream = s.request(headers);
  stream.end();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return new Promise<{ status: number; body: { code?: string; message?: string } }>((resolve, reject) => {
    let status = 0;
    stream.once("response", (h) => (status = Number(h[":status"])));
    stream.once("close", () => {
      try {
        resolve({ status, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") });
      } catch (error) {
        reject(error);
      }
    });
  });
}

test("an up request with an unknown id, or another principal's, is refused at once with not_found", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  const s = await session(t, echo.url);
  const down = openDown(s, "ada");
  const id = String((await down.headers)[PairHeader.id]);
  const unknown = id.replace(/\.[^.]+$/, ".AAAAAAAAAAAAAAAAAAAAAA");
  const strangers = await refusal(s, pairHeaders("up", "mallory", { [PairHeader.id]: id }));
  const nobody = await refusal(s, pairHeaders("up", "ada", { [PairHeader.id]: unknown }));
  t.is(strangers.status, 404);
  t.is(strangers.body.code, "not_found");
  t.is(nobody.status, 404);
  t.is(nobody.body.code, "not_found");
  // The stranger learns nothing the unknown id did not tell: same answer but for the id itself.
  t.is(strangers.body.message?.replace(id, "ID"), nobody.body.message?.replace(unknown, "ID"));
  const malformed = await refusal(s, pairHeaders("up", "ada", { [PairHeader.id]: "guess" }));
  t.is(malformed.status, 400);
  t.is(malformed.body.code, "invalid_argument");
});

test("a down request no up request joins ends after the timeout with deadline_exceeded; a late up hears the pair ended", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned(), pair: { upTimeoutMs: 200 } });
  const s = await session(t, echo.url);
  const started = Date.now();
  const down = openDown(s, "ada");
  const id = String((await down.headers)[PairHeader.id]);
  const body = await down.ended;
  const elapsed = Date.now() - started;
  t.true(elapsed >= 190 && elapsed < 3000, `ended after ${elapsed} ms`);
  const end = parseEnvelopes(body).find((e) => e.flags & PairFlag.End);
  t.truthy(end, "the down stream ends with an end envelope");
  t.is(parseEnd(end!.data).error?.code, 4); // DEADLINE_EXCEEDED
  const late = await refusal(s, pairHeaders("up", "ada", { [PairHeader.id]: id }));
  t.is(late.status, 400);
  t.is(late.body.code, "failed_precondition");
  t.regex(late.body.message ?? "", /has ended/);
});

test("a pair opened with its deadline already spent (connect-timeout-ms: 0) ends at once with deadline_exceeded", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned(), pair: { upTimeoutMs: 60_000 } });
  const s = await session(t, echo.url);
  const started = Date.now();
  const stream = s.request(pairHeaders("down", "ada", { "connect-timeout-ms": "0" }), { endStream: true });
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => stream.once("close", resolve));
  t.true(Date.now() - started < 3000, "not held until the up timeout");
  const end = parseEnvelopes(Buffer.concat(chunks)).find((e) => e.flags & PairFlag.End);
  t.truthy(end, "the down stream ends with an end envelope");
  t.is(parseEnd(end!.data).error?.code, 4); // DEADLINE_EXCEEDED
});

test("pair ids carry 128 random bits after the instance prefix, and never repeat", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned(), pair: { upTimeoutMs: 100 } });
  const s = await session(t, echo.url);
  const ids = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const down = openDown(s, "ada");
    ids.add(String((await down.headers)[PairHeader.id]));
    down.stream.close();
  }
  t.is(ids.size, 50);
  const prefixes = new Set([...ids].map((id) => id.split(".")[0]));
  t.is(prefixes.size, 1, "one instance, one prefix");
  for (const id of ids) {
    const random = Buffer.from(id.split(".")[1]!, "base64url");
    t.is(random.length, 16);
  }
});
