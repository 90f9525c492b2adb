/**
 * A stock @grpc/grpc-js client (proto-loader on echo.proto) against a
 * generated host: every method kind, metadata both ways, every status code,
 * deadlines and cancellation reaching the handler.
 */
import test, { type ExecutionContext } from "ava";
import grpc from "@grpc/grpc-js";
import { Code, StreampathError } from "../runtime/core/index.js";
import { loadGrpcJsEcho, startEchoHost, waitFor, type EchoHost } from "./helpers/host.js";

async function setup(t: ExecutionContext): Promise<{ echo: EchoHost; client: any }> {
  const echo = await startEchoHost(t);
  const Echo = loadGrpcJsEcho();
  const client = new Echo(`127.0.0.1:${echo.port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  return { echo, client };
}

const metadata = (pairs: Record<string, string>) => {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(pairs)) md.set(k, v);
  return md;
};

/** A unary call with its response, error, header metadata and status. */
function unary(client: any, method: string, req: object, md = new grpc.Metadata(), options: grpc.CallOptions = {}) {
  let call: any;
  const done = new Promise<{ error: grpc.ServiceError | null; reply: any; headers?: grpc.Metadata; status?: grpc.StatusObject }>((resolve) => {
    const result: { error: grpc.ServiceError | null; reply: any; headers?: grpc.Metadata; status?: grpc.StatusObject } = { error: null, reply: undefined };
    let pending = 2;
    const settle = () => --pending === 0 && resolve(result);
    call = client[method](req, md, options, (error: grpc.ServiceError | null, reply: any) => {
      result.error = error;
      result.reply = reply;
      settle();
    });
    call.on("metadata", (h: grpc.Metadata) => (result.headers = h));
    call.on("status", (s: grpc.StatusObject) => ((result.status = s), settle()));
  });
  return { call, done };
}

test("unary: reply, custom metadata in, response headers and trailers out", async (t) => {
  const { client } = await setup(t);
  const md = metadata({ "x-custom": "seen", "x-user": "ada", "x-set-header": "h1", "x-set-trailer": "t1" });
  const { error, reply, headers, status } = await unary(client, "say", { text: "hello" }, md).done;
  t.is(error, null);
  t.like(reply, { text: "hello", principal: "ada", header: "seen", index: 0 });
  t.deepEqual(headers?.get("x-echo-header"), ["h1"]);
  t.is(status?.code, grpc.status.OK);
  t.deepEqual(status?.metadata.get("x-echo-trailer"), ["t1"]);
});

test("server streaming: every reply in order, trailer at the end", async (t) => {
  const { client } = await setup(t);
  const call = client.repeat({ text: "r", repeat: 50 }, metadata({ "x-set-trailer": "end" }));
  const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
  const indexes: number[] = [];
  for await (const r of call) indexes.push(r.index);
  t.deepEqual(indexes, Array.from({ length: 50 }, (_, i) => i));
  const s = await status;
  t.is(s.code, grpc.status.OK);
  t.deepEqual(s.metadata.get("x-echo-trailer"), ["end"]);
});

test("client streaming: the handler reads every request", async (t) => {
  const { client, echo } = await setup(t);
  const reply = await new Promise<any>((resolve, reject) => {
    const call = client.collect(metadata({ "x-custom": "c" }), (error: any, r: any) => (error ? reject(error) : resolve(r)));
    for (let i = 0; i < 20; i++) call.write({ text: String(i % 10) });
    call.end();
  });
  t.like(reply, { text: "01234567890123456789", index: 20, header: "c" });
  t.is((await echo.call("collect")).received, 20);
});

test("bidi: replies interleave with requests (one in flight at a time)", async (t) => {
  const { client } = await setup(t);
  const call = client.chat(metadata({ "x-set-header": "bidi" }));
  const headers = new Promise<grpc.Metadata>((resolve) => call.on("metadata", resolve));
  const it = call[Symbol.asyncIterator]();
  for (let i = 0; i < 10; i++) {
    call.write({ text: `m${i}` });
    const { value } = await it.next();
    t.like(value, { text: `m${i}`, index: i });
  }
  call.end();
  t.true((await it.next()).done);
  t.deepEqual((await headers).get("x-echo-header"), ["bidi"]);
});

test("errors: every code reaches grpc-js with the same code and message", async (t) => {
  const { client } = await setup(t);
  for (let code = 1; code <= 16; code++) {
    const message = `code ${code}: ${Code[code]}`;
    const { error } = await unary(client, "say", { text: message, failWith: code }).done;
    t.is(error?.code, code, message);
    t.is(error?.details, message);
  }
});

test("errors: non-ASCII, percent and control characters in the message survive", async (t) => {
  const { client } = await setup(t);
  const message = "échec ✗ 失败 100% done\n🙂 end";
  const { error, status } = await unary(client, "say", { text: message, failWith: Code.FailedPrecondition }, metadata({ "x-set-trailer": "kept" })).done;
  t.is(error?.code, grpc.status.FAILED_PRECONDITION);
  t.is(error?.details, message);
  t.deepEqual(status?.metadata.get("x-echo-trailer"), ["kept"], "trailers go out with an error too");
});

test("errors: response headers a handler set before failing still reach the client", async (t) => {
  const { client } = await setup(t);
  const md = metadata({ "x-set-header": "h2", "x-set-trailer": "t2" });
  const { error, headers, status } = await unary(client, "say", { text: "no", failWith: Code.NotFound }, md).done;
  t.is(error?.code, grpc.status.NOT_FOUND);
  t.deepEqual(status?.metadata.get("x-echo-trailer"), ["t2"]);
  // No message went out, so the host answers trailers-only: the headers belong in that one block.
  const all = { ...headers?.getMap(), ...status?.metadata.getMap() };
  t.is(all["x-echo-header"], "h2");
});

test("errors: a server stream that fails after replies delivers them, then the status", async (t) => {
  const { client } = await setup(t);
  const call = client.repeat({ text: "half", repeat: 3, failWith: Code.Aborted });
  const got: number[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const r of call) got.push(r.index);
  });
  t.deepEqual(got, [0, 1, 2]);
  t.like(error, { code: grpc.status.ABORTED, details: "half" });
});

test("unauthenticated: authenticate throwing refuses the call", async (t) => {
  const { client, echo } = await setup(t);
  const { error } = await unary(client, "say", { text: "x" }, metadata({ "x-deny": "1" })).done;
  t.like(error, { code: grpc.status.UNAUTHENTICATED, details: "denied by x-deny" });
  t.is(echo.calls.length, 0, "the handler never ran");
});

test("deadline: DEADLINE_EXCEEDED at the client, the handler's signal aborts", async (t) => {
  const { client, echo } = await setup(t);
  await unary(client, "say", { text: "connect first" }).done; // the deadline must not pass while connecting
  const started = Date.now();
  const { error } = await unary(client, "say", { text: "slow", delayMs: 5000 }, new grpc.Metadata(), { deadline: Date.now() + 300 }).done;
  t.is(error?.code, grpc.status.DEADLINE_EXCEEDED);
  t.true(Date.now() - started < 2000);
  const record = await echo.call("say", "slow");
  await t.notThrowsAsync(() => waitAborted(record));
  t.true(record.aborted);
  const reason = StreampathError.from(record.abortReason);
  t.true([Code.DeadlineExceeded, Code.Canceled].includes(reason.code), String(reason));
  t.true(record.finished);
});

test("deadline: a server stream past its deadline ends with DEADLINE_EXCEEDED", async (t) => {
  const { client, echo } = await setup(t);
  await unary(client, "say", { text: "connect first" }).done;
  const call = client.repeat({ text: "late", repeat: 1, delayMs: 5000 }, new grpc.Metadata(), { deadline: Date.now() + 300 });
  const error = await t.throwsAsync(async () => {
    for await (const _ of call) t.fail("no reply expected");
  });
  t.is((error as grpc.ServiceError).code, grpc.status.DEADLINE_EXCEEDED);
  await waitAborted(await echo.call("repeat", "late"));
});

test("cancellation: call.cancel() aborts the handler's signal", async (t) => {
  const { client, echo } = await setup(t);
  const { call, done } = unary(client, "say", { text: "cancel me", delayMs: 5000 });
  const record = await echo.call("say", "cancel me");
  t.false(record.aborted);
  call.cancel();
  t.is((await done).error?.code, grpc.status.CANCELLED);
  await waitAborted(record);
  t.is(StreampathError.from(record.abortReason).code, Code.Canceled);
});

test("cancellation: canceling a bidi call mid-stream aborts the busy handler and finishes it", async (t) => {
  const { client, echo } = await setup(t);
  const call = client.chat();
  call.on("error", () => undefined);
  const it = call[Symbol.asyncIterator]();
  call.write({ text: "first" });
  t.like((await it.next()).value, { text: "first" });
  const record = await echo.call("chat", "first");
  // The handler is busy with this one when the cancel arrives. (grpc-js cancels with Node's
  // stream.close(), which half-closes the request stream before its RST_STREAM: a handler
  // idle on its requests would see a clean end first.)
  call.write({ text: "slow", delayMs: 5000 });
  await waitFor(() => record.received === 2, 3000, "the second request");
  call.cancel();
  await waitAborted(record);
  await waitFinished(record);
  t.is(StreampathError.from(record.abortReason).code, Code.Canceled);
  t.is(record.produced, 1);
});

const waitAborted = (record: { aborted: boolean }) => waitFor(() => record.aborted, 3000, "the handler's signal to abort");
const waitFinished = (record: { finished: boolean }) => waitFor(() => record.finished, 3000, "the handler to finish");
