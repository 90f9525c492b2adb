/**
 * A pair's first down reset by its client while the host is still
 * authenticating it: the host must not keep a pair it can no longer answer
 * (it would hold the principal's pair slot, and its deadline, for good).
 */
import test from "ava";
import http2 from "node:http2";
import { PairHeader } from "../runtime/core/pair.js";
import { pairHeaders, sleep, startEchoHost } from "./helpers/host.js";

test("a down reset while authenticate runs leaves no pair behind: the principal's one pair slot is free again", async (t) => {
  const echo = await startEchoHost(t, { pair: { maxPairsPerPrincipal: 1 } });
  const client = http2.connect(`http://127.0.0.1:${echo.port}`);
  client.on("error", () => undefined);
  t.teardown(() => new Promise<void>((resolve) => setImmediate(() => (client.destroy(), resolve()))));

  const first = client.request(pairHeaders("down", { [PairHeader.window]: "64", "x-user": "u1", "x-auth-delay-ms": "300" }, "Events"), { endStream: true });
  first.on("error", () => undefined);
  await sleep(50);
  first.close(http2.constants.NGHTTP2_CANCEL);
  await sleep(600); // authenticate has finished and found the stream gone

  const second = client.request(pairHeaders("down", { [PairHeader.window]: "64", "x-user": "u1" }, "Events"), { endStream: true });
  second.on("error", () => undefined);
  const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => second.once("response", resolve));
  t.is(Number(headers[":status"]), 200, `the second pair was refused: ${JSON.stringify(headers)}`);
  t.truthy(headers[PairHeader.id]);
  second.close(http2.constants.NGHTTP2_CANCEL);
});
