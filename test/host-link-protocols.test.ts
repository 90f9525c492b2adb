/**
 * The host link in each protocol and format it speaks (connectHost's
 * `protocol: "grpc" | "connect"`, `format: "proto" | "json"`) against a
 * generated host: every method kind, metadata both ways, statuses with
 * details, deadlines; and the protocol's own headers win over a caller's.
 */
import test from "ava";
import { Code, StreampathError, errorDetail, findDetails } from "../runtime/core/index.js";
import { connectHost, createHost, type HandlerContext } from "../runtime/host/index.js";
import { echoServedBy, fromArray, loadEcho, request, startEchoHost, type EchoClient, type EchoReply } from "./helpers/host.js";

const COMBINATIONS = [
  { protocol: "grpc", format: "proto" },
  { protocol: "grpc", format: "json" },
  { protocol: "connect", format: "proto" },
  { protocol: "connect", format: "json" },
] as const;

for (const { protocol, format } of COMBINATIONS) {
  const title = `${protocol} ${format}`;

  test(`${title}: every method kind, with the content type the host saw`, async (t) => {
    const echo = await startEchoHost(t);
    const { createEchoClient } = await loadEcho();
    const link = connectHost(echo.url, { protocol, format });
    t.teardown(() => link.close());
    const client: EchoClient = createEchoClient(link);

    t.like(await client.say(request({ text: "één ✓" })), { text: "één ✓", index: 0 });
    const indexes: number[] = [];
    for await (const reply of client.repeat(request({ text: "r", repeat: 20 }))) indexes.push(reply.index);
    t.deepEqual(indexes, Array.from({ length: 20 }, (_, i) => i));
    t.like(await client.collect(fromArray(["a", "b", "c"].map((text) => request({ text })))), { text: "abc", index: 3 });
    const chat: string[] = [];
    for await (const reply of client.chat(fromArray(["x", "y"].map((text) => request({ text }))))) chat.push(reply.text);
    t.deepEqual(chat, ["x", "y"]);

    const types = echo.calls.map((c) => c.headers["content-type"]);
    const expected = protocol === "grpc"
      ? Array(4).fill(`application/grpc+${format}`)
      : [`application/${format}`, ...Array(3).fill(`application/connect+${format}`)];
    t.deepEqual(types, expected);
  });

  test(`${title}: headers, trailers, statuses and deadlines`, async (t) => {
    const echo = await startEchoHost(t);
    const { createEchoClient } = await loadEcho();
    const link = connectHost(echo.url, { protocol, format });
    t.teardown(() => link.close());
    const client: EchoClient = createEchoClient(link);

    for (const call of ["unary", "stream"] as const) {
      const seen: { header?: unknown; trailer?: unknown } = {};
      const options = {
        headers: { "x-custom": "c", "x-set-header": "h", "x-set-trailer": "tr", "content-type": "text/plain" },
        onHeaders: (h: Record<string, unknown>) => (seen.header = h["x-echo-header"]),
        onTrailers: (h: Record<string, unknown>) => (seen.trailer = h["x-echo-trailer"]),
      };
      if (call === "unary") t.like(await client.say(request({ text: "m" }), options), { header: "c" });
      else for await (const reply of client.repeat(request({ text: "m", repeat: 2 }), options)) t.is(reply.header, "c");
      t.deepEqual(seen, { header: "h", trailer: "tr" }, call);
    }
    // The caller's content-type did not replace the protocol's.
    t.true(echo.calls.every((c) => String(c.headers["content-type"]).startsWith("application/")));

    const failed = await t.throwsAsync(client.say(request({ text: "nope ✗ 100%", failWith: Code.NotFound })));
    t.like(failed, { code: Code.NotFound, message: "nope ✗ 100%" });
    const streamFailed = await t.throwsAsync(async () => {
      for await (const _ of client.repeat(request({ text: "late", repeat: 3, failWith: Code.Aborted })));
    });
    t.like(streamFailed, { code: Code.Aborted, message: "late" });
    const late = await t.throwsAsync(client.say(request({ delayMs: 2000 }), { timeoutMs: 100 }));
    t.is((late as StreampathError).code, Code.DeadlineExceeded);
  });

  test(`${title}: error details reach the caller`, async (t) => {
    const { EchoReply, createEchoClient } = await loadEcho();
    const why = (ctx: HandlerContext) =>
      new StreampathError(Code.FailedPrecondition, `not now (${String(ctx.requestHeaders["content-type"])})`, {
        details: [errorDetail(EchoReply, EchoReply.create({ text: "why", index: 7 }))],
      });
    const host = await createHost({
      h2c: true,
      services: [
        await echoServedBy({
          say: async (_: unknown, ctx: HandlerContext) => { throw why(ctx); },
          async *repeat(_: unknown, ctx: HandlerContext) { throw why(ctx); },
        }),
      ],
    });
    t.teardown(() => host.close(100));
    const link = connectHost(host.url, { protocol, format });
    t.teardown(() => link.close());
    const client: EchoClient = createEchoClient(link);
    for (const call of [() => client.say(request()), async () => { for await (const _ of client.repeat(request())); }]) {
      const error = await t.throwsAsync(call());
      t.is((error as StreampathError).code, Code.FailedPrecondition);
      t.deepEqual(findDetails<EchoReply>(error, EchoReply).map((d) => ({ text: d.text, index: d.index })), [{ text: "why", index: 7 }]);
    }
  });
}

test("connectHost refuses a protocol or format it does not speak, naming it", (t) => {
  t.throws(() => connectHost("http://127.0.0.1:1", { protocol: "grpc-web" as never }), { message: /protocol must be "grpc" or "connect", not grpc-web/ });
  t.throws(() => connectHost("http://127.0.0.1:1", { format: "xml" as never }), { message: /format must be "proto" or "json", not xml/ });
});
