/**
 * `-bin` metadata between a stock @grpc/grpc-js client and a host: the
 * client's binary headers reach a handler as base64 that readBinaryHeader
 * turns back into the same bytes, and bytes a handler sends with
 * binaryHeaderValue arrive as Buffers in the client's headers and trailers.
 */
import test from "ava";
import grpc from "@grpc/grpc-js";
import { StreampathError, binaryHeaderValue, readBinaryHeader } from "../runtime/core/index.js";
import { createHost, type HandlerContext } from "../runtime/host/index.js";
import { echoServedBy, loadEcho, loadGrpcJsEcho } from "./helpers/host.js";

const TRACE = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80, 0x3d]);

test("binary headers both ways, with several values and bytes that are not text", async (t) => {
  const { EchoReply } = await loadEcho();
  const seen: Uint8Array[][] = [];
  const host = await createHost({
    h2c: true,
    services: [
      await echoServedBy({
        say: async (_: unknown, ctx: HandlerContext) => {
          seen.push(readBinaryHeader(ctx.requestHeaders, "x-trace-bin") ?? []);
          ctx.responseHeaders["x-reply-bin"] = binaryHeaderValue(TRACE.slice().reverse());
          ctx.responseTrailers["x-end-bin"] = binaryHeaderValue(new Uint8Array([9]));
          return EchoReply.create({ text: "ok" });
        },
      }),
    ],
  });
  t.teardown(() => host.close(100));
  const Client = loadGrpcJsEcho();
  const client = new Client(`127.0.0.1:${host.port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());

  const md = new grpc.Metadata();
  md.add("x-trace-bin", Buffer.from(TRACE));
  md.add("x-trace-bin", Buffer.from([7]));
  const result = await new Promise<{ headers?: grpc.Metadata; trailers?: grpc.Metadata }>((resolve, reject) => {
    const out: { headers?: grpc.Metadata; trailers?: grpc.Metadata } = {};
    const call = client.say({ text: "x" }, md, (error: Error | null) => (error ? reject(error) : setImmediate(() => resolve(out))));
    call.on("metadata", (h: grpc.Metadata) => (out.headers = h));
    call.on("status", (s: grpc.StatusObject) => (out.trailers = s.metadata));
  });
  t.deepEqual(seen, [[TRACE, new Uint8Array([7])]]);
  t.deepEqual(new Uint8Array(result.headers!.get("x-reply-bin")[0] as Buffer), TRACE.slice().reverse());
  t.deepEqual(new Uint8Array(result.trailers!.get("x-end-bin")[0] as Buffer), new Uint8Array([9]));
});

test("readBinaryHeader: absent is undefined, padded and unpadded both read, non-base64 refused", (t) => {
  t.is(readBinaryHeader({}, "x-a-bin"), undefined);
  t.deepEqual(readBinaryHeader({ "x-a-bin": "AAE=, AAE" }, "X-A-Bin"), [new Uint8Array([0, 1]), new Uint8Array([0, 1])]);
  t.throws(() => readBinaryHeader({ "x-a-bin": "%%%" }, "x-a-bin"), { instanceOf: StreampathError, message: /base64/ });
});
