/**
 * The up request says where it starts (`streampath-first-seq`), so an up
 * that repeats what the host has — a stale one, delayed on a connection that
 * broke, reaching the host after the guest resumed — is dropped by number
 * instead of being delivered twice; the host tells the guest on the down
 * that an up joined; a later up replaces an earlier one. Raw HTTP/2 requests.
 */
import http2 from "node:http2";
import test from "ava";
import { PairFlag, PairHeader, encodeControl, parseControl, parseEnd } from "../runtime/core/pair.js";
import { type EchoModule, envelope, loadEcho, parseEnvelopes, rawRequest, rawSession, request, startEchoHost, waitFor, pairHeaders } from "./helpers/host.js";


/** A down stream whose envelopes are collected as they come. */
function openDown(session: http2.ClientHttp2Session) {
  const stream = session.request(pairHeaders("down"), { endStream: true });
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("error", () => undefined);
  const headers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve));
  const envelopes = () => parseEnvelopes(Buffer.concat(chunks));
  return { stream, headers, envelopes };
}

const texts = (echo: EchoModule, envelopes: { flags: number; data: Uint8Array }[]) =>
  envelopes.filter((e) => e.flags === 0).map((e) => echo.EchoReply.decode(e.data).text);

test("an up that repeats envelopes the host has is dropped by number: each request reaches the handler once", async (t) => {
  const echo = await loadEcho();
  const host = await startEchoHost(t);
  const session = await rawSession(t, host.url);
  const down = openDown(session);
  const id = String((await down.headers)[PairHeader.id]);
  const msg = (text: string) => envelope(echo.EchoRequest.encode(request({ text })));

  // The first up carries 1 and 2 and stays open; a second (the guest resumed meanwhile, or a
  // stale one arriving late) says it starts at 2 and carries 2, 3 and the end.
  const first = session.request(pairHeaders("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "1" }));
  first.on("error", () => undefined);
  first.write(Buffer.concat([msg("1"), msg("2")]));
  await waitFor(() => texts(echo, down.envelopes()).length === 2, 5000, "two echoes");
  const second = rawRequest(
    session,
    pairHeaders("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "2" }),
    [Buffer.concat([msg("2"), msg("3"), envelope(new TextEncoder().encode("{}"), PairFlag.End)])],
    false,
  );
  await waitFor(() => down.envelopes().some((e) => e.flags === PairFlag.End), 5000, "the end of the call");
  t.deepEqual(texts(echo, down.envelopes()), ["1", "2", "3"]);
  t.deepEqual(parseEnd(down.envelopes().find((e) => e.flags === PairFlag.End)!.data).error, undefined);
  t.is((await host.call("chat")).received, 3, "the handler saw 3 requests, not 4");
  // The first up was replaced: the host reset it.
  await waitFor(() => first.closed, 5000, "the replaced up to close");
  t.is(first.rstCode, http2.constants.NGHTTP2_CANCEL);
  second.stream.end();
});

test("the host says on the down when an up joined, so a guest knows its pair is established", async (t) => {
  const host = await startEchoHost(t);
  const session = await rawSession(t, host.url);
  const down = openDown(session);
  const id = String((await down.headers)[PairHeader.id]);
  await waitFor(() => down.envelopes().length >= 1, 5000, "the first control");
  const controls = () => down.envelopes().filter((e) => e.flags === PairFlag.Control).map((e) => parseControl(e.data));
  t.falsy(controls()[0]!.joined, "the down's own first control does not say joined");
  const up = session.request(pairHeaders("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "1" }));
  up.on("error", () => undefined);
  up.write(encodeControl({ ack: 0, limit: 16 }));
  await waitFor(() => controls().some((c) => c.joined), 5000, "a control saying joined");
  up.close(http2.constants.NGHTTP2_CANCEL);
  t.pass();
});

test("an up without streampath-first-seq is refused with invalid_argument", async (t) => {
  const host = await startEchoHost(t);
  const session = await rawSession(t, host.url);
  const down = openDown(session);
  const id = String((await down.headers)[PairHeader.id]);
  const { response } = rawRequest(session, pairHeaders("up", { [PairHeader.id]: id }), [encodeControl({})]);
  const refused = await response;
  t.is(refused.status, 400);
  t.is(JSON.parse(refused.body.toString()).code, "invalid_argument");
  t.regex(JSON.parse(refused.body.toString()).message, /streampath-first-seq/);
});

for (const [flags, code] of [[0x01, "internal"], [0x08, "invalid_argument"], [0x10, "invalid_argument"], [0x80, "invalid_argument"], [0x06, "invalid_argument"]] as const) {
  test(`an up envelope with flags 0x${flags.toString(16).padStart(2, "0")} ends the pair with ${code}, not taken as data`, async (t) => {
    const echo = await loadEcho();
    const host = await startEchoHost(t);
    const session = await rawSession(t, host.url);
    const down = openDown(session);
    const id = String((await down.headers)[PairHeader.id]);
    const up = session.request(pairHeaders("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "1" }));
    up.on("error", () => undefined);
    up.write(envelope(echo.EchoRequest.encode(request({ text: "x" })), flags));
    await waitFor(() => down.envelopes().some((e) => e.flags === PairFlag.End), 5000, "the end of the pair");
    const end = parseEnd(down.envelopes().find((e) => e.flags === PairFlag.End)!.data);
    t.is(end.error?.code, code === "internal" ? 13 : 3);
    t.deepEqual(texts(echo, down.envelopes()), [], "nothing was echoed");
    up.close();
  });
}
