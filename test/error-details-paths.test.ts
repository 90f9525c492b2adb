/**
 * Error details (google.rpc.Status) keep their bytes on every path a status
 * takes besides the host's own protocols: the pair's end message to a guest
 * (upload streamed and batched), the worker bridge's wire error, and the
 * wire forms themselves (Status bytes, Connect JSON).
 */
import test from "ava";
import { Code, StreampathError, errorDetail, findDetails } from "../runtime/core/index.js";
import { decodeStatusDetails, detailsFromJson, detailsToJson, encodeStatus, fromBase64, toBase64 } from "../runtime/core/error-details.js";
import { endPayload, parseEnd } from "../runtime/core/pair.js";
import { fromWire, toWire } from "../runtime/core/bridge.js";
import { createHost } from "../runtime/host/index.js";
import { selfSigned } from "./helpers/tls.js";
import { nodeGateway } from "./helpers/guest.js";
import { echoServedBy, fromArray, loadEcho, request, type EchoClient, type EchoReply } from "./helpers/host.js";

const bytes = (...values: number[]) => new Uint8Array(values);
const sample = () =>
  new StreampathError(Code.FailedPrecondition, "not now ✗", {
    details: [{ type: "test.echo.EchoReply", value: bytes(0x0a, 0x01, 0x61) }, { type: "google.rpc.RetryInfo", value: bytes() }],
  });

test("Status bytes: details round trip with type.googleapis.com/ type URLs; unknown fields skipped", (t) => {
  const status = encodeStatus(sample());
  t.true(Buffer.from(status).includes(Buffer.from("type.googleapis.com/test.echo.EchoReply")));
  t.deepEqual(decodeStatusDetails(status), sample().details);
  // Field 9 (varint) before the details: skipped, not an error.
  t.deepEqual(decodeStatusDetails(new Uint8Array([0x48, 0x01, ...status])), sample().details);
  t.throws(() => decodeStatusDetails(bytes(0x1a, 0x05, 0x0a)), { instanceOf: StreampathError });
});

test("Connect JSON details: base64 without padding both ways; malformed entries dropped", (t) => {
  const json = detailsToJson(sample().details);
  t.deepEqual(json, [{ type: "test.echo.EchoReply", value: "CgFh" }, { type: "google.rpc.RetryInfo", value: "" }]);
  t.deepEqual(detailsFromJson(json), sample().details);
  t.deepEqual(detailsFromJson([{ type: 1, value: "x" }, null, "s", { type: "a", value: "CgFh" }]), [{ type: "a", value: bytes(0x0a, 0x01, 0x61) }]);
  t.deepEqual(fromBase64("_-8"), bytes(0xff, 0xef));
  t.is(toBase64(bytes(0xff, 0xef)), "/+8=");
  t.throws(() => fromBase64("a"), { message: /invalid base64/ });
});

test("pair end message and bridge wire error carry details", (t) => {
  const ended = parseEnd(endPayload(sample(), { "x-t": "v" }));
  t.is(ended.error?.code, Code.FailedPrecondition);
  t.deepEqual(ended.error?.details, sample().details);
  const crossed = fromWire(structuredClone(toWire(sample())));
  t.deepEqual(crossed.details, sample().details);
  t.deepEqual(fromWire({ code: 9, message: "m", details: [{ type: 1 }, { type: "a", value: "not bytes" }] }).details, []);
  t.false("details" in toWire(new StreampathError(Code.Aborted, "plain")));
});

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: a handler's details reach a guest through the pair`, async (t) => {
    const { EchoReply, createEchoClient } = await loadEcho();
    const refuse = () => {
      throw new StreampathError(Code.FailedPrecondition, "not now", { details: [errorDetail(EchoReply, EchoReply.create({ text: "why", index: 3 }))] });
    };
    const host = await createHost({
      tls: selfSigned(),
      services: [await echoServedBy({ say: refuse, collect: refuse })],
    });
    t.teardown(() => host.close(100));
    const client: EchoClient = createEchoClient(nodeGateway(t, host.url, { upload }));
    for (const call of [() => client.say(request()), () => client.collect(fromArray([request()]))]) {
      const error = await t.throwsAsync(call());
      t.is((error as StreampathError).code, Code.FailedPrecondition);
      t.deepEqual(findDetails<EchoReply>(error, EchoReply).map((d) => [d.text, d.index]), [["why", 3]]);
    }
  });
}
