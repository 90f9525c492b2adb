/**
 * Hand-made gRPC requests over raw node:http2: each malformed or hostile one
 * gets its documented status, and the host stays up: a bidi call opened
 * before it on the same connection keeps answering afterwards.
 */
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import test, { type ExecutionContext } from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import {
  envelope,
  grpcHeaders,
  loadEcho,
  parseEnvelopes,
  rawRequest,
  rawSession,
  request,
  startEchoHost,
  waitFor,
  type EchoHost,
  type EchoRequest,
  type RawResponse,
} from "./helpers/host.js";

const LIMIT = 1024 * 1024;

interface Fixture {
  echo: EchoHost;
  session: http2.ClientHttp2Session;
  encode(req: Partial<EchoRequest>): Buffer;
  /** Sends one request on the companion bidi call and waits for its reply. */
  ping(): Promise<void>;
}

async function setup(t: ExecutionContext): Promise<Fixture> {
  const echo = await startEchoHost(t, { limits: { maxMessageBytes: LIMIT } });
  const { EchoRequest } = await loadEcho();
  const session = await rawSession(t, echo.url);
  const encode = (req: Partial<EchoRequest>) => envelope(EchoRequest.encode(request(req)));
  const companion = rawRequest(session, grpcHeaders("Chat"), [], false);
  let body = Buffer.alloc(0);
  let replies = 0;
  companion.stream.on("data", (chunk: Buffer) => {
    body = Buffer.concat([body, chunk]);
    replies = parseEnvelopes(body).length;
  });
  let sent = 0;
  const ping = async () => {
    const want = ++sent;
    companion.stream.write(encode({ text: `ping ${want}` }));
    await waitFor(() => replies >= want, 3000, `companion reply ${want}`);
  };
  await ping();
  return { echo, session, encode, ping };
}

/** The response, failing the test if it takes longer than `ms`. */
async function within(ms: number, response: Promise<RawResponse>): Promise<RawResponse> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no response within ${ms} ms`)), ms)));
  try {
    return await Promise.race([response, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A gRPC status answered in trailers (or trailers-only), not a reset stream. */
function assertStatus(t: ExecutionContext, r: RawResponse, code: Code, message?: RegExp) {
  t.is(r.rstCode, http2.constants.NGHTTP2_NO_ERROR, `the stream was reset (code ${r.rstCode}) instead of answered`);
  t.is(r.status, 200);
  t.is(r.grpcStatus, code, `grpc-status ${r.grpcStatus} (${r.grpcMessage})`);
  if (message) t.regex(r.grpcMessage ?? "", message);
}

test("truncated envelope: the body ends mid-envelope → INTERNAL", async (t) => {
  const f = await setup(t);
  const r = await within(2000, rawRequest(f.session, grpcHeaders("Say"), [envelope(new Uint8Array(3), 0, 10)]).response);
  await f.ping();
  assertStatus(t, r, Code.Internal, /ended inside an envelope/);
});

test("length prefix above the limit → RESOURCE_EXHAUSTED at once, nothing of that size allocated", async (t) => {
  const f = await setup(t);
  const before = process.memoryUsage().arrayBuffers;
  // Declares 1 GiB, sends 5 bytes of it and keeps the stream open: the host must not wait for the rest.
  const { stream, response } = rawRequest(f.session, grpcHeaders("Collect"), [envelope(new Uint8Array(5), 0, 1 << 30)], false);
  const r = await within(1000, response);
  const grown = process.memoryUsage().arrayBuffers - before;
  t.true(grown < 64 * 1024 * 1024, `arrayBuffers grew by ${grown} bytes`);
  stream.close();
  await f.ping();
  assertStatus(t, r, Code.ResourceExhausted, /exceeds the limit of 1048576 bytes/);
});

test("undecodable protobuf → INVALID_ARGUMENT", async (t) => {
  const f = await setup(t);
  // Field 1 (string) with a length running past the end of the message.
  const r = await within(2000, rawRequest(f.session, grpcHeaders("Say"), [envelope(new Uint8Array([0x0a, 0x7f, 0x61]))]).response);
  await f.ping();
  t.is(f.echo.calls.filter((c) => c.method === "say").length, 0, "the handler never got a request");
  assertStatus(t, r, Code.InvalidArgument, /cannot decode test\.echo\.EchoRequest/);
});

test("compressed flag without grpc-encoding → INTERNAL", async (t) => {
  const f = await setup(t);
  const r = await within(2000, rawRequest(f.session, grpcHeaders("Say"), [envelope(new Uint8Array([0x0a, 0x01, 0x61]), 1)]).response);
  await f.ping();
  assertStatus(t, r, Code.Internal, /compressed/);
});

test("unknown method → UNIMPLEMENTED", async (t) => {
  const f = await setup(t);
  const r = await within(2000, rawRequest(f.session, { ...grpcHeaders("Say"), ":path": "/test.echo.Echo/Nope" }, [f.encode({})]).response);
  assertStatus(t, r, Code.Unimplemented, /\/test\.echo\.Echo\/Nope/);
  const service = await within(2000, rawRequest(f.session, { ...grpcHeaders("Say"), ":path": "/no.Such/Say" }, [f.encode({})]).response);
  assertStatus(t, service, Code.Unimplemented);
  await f.ping();
});

test("wrong content type → HTTP 415; GET that is no Connect GET → 404; PUT → 405", async (t) => {
  const f = await setup(t);
  const r = await within(2000, rawRequest(f.session, grpcHeaders("Say", { "content-type": "text/plain" }), [Buffer.from("hello")]).response);
  t.is(r.status, 415);
  t.regex(r.body.toString(), /text\/plain/);
  const get = await within(2000, rawRequest(f.session, { ":method": "GET", ":path": "/test.echo.Echo/Say" }).response);
  t.is(get.status, 404);
  t.regex(get.body.toString(), /Connect GET/);
  const put = await within(2000, rawRequest(f.session, { ":method": "PUT", ":path": "/test.echo.Echo/Say" }).response);
  t.is(put.status, 405);
  t.is(f.echo.calls.length, 1, "only the companion call reached a handler");
  await f.ping();
});

/**
 * A bare HTTP/2 connection writing frames by hand, for a reset exactly as a
 * peer sends it: Node's own `stream.close(code)` ends the request
 * (END_STREAM) before its RST_STREAM, which a host may rightly take as a
 * complete request stream.
 */
async function frameConnection(t: ExecutionContext, port: number) {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  await once(socket, "connect");
  t.teardown(() => void socket.destroy());
  const frames: { type: number; id: number; length: number }[] = [];
  const send = (type: number, flags: number, id: number, payload: Uint8Array) => {
    const header = Buffer.alloc(9);
    header.writeUIntBE(payload.length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(id, 5);
    socket.write(Buffer.concat([header, payload]));
  };
  let buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (let i = 0; i < 1000 && buffer.length >= 9 && buffer.length >= 9 + buffer.readUIntBE(0, 3); i++) {
      const frame = { type: buffer[3], flags: buffer[4], id: buffer.readUInt32BE(5) & 0x7fffffff, length: buffer.readUIntBE(0, 3) };
      buffer = buffer.subarray(9 + frame.length);
      frames.push(frame);
      if (frame.type === 0x4 && !(frame.flags & 0x1)) send(0x4, 0x1, 0, Buffer.alloc(0)); // SETTINGS ACK
    }
  });
  socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  send(0x4, 0, 0, Buffer.alloc(0));
  // HPACK literal header fields without indexing, new names, no Huffman (every string < 127 bytes).
  const literal = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
  const block = (headers: Record<string, string>) => Buffer.concat(Object.entries(headers).flatMap(([k, v]) => [Buffer.from([0]), literal(k), literal(v)]));
  return {
    frames,
    open(id: number, method: string, body: Uint8Array) {
      const { te, ...rest } = grpcHeaders(method) as Record<string, string>;
      send(0x1, 0x4, id, block({ ":method": "POST", ":scheme": "http", ":authority": "127.0.0.1", ...rest, te })); // END_HEADERS
      send(0x0, 0, id, body); // no END_STREAM: the request stream stays open
    },
    reset(id: number, code: number) {
      send(0x3, 0, id, Buffer.from([0, 0, 0, code]));
    },
  };
}

test("client reset mid-stream (RST_STREAM on a bidi call) → the handler's signal aborts, the host stays up", async (t) => {
  const f = await setup(t);
  const peer = await frameConnection(t, f.echo.port);
  peer.open(1, "Chat", f.encode({ text: "to be reset" }));
  const record = await f.echo.call("chat", "to be reset");
  await waitFor(() => peer.frames.some((fr) => fr.type === 0x0 && fr.id === 1 && fr.length > 0), 3000, "the first reply");
  peer.reset(1, http2.constants.NGHTTP2_CANCEL);
  await waitFor(() => record.finished, 3000, "the handler to finish");
  await f.ping();
  t.true(record.aborted, "ctx.signal aborted");
  t.is(StreampathError.from(record.abortReason).code, Code.Canceled);
  t.is(StreampathError.from(record.error).code, Code.Canceled, "iterating the requests fails: a reset is not a clean end");
});

test("client reset mid client-stream → the handler does not see a clean end of its requests", async (t) => {
  const f = await setup(t);
  const peer = await frameConnection(t, f.echo.port);
  peer.open(1, "Collect", f.encode({ text: "partial" }));
  const record = await f.echo.call("collect", "partial");
  await waitFor(() => record.received === 1, 3000, "the first request");
  peer.reset(1, http2.constants.NGHTTP2_CANCEL);
  await waitFor(() => record.finished, 3000, "the handler to finish");
  await f.ping();
  t.is(StreampathError.from(record.error).code, Code.Canceled, "collect must not return a result built from part of its input");
  t.true(record.aborted, "ctx.signal aborted");
});

test("deadline exceeded: grpc-timeout 50m, handler delays 2 s → DEADLINE_EXCEEDED promptly", async (t) => {
  const f = await setup(t);
  const started = Date.now();
  const r = await within(1000, rawRequest(f.session, grpcHeaders("Say", { "grpc-timeout": "50m" }), [f.encode({ text: "slow", delayMs: 2000 })]).response);
  assertStatus(t, r, Code.DeadlineExceeded);
  t.true(Date.now() - started >= 45, "not before the deadline");
  const record = await f.echo.call("say", "slow");
  t.true(record.aborted);
  t.is(StreampathError.from(record.abortReason).code, Code.DeadlineExceeded);
  await f.ping();
});

test("invalid grpc-timeout → INVALID_ARGUMENT, before any handler runs", async (t) => {
  const f = await setup(t);
  for (const value of ["1.5S", "abc", "123456789S", "10", "-1m", "5s"]) {
    const r = await within(2000, rawRequest(f.session, grpcHeaders("Say", { "grpc-timeout": value }), [f.encode({})]).response);
    assertStatus(t, r, Code.InvalidArgument, /grpc-timeout/);
  }
  t.is(f.echo.calls.length, 1, "only the companion call reached a handler");
  await f.ping();
});

test("a handler throwing a plain Error → UNKNOWN with its message", async (t) => {
  const f = await setup(t);
  const r = await within(2000, rawRequest(f.session, grpcHeaders("Say"), [f.encode({ text: "kaputt: ünïcode", failWith: -1 })]).response);
  assertStatus(t, r, Code.Unknown, /^kaputt: ünïcode$/);
  t.is(String(r.headers["grpc-message"] ?? r.trailers?.["grpc-message"]), "kaputt: %C3%BCn%C3%AFcode", "percent-encoded on the wire");
  await f.ping();
});
