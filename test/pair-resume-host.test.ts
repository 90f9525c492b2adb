/**
 * Resume against resets from the host's side: during a 100,000-event bidi
 * call from a Node guest, the host resets the down stream, then the up
 * stream (or a fallback batch), then both, at random points many times; the
 * handler and the guest each see every event exactly once, in order.
 */
import test from "ava";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import { type Event, loadEcho, startEchoHost } from "./helpers/host.js";
import { resetHalves, seeded, watchPairs } from "./helpers/pair-watch.js";

const COUNT = 100_000;

const payloadOf = (seq: number) => new Uint8Array([seq & 0xff, (seq >> 8) & 0xff, 7]);

async function* events(): AsyncGenerator<Event> {
  for (let seq = 1; seq <= COUNT; seq++) yield { seq: BigInt(seq), payload: payloadOf(seq) };
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: the host resets halves of a 100,000-event call many times; nothing lost or repeated`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned() });
    const watch = watchPairs(echo.host, "/test.echo.Echo/Events");
    const received = () => echo.calls.find((c) => c.method === "events")?.received ?? 0;
    const resets = resetHalves(watch, { random: seeded(upload === "stream" ? 3 : 5), rounds: 60, minMs: 5, maxMs: 60, progress: received });
    const gateway = nodeGateway(t, echo.url, { upload, window: 512, retry: { attempts: 6, baseMs: 5, capMs: 50 } });
    const client = (await loadEcho()).createEchoClient(gateway);
    let expected = 1;
    try {
      for await (const event of client.events(events())) {
        const payload = payloadOf(expected);
        if (Number(event.seq) !== expected || event.payload.some((b, i) => b !== payload[i])) {
          return t.fail(`echo ${expected}: got seq ${event.seq}`);
        }
        expected++;
      }
    } finally {
      await resets.stop();
    }
    t.is(expected - 1, COUNT);
    const record = await echo.call("events");
    t.is(record.received, COUNT, "the handler saw every event once");
    t.true(record.finished);
    const { rounds, downs, ups } = resets.state;
    t.log(`reset rounds: ${rounds} (downs ${downs}, ups ${ups}); requests: ${JSON.stringify(watch.counts)}`);
    t.true(rounds >= 10 && downs >= 3 && ups >= 3, `too few resets landed: ${JSON.stringify(resets.state)}`);
  });
}
