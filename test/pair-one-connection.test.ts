/**
 * Many streaming calls over one HTTP/2 connection, as a browser makes them:
 * a down holds a stream until its up arrives, so without a bound on the
 * pairs joining at once the downs of many calls took every stream their ups
 * needed (1,000 calls failed "no up stream within 10000 ms"). The gateway
 * lets `maxJoining` pairs join at a time; every call completes.
 */
import test from "ava";
import { connectGateway } from "../runtime/guest/index.js";
import { http2Fetch } from "../runtime/guest/node.js";
import { selfSigned } from "./helpers/tls.js";
import { type Event, loadEcho, request, startEchoHost } from "./helpers/host.js";

test("2,000 server-streaming and 200 bidi calls started at once over one connection all complete", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  let sessions = 0;
  echo.host.server.on("session", () => sessions++);
  const fetch = http2Fetch({ ca: selfSigned().cert });
  t.teardown(() => fetch.close());
  const client = (await loadEcho()).createEchoClient(connectGateway(echo.url, { fetch }));
  const started = Date.now();
  const serverStreams = Array.from({ length: 2000 }, async (_, i) => {
    const replies: number[] = [];
    for await (const reply of client.repeat(request({ text: String(i), repeat: 5 }))) replies.push(reply.index);
    return replies.join(",") === "0,1,2,3,4";
  });
  async function* events(call: number): AsyncGenerator<Event> {
    for (let seq = 1; seq <= 20; seq++) yield { seq: BigInt(seq), payload: new Uint8Array([call & 0xff]) };
  }
  const bidis = Array.from({ length: 200 }, async (_, call) => {
    let expected = 1;
    for await (const event of client.events(events(call))) if (Number(event.seq) === expected && event.payload[0] === (call & 0xff)) expected++;
    return expected === 21;
  });
  const results = await Promise.allSettled([...serverStreams, ...bidis]);
  const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
  t.deepEqual(failed.slice(0, 3), [], `${failed.length} calls failed`);
  t.is(results.filter((r) => r.status === "fulfilled" && r.value).length, 2200);
  t.is(sessions, 1, "one connection");
  t.is(fetch.sessions, 1);
  t.log(`2,200 calls over one connection in ${Date.now() - started} ms`);
});
