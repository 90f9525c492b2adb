/**
 * Malformed pair traffic, each case of docs/bad-input.md's pair section
 * against raw HTTP/2 requests: a status or an end envelope naming what was
 * wrong, and the pair kept or ended exactly as docs/protocol.md says.
 */
import http2 from "node:http2";
import test, { type ExecutionContext } from "ava";
import { PairFlag, PairHeader, encodeControl, parseEnd } from "../runtime/core/pair.js";
import { envelope, loadEcho, parseEnvelopes, rawRequest, rawSession, request, startEchoHost, waitFor, pairHeaders } from "./helpers/host.js";


/** A host, a session, a down whose envelopes are collected, and its id. */
async function openPair(t: ExecutionContext) {
  const host = await startEchoHost(t);
  const session = await rawSession(t, host.url);
  const down = session.request(pairHeaders("down"), { endStream: true });
  const chunks: Buffer[] = [];
  down.on("data", (c: Buffer) => chunks.push(c));
  down.on("error", () => undefined);
  const id = String((await new Promise<http2.IncomingHttpHeaders>((resolve) => down.once("response", resolve)))[PairHeader.id]);
  const envelopes = () => parseEnvelopes(Buffer.concat(chunks));
  const end = async () => {
    await waitFor(() => envelopes().some((e) => e.flags === PairFlag.End), 5000, "the pair's end");
    return parseEnd(envelopes().find((e) => e.flags === PairFlag.End)!.data).error;
  };
  return { host, session, down, id, envelopes, end };
}

const json = (body: Buffer) => JSON.parse(body.toString()) as { code: string; message: string };
const msg = async (text: string) => envelope((await loadEcho()).EchoRequest.encode(request({ text })));

test("a resumed down without a usable streampath-received is refused invalid_argument", async (t) => {
  const pair = await openPair(t);
  const resumed = await rawRequest(pair.session, pairHeaders("down", { [PairHeader.id]: pair.id, [PairHeader.received]: "-1" })).response;
  t.is(resumed.status, 400);
  t.is(json(resumed.body).code, "invalid_argument");
  t.regex(json(resumed.body).message, /streampath-received/);
});

test("a resumed down claiming more than the host sent is answered, then ended with data_loss", async (t) => {
  const pair = await openPair(t);
  pair.down.close(http2.constants.NGHTTP2_CANCEL);
  const resumed = await rawRequest(pair.session, pairHeaders("down", { [PairHeader.id]: pair.id, [PairHeader.received]: "5" })).response;
  t.is(resumed.status, 200);
  const end = parseEnd(parseEnvelopes(resumed.body).find((e) => e.flags === PairFlag.End)!.data).error;
  t.is(end?.code, 15);
  t.regex(end?.message ?? "", /cannot resume/);
});

for (const [what, control, code] of [
  ["a control that is not JSON", Buffer.concat([Buffer.from([PairFlag.Control, 0, 0, 0, 3]), Buffer.from("ack")]), 3],
  ["a control acknowledging more than was sent", encodeControl({ ack: 99 }), 3],
  ["a control with a negative limit", Buffer.concat([Buffer.from([PairFlag.Control, 0, 0, 0, 12]), Buffer.from('{"limit":-1}')]), 3],
  ["an end whose payload is not an object", envelope(Buffer.from("null"), PairFlag.End), 13],
] as const) {
  test(`${what} on the up ends the pair with ${code === 3 ? "invalid_argument" : "internal"}`, async (t) => {
    const pair = await openPair(t);
    const up = pair.session.request(pairHeaders("up", { [PairHeader.id]: pair.id, [PairHeader.firstSeq]: "1" }));
    up.on("error", () => undefined);
    up.write(control);
    t.is((await pair.end())?.code, code);
    up.close();
  });
}

test("a batch that skips envelopes is refused failed_precondition with what the host has; the pair goes on", async (t) => {
  const pair = await openPair(t);
  const batch = (first: number, body: Buffer) =>
    rawRequest(pair.session, pairHeaders("batch", { [PairHeader.id]: pair.id, [PairHeader.firstSeq]: String(first) }), [body]).response;
  const gap = await batch(3, await msg("c"));
  t.is(gap.status, 400);
  t.is(json(gap.body).code, "failed_precondition");
  t.is(gap.headers[PairHeader.received], "0");
  const ok = await batch(1, Buffer.concat([await msg("a"), envelope(Buffer.from("{}"), PairFlag.End)]));
  t.is(ok.status, 200);
  t.is(ok.headers[PairHeader.received], "2");
  t.is(await pair.end(), undefined, "the call ended well");
});

test("a batch cut inside an envelope is refused internal and taken whole or not at all; the pair goes on", async (t) => {
  const pair = await openPair(t);
  const batch = (body: Buffer) =>
    rawRequest(pair.session, pairHeaders("batch", { [PairHeader.id]: pair.id, [PairHeader.firstSeq]: "1" }), [body]).response;
  const whole = Buffer.concat([await msg("a"), await msg("b")]);
  const cut = await batch(whole.subarray(0, whole.length - 2));
  t.is(cut.status, 500);
  t.is(json(cut.body).code, "internal");
  t.is(cut.headers[PairHeader.received], "0", "nothing of the cut batch was taken");
  const ok = await batch(Buffer.concat([whole, envelope(Buffer.from("{}"), PairFlag.End)]));
  t.is(ok.headers[PairHeader.received], "3");
  t.is(await pair.end(), undefined);
  t.is((await pair.host.call("chat")).received, 2);
});

test("a down for a unary method is refused unimplemented (unary calls use Connect)", async (t) => {
  const host = await startEchoHost(t);
  const session = await rawSession(t, host.url);
  const refused = await rawRequest(session, { ...pairHeaders("down"), ":path": "/test.echo.Echo/Say" }).response;
  t.is(refused.status, 501);
  t.is(json(refused.body).code, "unimplemented");
});

test("a batch whose stream is gone once its body is read leaves the pair going: what it carried is taken", async (t) => {
  const pair = await openPair(t);
  const headers = (first: number) => pairHeaders("batch", { [PairHeader.id]: pair.id, [PairHeader.firstSeq]: String(first) });
  // The first batch's stream is destroyed just after its body ends, before the host can answer it.
  let broken = 0;
  pair.host.host.server.on("stream", (stream, h) => {
    if (h[PairHeader.half] !== "batch" || broken++ > 0) return;
    stream.once("end", () => queueMicrotask(() => stream.destroy()));
  });
  const lost = rawRequest(pair.session, headers(1), [await msg("a")]);
  await lost.response;
  const ok = await rawRequest(pair.session, headers(1), [Buffer.concat([await msg("a"), envelope(Buffer.from("{}"), PairFlag.End)])]).response;
  t.is(ok.status, 200, ok.body.toString());
  t.is(ok.headers[PairHeader.received], "2", "the broken batch's envelope was taken once, the resent one dropped");
  t.is(await pair.end(), undefined, "the call ended well");
  t.is((await pair.host.call("chat")).received, 1, "the request reached the handler once");
});
