/**
 * Compressed requests and responses: stock clients sending gzip (grpc-js;
 * Connect-ES's Connect, gRPC and gRPC-Web transports, br too), raw requests
 * in br and mixed, and the refusals: an encoding the host cannot read
 * (UNIMPLEMENTED naming the ones it can), bytes that are not what they claim
 * (INVALID_ARGUMENT). Connect unary responses of 1 KiB or more come back
 * compressed when the client accepts it.
 * The compression bombs are in host-compression-bomb.test.ts.
 */
import test, { type ExecutionContext } from "ava";
import grpc from "@grpc/grpc-js";
import { createClient, type Transport } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code } from "../runtime/core/index.js";
import { echoService } from "./helpers/connect-es.js";
import { compressSync, connectStreamHeaders, connectUnaryHeaders, decompressSync, endStreamError } from "./helpers/compression.js";
import { envelope, grpcHeaders, loadEcho, loadGrpcJsEcho, parseEnvelopes, rawRequest, rawSession, request, startEchoHost, type EchoHost, type EchoRequest } from "./helpers/host.js";

/** 10 KiB of text: well above every client's threshold for compressing (Connect-ES: 1 KiB). */
const BIG = Array.from({ length: 1024 }, (_, i) => `w${(i * 7919) % 1000}`.padEnd(10, ".")).join("");
const big = (tag: string) => `${tag}:${BIG}`;
const Echo = echoService();

const encodings = (echo: EchoHost, method: string, header: string) => echo.calls.filter((c) => c.method === method).map((c) => c.headers[header]);

/** Bytes the host has read from its clients' connections so far (opened from now on). */
function wireBytes(echo: EchoHost): () => number {
  const sockets: { bytesRead: number }[] = [];
  echo.host.server.on("connection", (socket: { bytesRead: number }) => sockets.push(socket));
  return () => sockets.reduce((sum, s) => sum + s.bytesRead, 0);
}

async function* texts(items: string[]) {
  for (const text of items) yield { text };
}

async function raw(t: ExecutionContext) {
  const echo = await startEchoHost(t);
  const { EchoRequest, EchoReply } = await loadEcho();
  const session = await rawSession(t, echo.url);
  const encode = (req: Partial<EchoRequest>) => EchoRequest.encode(request(req));
  return { echo, session, encode, decodeReply: (bytes: Uint8Array) => EchoReply.decode(bytes) };
}

test("grpc-js with gzip on the channel: every call kind, the host read gzip", async (t) => {
  const echo = await startEchoHost(t);
  const read = wireBytes(echo);
  const client = new (loadGrpcJsEcho())(`127.0.0.1:${echo.port}`, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": 2 });
  t.teardown(() => client.close());

  const say = await new Promise<any>((resolve, reject) => client.say({ text: big("say") }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
  t.is(say.text, big("say"));

  const repeated: any[] = [];
  for await (const r of client.repeat({ text: big("repeat"), repeat: 3 })) repeated.push(r);
  t.deepEqual(repeated.map((r) => [r.text, r.index]), [0, 1, 2].map((i) => [big("repeat"), i]));

  const collected = await new Promise<any>((resolve, reject) => {
    const call = client.collect((e: Error | null, r: unknown) => (e ? reject(e) : resolve(r)));
    for (let i = 0; i < 4; i++) call.write({ text: big(`c${i}`) });
    call.end();
  });
  t.is(collected.text, [0, 1, 2, 3].map((i) => big(`c${i}`)).join(""));
  t.is(collected.index, 4);

  const chat = client.chat();
  const it = chat[Symbol.asyncIterator]();
  for (let i = 0; i < 3; i++) {
    chat.write({ text: big(`m${i}`) });
    t.like((await it.next()).value, { text: big(`m${i}`), index: i });
  }
  chat.end();
  t.true((await it.next()).done);

  for (const method of ["say", "repeat", "collect", "chat"]) t.deepEqual(encodings(echo, method, "grpc-encoding"), ["gzip"], method);
  // 9 requests of 10 KiB each went out: compressed, under a third of that crossed the wire.
  t.log(`grpc-js: the host read ${read()} bytes for ${9 * BIG.length} bytes of request text`);
  t.true(read() < 9 * BIG.length / 3, `the host read ${read()} bytes for ${9 * BIG.length} bytes of text`);
});

for (const [name, compression] of [
  ["gzip", compressionGzip],
  ["br", compressionBrotli],
] as const) {
  test(`connect-node, Connect protocol, sending ${name}: unary and every streaming kind`, async (t) => {
    const echo = await startEchoHost(t);
    const read = wireBytes(echo);
    const transport = createConnectTransport({ baseUrl: echo.url, httpVersion: "2", useBinaryFormat: true, sendCompression: compression, acceptCompression: [compression] });
    const client: any = createClient(Echo, transport);
    let responseEncoding = null as string | null;
    const reply = await client.say({ text: big("say") }, { onHeader: (h: Headers) => (responseEncoding = h.get("content-encoding")) });
    t.is(reply.text, big("say"));
    t.is(responseEncoding, name, "the 10 KiB reply came back compressed too");

    const repeated: number[] = [];
    for await (const r of client.repeat({ text: big("repeat"), repeat: 3 })) repeated.push(r.text === big("repeat") ? r.index : -1);
    t.deepEqual(repeated, [0, 1, 2]);
    t.like(await client.collect(texts([big("a"), big("b")])), { text: big("a") + big("b"), index: 2 });
    const chatted: string[] = [];
    for await (const r of client.chat(texts([big("x"), big("y")]))) chatted.push(r.text);
    t.deepEqual(chatted, [big("x"), big("y")]);

    t.deepEqual(encodings(echo, "say", "content-encoding"), [name], "unary: the body");
    for (const method of ["repeat", "collect", "chat"]) t.deepEqual(encodings(echo, method, "connect-content-encoding"), [name], method);
    t.log(`${name}: the host read ${read()} bytes for ${6 * BIG.length} bytes of request text`);
    t.true(read() < 6 * BIG.length / 3, `the host read ${read()} bytes for ${6 * BIG.length} bytes of text`);
  });
}

test("connect-node gRPC and gRPC-Web transports sending gzip: unary, server and client streaming", async (t) => {
  const echo = await startEchoHost(t);
  const transports: [string, Transport][] = [
    ["grpc", createGrpcTransport({ baseUrl: echo.url, useBinaryFormat: true, sendCompression: compressionGzip, acceptCompression: [compressionGzip] })],
    ["grpc-web", createGrpcWebTransport({ baseUrl: echo.url, httpVersion: "2", useBinaryFormat: true, sendCompression: compressionGzip, acceptCompression: [compressionGzip] })],
  ];
  for (const [name, transport] of transports) {
    const client: any = createClient(Echo, transport);
    t.is((await client.say({ text: big(name) })).text, big(name), name);
    const indexes: number[] = [];
    for await (const r of client.repeat({ text: big(name), repeat: 2 })) indexes.push(r.text === big(name) ? r.index : -1);
    t.deepEqual(indexes, [0, 1], name);
  }
  const client: any = createClient(Echo, transports[0][1]);
  t.like(await client.collect(texts([big("1"), big("2")])), { text: big("1") + big("2"), index: 2 });
  t.deepEqual(encodings(echo, "say", "grpc-encoding"), ["gzip", "gzip"]);
  t.deepEqual(encodings(echo, "repeat", "grpc-encoding"), ["gzip", "gzip"]);
  t.deepEqual(encodings(echo, "collect", "grpc-encoding"), ["gzip"]);
  t.deepEqual(echo.calls.map((c) => String(c.headers["content-type"]).replace(/\+proto$/, "")), ["application/grpc", "application/grpc", "application/grpc-web", "application/grpc-web", "application/grpc"]);
});

test("raw gRPC, grpc-encoding br: a brotli envelope; compressed and plain messages mixed on one stream", async (t) => {
  const { echo, session, encode, decodeReply } = await raw(t);
  const r = await rawRequest(session, grpcHeaders("Say", { "grpc-encoding": "br" }), [envelope(compressSync("br", encode({ text: big("br") })), 1)]).response;
  t.is(r.grpcStatus, Code.Ok, r.grpcMessage);
  t.is(decodeReply(parseEnvelopes(r.body)[0].data).text, big("br"));
  t.is(r.headers["grpc-accept-encoding"], "gzip,br");

  const body = [0, 1, 2, 3].map((i) => (i % 2 ? envelope(compressSync("gzip", encode({ text: big(`m${i}`) })), 1) : envelope(encode({ text: `plain ${i}` }))));
  const chat = await rawRequest(session, grpcHeaders("Chat", { "grpc-encoding": "gzip" }), body).response;
  t.is(chat.grpcStatus, Code.Ok, chat.grpcMessage);
  t.deepEqual(parseEnvelopes(chat.body).map((e) => decodeReply(e.data).text), ["plain 0", big("m1"), "plain 2", big("m3")]);
  t.deepEqual(encodings(echo, "say", "grpc-encoding"), ["br"]);
});

test("unsupported encodings → UNIMPLEMENTED naming the accepted ones (gRPC, Connect unary and streaming)", async (t) => {
  const { echo, session, encode } = await raw(t);
  const grpcReply = await rawRequest(session, grpcHeaders("Say", { "grpc-encoding": "snappy" }), [envelope(encode({ text: "x" }), 1)]).response;
  t.is(grpcReply.status, 200);
  t.is(grpcReply.grpcStatus, Code.Unimplemented);
  t.regex(grpcReply.grpcMessage ?? "", /snappy.*identity, gzip, br/);

  const unary = await rawRequest(session, connectUnaryHeaders("Say", { "content-encoding": "zstd" }), [encode({ text: "x" })]).response;
  t.is(unary.status, 501);
  t.like(JSON.parse(unary.body.toString()), { code: "unimplemented" });
  t.regex(JSON.parse(unary.body.toString()).message, /zstd.*gzip, br/);
  t.is(unary.headers["accept-encoding"], "gzip,br");

  const stream = await rawRequest(session, connectStreamHeaders("Repeat", { "connect-content-encoding": "zstd" }), [envelope(encode({ text: "x", repeat: 1 }), 1)]).response;
  t.is(stream.status, 200);
  t.like(endStreamError(stream.body), { code: "unimplemented" });
  t.regex(endStreamError(stream.body)?.message ?? "", /zstd.*gzip, br/);

  const get = await rawRequest(session, { ":method": "GET", ":path": `/test.echo.Echo/Say?connect=v1&encoding=proto&base64=1&compression=lz4&message=${Buffer.from(encode({ text: "x" })).toString("base64url")}` }).response;
  t.is(get.status, 501);
  t.like(JSON.parse(get.body.toString()), { code: "unimplemented" });
  t.is(echo.calls.filter((c) => c.method === "say").length, 0, "no Say handler ran");
});

test("corrupt compressed bytes → INVALID_ARGUMENT; identity is the same as none", async (t) => {
  const { echo, session, encode, decodeReply } = await raw(t);
  const gz = compressSync("gzip", encode({ text: big("corrupt") }));
  const corrupt = Buffer.concat([gz.subarray(0, 40), Buffer.alloc(40, 0xff), gz.subarray(80)]);
  for (const [name, bytes] of [["not gzip at all", Buffer.from("plain text, no gzip header")], ["corrupt deflate", corrupt]] as const) {
    const g = await rawRequest(session, grpcHeaders("Say", { "grpc-encoding": "gzip" }), [envelope(bytes, 1)]).response;
    t.is(g.grpcStatus, Code.InvalidArgument, `${name}: ${g.grpcMessage}`);
    t.regex(g.grpcMessage ?? "", /cannot decompress gzip/);
    const u = await rawRequest(session, connectUnaryHeaders("Say", { "content-encoding": "gzip" }), [bytes]).response;
    t.is(u.status, 400, name);
    t.like(JSON.parse(u.body.toString()), { code: "invalid_argument" });
    const s = await rawRequest(session, connectStreamHeaders("Collect", { "connect-content-encoding": "gzip" }), [envelope(bytes, 1)]).response;
    t.like(endStreamError(s.body), { code: "invalid_argument" });
  }
  const br = await rawRequest(session, grpcHeaders("Say", { "grpc-encoding": "br" }), [envelope(Buffer.from([0xff, 0xff, 0xff, 0xff]), 1)]).response;
  t.is(br.grpcStatus, Code.InvalidArgument, br.grpcMessage);
  t.is(echo.calls.filter((c) => c.method === "say").length, 0, "no Say handler ran");

  const identity = await rawRequest(session, grpcHeaders("Say", { "grpc-encoding": "identity" }), [envelope(encode({ text: "id" }))]).response;
  t.is(identity.grpcStatus, Code.Ok);
  t.is(decodeReply(parseEnvelopes(identity.body)[0].data).text, "id");
});

test("Connect unary responses: ≥ 1 KiB compressed as accept-encoding allows, smaller or refused ones not", async (t) => {
  const { session, encode, decodeReply } = await raw(t);
  const say = async (text: string, accept?: string) => {
    const r = await rawRequest(session, connectUnaryHeaders("Say", accept ? { "accept-encoding": accept } : {}), [encode({ text })]).response;
    t.is(r.status, 200);
    const encoding = r.headers["content-encoding"] as "gzip" | "br" | undefined;
    return { encoding, size: r.body.length, text: decodeReply(encoding ? decompressSync(encoding, r.body) : r.body).text };
  };
  const gzip = await say(big("gz"), "gzip");
  t.like(gzip, { encoding: "gzip", text: big("gz") });
  t.true(gzip.size < BIG.length / 2, `${gzip.size} bytes on the wire`);
  t.like(await say(big("br"), "br;q=0.9, gzip;q=0.5"), { encoding: "br", text: big("br") });
  t.like(await say(big("q0"), "br;q=0, gzip"), { encoding: "gzip", text: big("q0") });
  t.like(await say(big("none")), { encoding: undefined, text: big("none") });
  t.like(await say(big("unknown"), "zstd, deflate"), { encoding: undefined, text: big("unknown") });
  t.like(await say("small", "gzip, br"), { encoding: undefined, text: "small" });
});

test("Connect GET with compression=gzip and =br: the query's message is inflated", async (t) => {
  const { session, encode, decodeReply } = await raw(t);
  for (const encoding of ["gzip", "br"] as const) {
    const message = compressSync(encoding, encode({ text: big(encoding) })).toString("base64url");
    const path = `/test.echo.Echo/Say?connect=v1&encoding=proto&base64=1&compression=${encoding}&message=${message}`;
    const r = await rawRequest(session, { ":method": "GET", ":path": path }).response;
    t.is(r.status, 200, r.body.toString());
    t.is(decodeReply(r.body).text, big(encoding));
  }
});
