/**
 * A stock Connect-ES v2 client (@connectrpc/connect-node) against a generated
 * host: the Connect protocol in binary (unary, server streaming, errors,
 * deadlines) and Connect-ES's gRPC transport (client streaming, bidi).
 *
 * The @bufbuild/protobuf descriptors are built at test time from echo.proto
 * with protobufjs (no protoc needed): test/helpers/connect-es.ts.
 */
import test, { type ExecutionContext } from "ava";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Code, StreampathError } from "../runtime/core/index.js";
import { echoService } from "./helpers/connect-es.js";
import { startEchoHost, waitFor, type EchoHost } from "./helpers/host.js";

const Echo = echoService();

async function setup(t: ExecutionContext, protocol: "connect" | "grpc" = "connect"): Promise<{ echo: EchoHost; client: any }> {
  const echo = await startEchoHost(t);
  const transport: Transport =
    protocol === "connect"
      ? createConnectTransport({ baseUrl: echo.url, httpVersion: "2", useBinaryFormat: true })
      : createGrpcTransport({ baseUrl: echo.url, useBinaryFormat: true });
  return { echo, client: createClient(Echo, transport) };
}

async function* requests(texts: string[]) {
  for (const text of texts) yield { text };
}

test("connect unary: reply, request headers, response headers and trailers", async (t) => {
  const { client } = await setup(t);
  const seen: Record<string, string | null> = {};
  const reply = await client.say(
    { text: "hi ✓" },
    {
      headers: { "x-custom": "v", "x-user": "ada", "x-set-header": "h", "x-set-trailer": "tr" },
      onHeader: (h: Headers) => (seen.header = h.get("x-echo-header")),
      onTrailer: (h: Headers) => (seen.trailer = h.get("x-echo-trailer")),
    },
  );
  t.like(reply, { text: "hi ✓", principal: "ada", header: "v", index: 0 });
  t.deepEqual(seen, { header: "h", trailer: "tr" });
});

test("connect server streaming: every reply in order, then trailers", async (t) => {
  const { client } = await setup(t);
  const seen: { trailer?: string | null } = {};
  const indexes: number[] = [];
  for await (const r of client.repeat({ text: "s", repeat: 200 }, { headers: { "x-set-trailer": "done" }, onTrailer: (h: Headers) => (seen.trailer = h.get("x-echo-trailer")) })) {
    indexes.push(r.index);
  }
  t.deepEqual(indexes, Array.from({ length: 200 }, (_, i) => i));
  t.is(seen.trailer, "done");
});

test("connect errors: unary, every code and message (non-ASCII too)", async (t) => {
  const { client } = await setup(t);
  for (let code = 1; code <= 16; code++) {
    const message = `${Code[code]}: échec ✗ "quoted" 100%`;
    const error = await t.throwsAsync(client.say({ text: message, failWith: code }));
    t.true(error instanceof ConnectError, String(error));
    t.is((error as ConnectError).code as number, code, message);
    t.is((error as ConnectError).rawMessage, message);
  }
});

test("connect errors: a server stream fails after its replies, with code and trailers", async (t) => {
  const { client } = await setup(t);
  const got: number[] = [];
  const seen: { trailer?: string | null } = {};
  const error = await t.throwsAsync(async () => {
    const stream = client.repeat({ text: "late failure", repeat: 3, failWith: Code.ResourceExhausted }, { headers: { "x-set-trailer": "t" }, onTrailer: (h: Headers) => (seen.trailer = h.get("x-echo-trailer")) });
    for await (const r of stream) got.push(r.index);
  });
  t.is((error as ConnectError).code as number, Code.ResourceExhausted);
  t.is((error as ConnectError).rawMessage, "late failure");
  // Connect-ES hands an error's trailers over as error.metadata.
  t.is((error as ConnectError).metadata.get("x-echo-trailer") ?? seen.trailer, "t");
  t.deepEqual(got, [0, 1, 2], "the replies sent before the failure arrive");
});

test("connect errors: unauthenticated, and an unknown method", async (t) => {
  const { client, echo } = await setup(t);
  const denied = await t.throwsAsync(client.say({ text: "x" }, { headers: { "x-deny": "yes" } }));
  t.is((denied as ConnectError).code as number, Code.Unauthenticated);
  t.is(echo.calls.length, 0);

  const response = await fetchConnectUnary(echo.url, "/test.echo.Echo/Nope");
  t.is(response.status, 501);
  t.like(JSON.parse(response.body), { code: "unimplemented" });
});

/** A Connect unary call by hand over HTTP/2 (fetch is HTTP/1 only in Node). */
async function fetchConnectUnary(url: string, path: string): Promise<{ status: number; body: string }> {
  const http2 = await import("node:http2");
  const session = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/proto", "connect-protocol-version": "1" });
      let status = 0;
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (c: string) => (body += c));
      stream.on("end", () => resolve({ status, body }));
      stream.on("error", reject);
      stream.end();
    });
  } finally {
    session.close();
  }
}

test("connect deadline: timeoutMs ends the call DEADLINE_EXCEEDED and aborts the handler", async (t) => {
  const { client, echo } = await setup(t);
  await client.say({ text: "connect first" }); // the deadline must not pass while connecting
  const started = Date.now();
  const error = await t.throwsAsync(client.say({ text: "slow", delayMs: 5000 }, { timeoutMs: 300 }));
  t.is((error as ConnectError).code as number, Code.DeadlineExceeded);
  t.true(Date.now() - started < 2000);
  const record = await echo.call("say", "slow");
  await waitFor(() => record.aborted, 3000, "the handler's signal to abort");
  // The client gives up at the same moment the host's deadline passes: either reason may win.
  t.true([Code.DeadlineExceeded, Code.Canceled].includes(StreampathError.from(record.abortReason).code));
  const header = Number(record.headers["connect-timeout-ms"]);
  t.true(header > 0 && header <= 300, `connect-timeout-ms ${header}`);
});

test("connect cancellation: aborting a server stream aborts the handler", async (t) => {
  const { client, echo } = await setup(t);
  const controller = new AbortController();
  const stream = client.repeat({ text: "wait", repeat: 1, delayMs: 5000 }, { signal: controller.signal });
  const consumed = (async () => {
    for await (const _ of stream) undefined;
  })();
  const record = await echo.call("repeat", "wait");
  controller.abort();
  const error = await t.throwsAsync(consumed);
  t.is((error as ConnectError).code as number, Code.Canceled);
  await waitFor(() => record.aborted, 3000, "the handler's signal to abort");
});

test("connect bidi over HTTP/2: replies while requests still stream", async (t) => {
  const { client } = await setup(t);
  const texts = Array.from({ length: 20 }, (_, i) => `b${i}`);
  const replies: string[] = [];
  for await (const r of client.chat(requests(texts))) replies.push(r.text);
  t.deepEqual(replies, texts);
});

test("grpc transport: unary, client streaming and bidi", async (t) => {
  const { client } = await setup(t, "grpc");
  t.like(await client.say({ text: "g" }, { headers: { "x-custom": "c" } }), { text: "g", header: "c" });
  t.like(await client.collect(requests(["a", "b", "c"])), { text: "abc", index: 3 });
  const replies: number[] = [];
  for await (const r of client.chat(requests(["x", "y", "z"]))) replies.push(r.index);
  t.deepEqual(replies, [0, 1, 2]);
  const error = await t.throwsAsync(client.say({ text: "nope ✗", failWith: Code.NotFound }));
  t.like(error, { code: Code.NotFound, rawMessage: "nope ✗" });
});
