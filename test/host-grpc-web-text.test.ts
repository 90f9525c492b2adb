/**
 * gRPC-Web text (`application/grpc-web-text`) as Google's grpc-web JS client
 * sends it: the envelopes base64-encoded in the body, `x-grpc-web: 1`, over
 * HTTP/1.1 (node:http) and HTTP/2 (node:http2). Request bodies in odd
 * chunkings and in separately padded segments; responses decoded back
 * (base64 → envelopes → messages and the 0x80 trailer frame).
 */
import http from "node:http";
import type http2 from "node:http2";
import test, { type ExecutionContext } from "ava";
import { envelope, loadEcho, parseEnvelopes, rawRequest, rawSession, request, sleep, startEchoHost, type EchoHost, type EchoReply, type EchoRequest } from "./helpers/host.js";

type Via = "1.1" | "2";

const HEADERS = {
  "content-type": "application/grpc-web-text",
  accept: "application/grpc-web-text",
  "x-grpc-web": "1",
  "x-user-agent": "grpc-web-javascript/0.1",
};

interface WebResponse {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** POSTs `chunks` (base64 text) one write each, a few ms apart, over HTTP/1.1 or HTTP/2. */
async function post(t: ExecutionContext, echo: EchoHost, via: Via, method: string, chunks: string[], extra: Record<string, string> = {}): Promise<WebResponse> {
  const headers = { ...HEADERS, ...extra };
  if (via === "2") {
    const session: http2.ClientHttp2Session = await rawSession(t, echo.url);
    const { stream, response } = rawRequest(session, { ":method": "POST", ":path": `/test.echo.Echo/${method}`, ...headers }, [], false);
    for (const chunk of chunks) {
      stream.write(chunk);
      await sleep(5);
    }
    stream.end();
    const r = await response;
    return { status: r.status, headers: r.headers, text: r.body.toString("latin1") };
  }
  return new Promise<WebResponse>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: echo.port, method: "POST", path: `/test.echo.Echo/${method}`, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(parts).toString("latin1") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.flushHeaders();
    void (async () => {
      for (const chunk of chunks) {
        req.write(chunk);
        await sleep(5);
      }
      req.end();
    })();
  });
}

/** Base64 as grpc-web decodes it: four characters at a time, so padded segments may follow each other. */
function decodeText(text: string): Buffer {
  const clean = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/=]*$/.test(clean) || clean.length % 4 !== 0) throw new Error(`response is not base64 text: ${JSON.stringify(clean.slice(0, 80))}`);
  const out: Buffer[] = [];
  for (let i = 0; i < clean.length; i += 4) out.push(Buffer.from(clean.slice(i, i + 4), "base64"));
  return Buffer.concat(out);
}

interface Decoded {
  replies: EchoReply[];
  trailers: Record<string, string>;
  /** Flags of every frame, in order. */
  flags: number[];
}

async function decodeResponse(t: ExecutionContext, r: WebResponse): Promise<Decoded> {
  const { EchoReply } = await loadEcho();
  t.is(r.status, 200);
  t.regex(String(r.headers["content-type"]), /^application\/grpc-web-text/);
  const frames = parseEnvelopes(decodeText(r.text));
  const trailers: Record<string, string> = {};
  const replies: EchoReply[] = [];
  for (const frame of frames) {
    if (frame.flags & 0x80) {
      for (const line of Buffer.from(frame.data).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
    } else replies.push(EchoReply.decode(frame.data));
  }
  t.true(frames.length > 0 && (frames.at(-1)!.flags & 0x80) !== 0, "the last frame is the trailer frame");
  return { replies, trailers, flags: frames.map((f) => f.flags) };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

async function encodeRequest(init: Partial<EchoRequest>): Promise<Buffer> {
  const { EchoRequest } = await loadEcho();
  return envelope(EchoRequest.encode(request(init)));
}

/** `text` cut into pieces of 1, 2, 3, 1, 2, 3, ... characters. */
function oddChunks(text: string): string[] {
  const out: string[] = [];
  for (let pos = 0, i = 0; pos < text.length; i++) {
    const size = (i % 3) + 1;
    out.push(text.slice(pos, pos + size));
    pos += size;
  }
  return out;
}

for (const via of ["1.1", "2"] as Via[]) {
  test(`HTTP/${via}: unary as grpc-web's JS client sends it → reply and grpc-status 0 in the trailer frame`, async (t) => {
    const echo = await startEchoHost(t);
    const body = b64(await encodeRequest({ text: "hi ✓" }));
    const r = await post(t, echo, via, "Say", [body], { "x-set-header": "h", "x-set-trailer": "tr", "x-custom": "c" });
    t.is(r.headers["x-echo-header"], "h");
    const d = await decodeResponse(t, r);
    t.deepEqual(d.flags, [0x00, 0x80]);
    t.like(d.replies[0], { text: "hi ✓", principal: "anon", header: "c" });
    t.is(d.trailers["grpc-status"], "0");
    t.is(d.trailers["x-echo-trailer"], "tr");
  });

  test(`HTTP/${via}: server streaming → every reply, then the trailer frame`, async (t) => {
    const echo = await startEchoHost(t);
    const r = await post(t, echo, via, "Repeat", [b64(await encodeRequest({ text: "s", repeat: 20 }))]);
    const d = await decodeResponse(t, r);
    t.deepEqual(d.replies.map((m) => m.index), Array.from({ length: 20 }, (_, i) => i));
    t.true(d.replies.every((m) => m.text === "s"));
    t.is(d.trailers["grpc-status"], "0");
  });

  test(`HTTP/${via}: the base64 body in chunks of 1, 2 and 3 characters`, async (t) => {
    const echo = await startEchoHost(t);
    const text = "odd chunks: " + "x".repeat(37);
    const chunks = oddChunks(b64(await encodeRequest({ text, repeat: 2 })));
    t.true(chunks.some((c) => c.length === 1) && chunks.some((c) => c.length === 3));
    const d = await decodeResponse(t, await post(t, echo, via, "Repeat", chunks));
    t.deepEqual(d.replies.map((m) => [m.text, m.index]), [[text, 0], [text, 1]]);
    t.is(d.trailers["grpc-status"], "0");
  });

  test(`HTTP/${via}: a body of two separately padded base64 segments`, async (t) => {
    const echo = await startEchoHost(t);
    // One envelope cut after its 5-byte header: "AAAAAA4=" then the payload's own padded base64.
    const bytes = await encodeRequest({ text: "two segments" });
    const segments = [b64(bytes.subarray(0, 5)), b64(bytes.subarray(5))];
    t.true(segments.every((s) => s.endsWith("=")), segments.join(" | "));
    const d = await decodeResponse(t, await post(t, echo, via, "Say", [segments.join("")]));
    t.is(d.replies[0]?.text, "two segments");
    t.is(d.trailers["grpc-status"], "0");
    // Two messages, each encoded on its own, to a client-streaming method, the segments split mid-way too.
    const two = b64(await encodeRequest({ text: "abc" })) + b64(await encodeRequest({ text: "d" }));
    t.regex(two, /=[A-Za-z0-9+/]/, "the first segment's padding sits mid-body");
    const c = await decodeResponse(t, await post(t, echo, via, "Collect", [two.slice(0, 7), two.slice(7)]));
    t.like(c.replies[0], { text: "abcd", index: 2 });
    t.is(c.trailers["grpc-status"], "0");
  });

  test(`HTTP/${via}: a failing call → grpc-status and percent-encoded grpc-message in the trailer frame`, async (t) => {
    const echo = await startEchoHost(t);
    const message = "nope ✗ 100%";
    const d = await decodeResponse(t, await post(t, echo, via, "Say", [b64(await encodeRequest({ text: message, failWith: 9 }))]));
    t.deepEqual(d.replies, []);
    t.is(d.trailers["grpc-status"], "9");
    t.is(d.trailers["grpc-message"], "nope %E2%9C%97 100%25");
    t.is(decodeURIComponent(d.trailers["grpc-message"]), message);
    // After some replies: those, then the status.
    const s = await decodeResponse(t, await post(t, echo, via, "Repeat", [b64(await encodeRequest({ text: "late", repeat: 2, failWith: 5 }))]));
    t.is(s.replies.length, 2);
    t.is(s.trailers["grpc-status"], "5");
    t.is(s.trailers["grpc-message"], "late");
  });

  test(`HTTP/${via}: a body that is not base64 → grpc-status 3`, async (t) => {
    const echo = await startEchoHost(t);
    const cases: [string, RegExp][] = [
      ["!!!!", /not base64/],
      ["AAAA*AAA", /not base64/],
      ["AAAAAA4", /cut short/],
    ];
    for (const [body, message] of cases) {
      const d = await decodeResponse(t, await post(t, echo, via, "Say", [body]));
      t.deepEqual(d.replies, [], body);
      t.is(d.trailers["grpc-status"], "3", `${body}: ${JSON.stringify(d.trailers)}`);
      t.regex(decodeURIComponent(d.trailers["grpc-message"] ?? ""), message, body);
    }
    t.is(echo.calls.length, 0, "no handler ran");
  });
}

// '=' only ends a 4-character group: Node's lenient Buffer.from(_, "base64") would decode "AAAA=AAA" to five
// zero bytes, an empty-message envelope, so the host checks the groups itself.
test("padding inside a base64 group ('AAAA=AAA') → grpc-status 3, no handler runs", async (t) => {
  const echo = await startEchoHost(t);
  for (const body of ["AAAA=AAA", "AAAAA=AA"]) {
    const d = await decodeResponse(t, await post(t, echo, "2", "Say", [body]));
    t.is(d.trailers["grpc-status"], "3", `${body}: ${JSON.stringify(d.trailers)}`);
  }
  t.is(echo.calls.length, 0, "no handler ran");
});
