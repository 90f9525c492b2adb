/**
 * Silence on a pair: the host sends an empty control on a down stream that
 * had nothing to carry for `pair.heartbeatMs`, and a guest whose down stream
 * goes silent past twice that (a connection dead without an error) resumes.
 */
import test from "ava";
import { PAIR_CONTENT_TYPE, PairFlag, PairHeader } from "../runtime/core/pair.js";
import type { Fetch } from "../runtime/guest/index.js";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import { type Event, loadEcho, parseEnvelopes, rawRequest, rawSession, startEchoHost } from "./helpers/host.js";

test("an idle down stream carries an empty control every heartbeat, and says how often", async (t) => {
  const echo = await startEchoHost(t, { pair: { heartbeatMs: 100 } });
  const session = await rawSession(t, echo.url);
  const { stream } = rawRequest(session, {
    ":method": "POST",
    ":path": "/test.echo.Echo/Events",
    "content-type": PAIR_CONTENT_TYPE,
    [PairHeader.half]: "down",
    [PairHeader.window]: "64",
  });
  const headers = await new Promise<Record<string, unknown>>((resolve) => stream.once("response", resolve));
  t.is(headers[PairHeader.heartbeat], "100");
  // The first control is the grant every new down stream starts with; then one per 75–100 ms of
  // silence (the host ticks every 25 ms and speaks after 75 ms of silence, so it is never silent
  // longer than it said). Waited for rather than slept on, so a loaded machine is slower but not
  // wrong; too many too soon fails, and so does a gap the guest would take for a dead connection.
  const started = Date.now();
  const chunks: Buffer[] = [];
  const arrivals: number[] = [];
  const controls = () => parseEnvelopes(Buffer.concat(chunks)).filter((e) => e.flags === PairFlag.Control);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${controls().length} controls in 5 s`)), 5000);
    stream.on("data", (c: Buffer) => {
      chunks.push(c);
      arrivals.push(Date.now());
      if (controls().length >= 5) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const ms = Date.now() - started;
  t.true(ms >= 300, `4 heartbeats after ${ms} ms: more often than every 75 ms`);
  const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
  // 100 ms promised; the slack is for timers and arrivals bunched on a loaded machine, still below
  // the guest's 2 × 100 + 1000 ms.
  t.true(Math.max(...gaps) < 300, `gaps between heartbeats ${gaps.join(", ")} ms: silent far longer than promised`);
  t.deepEqual(controls().slice(1, 5).map((c) => Buffer.from(c.data).toString()), Array(4).fill("{}"));
  stream.close();
});

test("a down stream that goes silent without an error is given up and the call resumes", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned(), pair: { heartbeatMs: 100 } });
  let downs = 0;
  // The first down stream delivers three chunks (a few thousand echoes at most: the call has
  // 20,000), then nothing ever again, and never fails.
  const freezeFirstDown = (inner: Fetch): Fetch => async (input, init) => {
    const response = await inner(input, init);
    if ((init.headers as Record<string, string>)[PairHeader.half] !== "down" || ++downs > 1) return response;
    let chunks = 3;
    const frozen = response.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => (chunks-- > 0 ? controller.enqueue(chunk) : new Promise<void>(() => undefined)),
      }),
    );
    return new Response(frozen, { status: response.status, headers: response.headers });
  };
  const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { wrapFetch: freezeFirstDown }));
  async function* events(): AsyncGenerator<Event> {
    for (let seq = 1; seq <= 20_000; seq++) yield { seq: BigInt(seq), payload: new Uint8Array([seq & 0xff]) };
  }
  const started = Date.now();
  let expected = 1;
  for await (const event of client.events(events())) {
    if (Number(event.seq) !== expected++) return t.fail(`echo ${expected - 1}: got ${event.seq}`);
  }
  t.is(expected - 1, 20_000);
  t.is(downs, 2, "one resume");
  const ms = Date.now() - started;
  // Silence is declared after 2 × 100 ms + 1 s.
  t.true(ms >= 1200 && ms < 10_000, `took ${ms} ms`);
  t.is((await echo.call("events")).received, 20_000);
});
