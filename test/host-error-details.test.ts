/**
 * Error details (`google.rpc.Status.details`) from a handler's
 * `new StreampathError(code, text, { details })`, read back by every kind of
 * client: @grpc/grpc-js (grpc-status-details-bin decoded by hand), Connect-ES
 * (`ConnectError.findDetails`) over Connect binary and JSON, gRPC-Web and
 * gRPC, a raw Connect JSON body, and the host's own link (`findDetails`).
 */
import test, { type ExecutionContext } from "ava";
import grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code, StreampathError, errorDetail, findDetails } from "../runtime/core/index.js";
import { connectHost, createHost, implement, type Host } from "../runtime/host/index.js";
import { ECHO_PROTO, envelope, loadEcho, loadGrpcJsEcho, parseEnvelopes, type EchoRequest } from "./helpers/host.js";

const MESSAGE = "precondition failed: ✗ 100%";
const PAYLOAD = new Uint8Array([1, 2, 3, 250]);

/** A host whose Say fails, and whose Repeat fails after `repeat` replies, with two details. */
async function startHost(t: ExecutionContext): Promise<Host> {
  const { Echo, EchoReply, Event } = await loadEcho();
  const failure = () =>
    new StreampathError(Code.FailedPrecondition, MESSAGE, {
      details: [errorDetail(EchoReply, EchoReply.create({ text: "why" })), errorDetail(Event, Event.create({ seq: 42n, payload: PAYLOAD }))],
    });
  const impl = {
    say: async () => {
      throw failure();
    },
    async *repeat(req: EchoRequest) {
      for (let i = 0; i < req.repeat; i++) yield EchoReply.create({ text: req.text, index: i });
      throw failure();
    },
    collect: async () => {
      throw failure();
    },
    async *chat() {
      throw failure();
    },
    async *events() {
      throw failure();
    },
    async *flood() {
      throw failure();
    },
  };
  const host = await createHost({ h2c: true, services: [implement(Echo, impl as never)] });
  t.teardown(() => host.close(100));
  return host;
}

// google.rpc.Status and google.protobuf.Any, to decode grpc-status-details-bin independently of the runtime.
const statusRoot = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { typeUrl: { type: "string", id: 1 }, value: { type: "bytes", id: 2 } } } } },
        rpc: {
          nested: {
            Status: {
              fields: { code: { type: "int32", id: 1 }, message: { type: "string", id: 2 }, details: { rule: "repeated", type: "google.protobuf.Any", id: 3 } },
            },
          },
        },
      },
    },
  },
});
const Status = statusRoot.lookupType("google.rpc.Status");

/** Checks a decoded google.rpc.Status against what the handler threw. */
async function assertStatus(t: ExecutionContext, bytes: Uint8Array) {
  const { EchoReply, Event } = await loadEcho();
  const status = Status.decode(bytes) as unknown as { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] };
  t.is(status.code, Code.FailedPrecondition);
  t.is(status.message, MESSAGE);
  t.deepEqual(status.details.map((d) => d.typeUrl), ["type.googleapis.com/test.echo.EchoReply", "type.googleapis.com/test.echo.Event"]);
  t.is(EchoReply.decode(status.details[0].value).text, "why");
  const event = Event.decode(status.details[1].value);
  t.is(event.seq, 42n);
  t.deepEqual([...event.payload], [...PAYLOAD]);
}

test("@grpc/grpc-js: grpc-status-details-bin decodes to the google.rpc.Status, unary and streaming", async (t) => {
  const host = await startHost(t);
  const Echo = loadGrpcJsEcho();
  const client = new Echo(`127.0.0.1:${host.port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const unary = await new Promise<grpc.ServiceError>((resolve, reject) =>
    client.say({ text: "x" }, (error: grpc.ServiceError | null) => (error ? resolve(error) : reject(new Error("say succeeded")))),
  );
  t.is(unary.code, grpc.status.FAILED_PRECONDITION);
  t.is(unary.details, MESSAGE);
  const [bin] = unary.metadata.get("grpc-status-details-bin");
  t.true(Buffer.isBuffer(bin), "grpc-js decodes the -bin trailer to bytes");
  await assertStatus(t, bin as Buffer);

  const call = client.repeat({ text: "r", repeat: 2 });
  const replies: unknown[] = [];
  const streamError = await new Promise<grpc.ServiceError>((resolve) => {
    call.on("data", (r: unknown) => replies.push(r));
    call.on("error", resolve);
  });
  t.is(replies.length, 2);
  t.is(streamError.code, grpc.status.FAILED_PRECONDITION);
  await assertStatus(t, streamError.metadata.get("grpc-status-details-bin")[0] as Buffer);
});

interface DescriptorSet {
  file: { messageType?: { field?: { name: string; jsonName?: string }[] }[] }[];
}

function connectEs() {
  const root = protobuf.loadSync(ECHO_PROTO);
  const set = (root as unknown as { toDescriptor(syntax: string): DescriptorSet }).toDescriptor("proto3");
  // protobufjs leaves json_name unset (""), where protoc always sets it; @bufbuild/protobuf's JSON needs it.
  for (const file of set.file) {
    for (const message of file.messageType ?? []) {
      for (const field of message.field ?? []) field.jsonName ||= field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    }
  }
  const bytes = (descriptor as unknown as { FileDescriptorSet: { encode(m: object): { finish(): Uint8Array } } }).FileDescriptorSet.encode(set).finish();
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const service = registry.getService("test.echo.Echo");
  const reply = registry.getMessage("test.echo.EchoReply");
  const event = registry.getMessage("test.echo.Event");
  if (!service || !reply || !event) throw new Error("echo.proto's descriptors are incomplete");
  return { service, reply, event };
}

const ES = connectEs();

const TRANSPORTS: Record<string, (url: string) => Transport> = {
  "Connect binary, HTTP/2": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  "Connect JSON, HTTP/2": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }),
  "Connect JSON, HTTP/1.1": (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
  "gRPC-Web binary, HTTP/2": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
  "gRPC-Web binary, HTTP/1.1": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
  "gRPC-Web JSON, HTTP/1.1": (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
  gRPC: (baseUrl) => createGrpcTransport({ baseUrl, useBinaryFormat: true }),
};

function assertConnectError(t: ExecutionContext, error: unknown, what: string) {
  t.true(error instanceof ConnectError, `${what}: ${String(error)}`);
  const e = error as ConnectError;
  t.is(e.code as number, Code.FailedPrecondition, what);
  t.is(e.rawMessage, MESSAGE, what);
  // The registry's descriptors are untyped (DescMessage): their shapes, by hand.
  t.deepEqual((e.findDetails(ES.reply) as unknown as { text: string }[]).map((r) => r.text), ["why"], what);
  const events = e.findDetails(ES.event) as unknown as { seq: bigint; payload: Uint8Array }[];
  t.is(events.length, 1, what);
  t.is(events[0]?.seq, 42n, what);
  t.deepEqual([...(events[0]?.payload ?? [])], [...PAYLOAD], what);
}

for (const [name, make] of Object.entries(TRANSPORTS)) {
  test(`Connect-ES ${name}: ConnectError.findDetails, unary and server streaming`, async (t) => {
    const host = await startHost(t);
    const client = createClient(ES.service, make(host.url)) as any;
    assertConnectError(t, await t.throwsAsync(client.say({ text: "x" })), "unary");
    const replies: unknown[] = [];
    const error = await t.throwsAsync(async () => {
      for await (const r of client.repeat({ text: "r", repeat: 2 })) replies.push(r);
    });
    t.is(replies.length, 2);
    assertConnectError(t, error, "streaming");
  });
}

test("raw Connect JSON: the error body's details are {type, value} with unpadded base64", async (t) => {
  const host = await startHost(t);
  const { EchoReply, Event } = await loadEcho();
  const checkDetails = (details: { type: string; value: string }[]) => {
    t.deepEqual(details.map((d) => d.type), ["test.echo.EchoReply", "test.echo.Event"]);
    for (const d of details) t.notRegex(d.value, /=/, "no base64 padding");
    t.is(EchoReply.decode(Buffer.from(details[0].value, "base64")).text, "why");
    t.is(Event.decode(Buffer.from(details[1].value, "base64")).seq, 42n);
  };
  const unary = await fetch(`${host.url}/test.echo.Echo/Say`, { method: "POST", headers: { "content-type": "application/json", "connect-protocol-version": "1" }, body: '{"text":"x"}' });
  t.is(unary.status, 400, "failed_precondition is HTTP 400");
  const body = (await unary.json()) as { code: string; message: string; details: { type: string; value: string }[] };
  t.is(body.code, "failed_precondition");
  t.is(body.message, MESSAGE);
  checkDetails(body.details);

  const stream = await fetch(`${host.url}/test.echo.Echo/Repeat`, {
    method: "POST",
    headers: { "content-type": "application/connect+json" },
    body: new Uint8Array(envelope(new TextEncoder().encode('{"text":"r","repeat":1}'))),
  });
  t.is(stream.status, 200);
  const frames = parseEnvelopes(new Uint8Array(await stream.arrayBuffer()));
  t.deepEqual(frames.map((f) => f.flags), [0, 2]);
  const end = JSON.parse(Buffer.from(frames[1].data).toString("utf8"));
  t.is(end.error.code, "failed_precondition");
  checkDetails(end.error.details);
});

for (const protocol of ["grpc", "connect"] as const) {
  for (const format of ["proto", "json"] as const) {
    test(`host link (${protocol}, ${format}): findDetails(error, EchoReply) on the StreampathError`, async (t) => {
      const host = await startHost(t);
      const { createEchoClient, EchoReply, Event } = await loadEcho();
      const link = connectHost(host.url, { protocol, format });
      t.teardown(() => link.close());
      const client = createEchoClient(link);
      const check = (error: unknown, what: string) => {
        t.true(error instanceof StreampathError, `${what}: ${String(error)}`);
        t.is((error as StreampathError).code, Code.FailedPrecondition, what);
        t.is((error as StreampathError).message, MESSAGE, what);
        // Expected to pass once the link decodes details (grpc-status-details-bin, Connect's JSON details):
        // empty arrays here mean the link dropped them.
        t.deepEqual(findDetails(error, EchoReply).map((r) => r.text), ["why"], `${what}: link-side details`);
        t.deepEqual(findDetails(error, Event).map((e) => e.seq), [42n], `${what}: link-side details`);
      };
      check(await t.throwsAsync(client.say({ text: "x", repeat: 0, failWith: 0, delayMs: 0 })), "unary");
      const replies: unknown[] = [];
      const error = await t.throwsAsync(async () => {
        for await (const r of client.repeat({ text: "r", repeat: 2, failWith: 0, delayMs: 0 })) replies.push(r);
      });
      t.is(replies.length, 2);
      check(error, "streaming");
    });
  }
}
