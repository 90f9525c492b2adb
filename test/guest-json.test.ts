/**
 * A gateway asked for readable traffic (`connectGateway(url, { format: "json" })`):
 * its unary calls go as Connect JSON, answers and errors come back through
 * the same codecs, and its streaming calls still travel the (binary) pair.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { connectGateway } from "../runtime/guest/index.js";
import { selfSigned } from "./helpers/tls.js";
import { nodeGateway } from "./helpers/guest.js";
import { fromArray, loadEcho, request, startEchoHost, type EchoClient } from "./helpers/host.js";
import { PAIR_CONTENT_TYPE } from "../runtime/core/pair.js";

test("unary calls go as JSON, streaming ones in the pair; errors keep their code", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  const client: EchoClient = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { format: "json" }));
  t.like(await client.say(request({ text: "lisible ✓" }), { headers: { "x-custom": "c", "content-type": "text/plain" } }), { text: "lisible ✓", header: "c" });
  t.like(await client.collect(fromArray([request({ text: "a" }), request({ text: "b" })])), { text: "ab" });
  const error = await t.throwsAsync(client.say(request({ text: "non", failWith: Code.PermissionDenied })));
  t.like(error, { code: Code.PermissionDenied, message: "non" });
  t.true(error instanceof StreampathError);
  const types = echo.calls.map((c) => [c.method, c.headers["content-type"]]);
  t.deepEqual(types, [["say", "application/json"], ["collect", PAIR_CONTENT_TYPE], ["say", "application/json"]]);
});

test("a format other than proto or json is refused, naming it", (t) => {
  t.throws(() => connectGateway("https://127.0.0.1:1", { format: "xml" as never }), { message: /format must be "proto" or "json", not xml/ });
});
