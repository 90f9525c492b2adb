/**
 * What one client can hold on a host is bounded, and a refusal is a status,
 * not a bare reset: a connection that never finishes TLS or never sends the
 * HTTP/2 preface is closed after `handshakeTimeoutMs`; a body past
 * `maxMessageBytes` sent without content-length gets resource_exhausted; one
 * principal's running gRPC calls are capped by `maxCallsPerPrincipal`
 * while another principal's still go through.
 */
import net from "node:net";
import tls from "node:tls";
import test from "ava";
import { selfSigned } from "./helpers/browser.js";
import { grpcHeaders, loadEcho, envelope, rawRequest, rawSession, request, startEchoHost, waitFor } from "./helpers/host.js";

/** Resolves with how long after `started` the host closed `socket`. */
function closedAfter(socket: net.Socket, started: number): Promise<number> {
  socket.on("error", () => undefined);
  socket.resume(); // a paused socket would not notice the host closing it
  return new Promise((resolve) => socket.once("close", () => resolve(Date.now() - started)));
}

test("a connection that never finishes TLS, or never sends the HTTP/2 preface, is closed after the handshake timeout", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned(), handshakeTimeoutMs: 300 });
  // Connected, nothing sent: not even a ClientHello.
  const silentAt = Date.now();
  const silent = net.connect(echo.port, "127.0.0.1");
  const silentClosed = closedAfter(silent, silentAt);
  // TLS done (h2 negotiated), then silence: no preface, no SETTINGS.
  const mute = tls.connect({ port: echo.port, host: "127.0.0.1", ca: selfSigned().cert, ALPNProtocols: ["h2"], servername: "localhost" });
  await new Promise<void>((resolve, reject) => (mute.once("secureConnect", () => resolve()), mute.once("error", reject)));
  t.is(mute.alpnProtocol, "h2");
  const [silentMs, muteMs] = await Promise.all([silentClosed, closedAfter(mute, Date.now())]);
  t.true(silentMs >= 250 && silentMs < 5000, `the silent TCP connection closed after ${silentMs} ms`);
  t.true(muteMs >= 100 && muteMs < 5000, `the connection without a preface closed after ${muteMs} ms`);
});

test("a connected client that speaks keeps its connection past the handshake timeout", async (t) => {
  const echo = await startEchoHost(t, { handshakeTimeoutMs: 200 });
  const session = await rawSession(t, echo.url);
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.false(session.destroyed || session.closed);
  const { EchoRequest } = await loadEcho();
  const { response } = rawRequest(session, grpcHeaders("Say"), [envelope(EchoRequest.encode(request({ text: "hi" })))]);
  t.is((await response).grpcStatus, 0);
});

for (const [what, contentType, body] of [
  ["a Connect unary body", "application/proto", "message"],
  ["a pair batch", "application/streampath-pair+proto", "batch"],
] as const) {
  test(`${what} past maxMessageBytes without content-length is refused resource_exhausted (429), not reset`, async (t) => {
    const echo = await startEchoHost(t, { limits: { maxMessageBytes: 1024 } });
    const session = await rawSession(t, echo.url);
    const headers: Record<string, string> = { ":method": "POST", ":path": "/test.echo.Echo/" + (body === "batch" ? "Chat" : "Say"), "content-type": contentType };
    if (body === "batch") {
      // A real pair to send the batch to.
      const down = session.request({ ...headers, "streampath-half": "down" }, { endStream: true });
      down.on("error", () => undefined);
      const id = String((await new Promise<Record<string, unknown>>((resolve) => down.once("response", resolve)))["streampath-pair-id"]);
      Object.assign(headers, { "streampath-half": "batch", "streampath-pair-id": id, "streampath-first-seq": "1" });
    }
    // 8 chunks of 1 KiB, streamed: no content-length for the host to check first.
    const { stream, response } = rawRequest(session, headers, [], false);
    for (let i = 0; i < 8; i++) stream.write(Buffer.alloc(1024, 1));
    stream.end();
    const refused = await response;
    t.is(refused.status, 429, `status ${refused.status}, rst ${refused.rstCode}`);
    t.is(JSON.parse(refused.body.toString()).code, "resource_exhausted");
  });
}

test("one principal's running gRPC calls are capped; another principal still gets through", async (t) => {
  const echo = await startEchoHost(t, { limits: { maxCallsPerPrincipal: 20 } });
  const { EchoRequest } = await loadEcho();
  const session = await rawSession(t, echo.url);
  // 25 open Chat calls from mallory: 20 run, 5 are refused.
  const calls = Array.from({ length: 25 }, () => rawRequest(session, grpcHeaders("Chat", { "x-user": "mallory" }), [], false));
  await waitFor(() => echo.calls.filter((c) => c.method === "chat").length >= 20, 5000, "20 running calls");
  const refused = await Promise.all(calls.slice(20).map((c) => c.response));
  t.deepEqual(refused.map((r) => r.grpcStatus), Array(5).fill(8));
  t.regex(refused[0]!.grpcMessage ?? "", /too many running calls \(20\)/);
  const ada = rawRequest(session, grpcHeaders("Say", { "x-user": "ada" }), [envelope(EchoRequest.encode(request({ text: "hi" })))]);
  t.is((await ada.response).grpcStatus, 0);
  // When mallory's calls end, the slots are hers again.
  for (const c of calls.slice(0, 20)) c.stream.end();
  await Promise.all(calls.slice(0, 20).map((c) => c.response));
  const again = rawRequest(session, grpcHeaders("Say", { "x-user": "mallory" }), [envelope(EchoRequest.encode(request({ text: "hi" })))]);
  t.is((await again.response).grpcStatus, 0);
});

test("a Connect unary body whose content-length is past maxMessageBytes is refused resource_exhausted before it is read", async (t) => {
  const echo = await startEchoHost(t, { limits: { maxMessageBytes: 1024 } });
  const session = await rawSession(t, echo.url);
  const headers = { ":method": "POST", ":path": "/test.echo.Echo/Say", "content-type": "application/proto", "content-length": "4096" };
  // Only the headers are sent: the answer cannot depend on reading the body.
  const { stream, response } = rawRequest(session, headers, [], false);
  const refused = await response;
  t.is(refused.status, 429);
  t.is(JSON.parse(refused.body.toString()).code, "resource_exhausted");
  stream.close();
});
