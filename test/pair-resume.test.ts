/**
 * Resume: during a 20,000-event bidi call the down stream, the up stream, or
 * both are broken at random points (the request aborted, so the host sees a
 * reset, and the guest sees its body fail), many times; the handler and the
 * guest each still see every event exactly once, in order.
 */
import test from "ava";
import { PairHeader } from "../runtime/core/pair.js";
import type { Fetch } from "../runtime/guest/index.js";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import { type Event, loadEcho, startEchoHost } from "./helpers/host.js";
import { seeded } from "./helpers/pair-watch.js";

const COUNT = 20_000;
const FAULTS = 24;

/** A fetch that breaks pair requests: downs after 1–4 chunks (chunks are big: fewer would let the call end first), ups after a few ms. */
function faulty(random: () => number) {
  const state = { downs: 0, ups: 0, injected: 0 };
  const wrap = (inner: Fetch): Fetch => async (input, init) => {
    const half = (init.headers as Record<string, string>)[PairHeader.half];
    const mode = state.injected % 3; // 0: down, 1: up, 2: both
    const breakDown = half === "down" && state.injected < FAULTS && mode !== 1;
    // Fallback batches stand in for the up stream; only every third is broken, or none would get through.
    const breakUp = (half === "up" || (half === "batch" && random() < 0.3)) && state.injected < FAULTS && mode !== 0;
    if (!breakDown && !breakUp) return inner(input, init);
    const abort = new AbortController();
    const signal = init.signal ? AbortSignal.any([init.signal, abort.signal]) : abort.signal;
    if (breakUp && half === "batch") {
      // A batch is over in well under a millisecond here, before any timer could break it: fail it
      // as a network error would, before the host has it (the host-side break is the up's case).
      state.ups++;
      state.injected++;
      throw new TypeError("injected: batch failed");
    }
    if (breakUp) {
      state.ups++;
      // An up request's response comes only at its end: break it while it is in flight.
      const timer = setTimeout(() => (state.injected++, abort.abort(new Error("injected: up broken"))), random() * 30);
      return inner(input, { ...init, signal }).finally(() => clearTimeout(timer));
    }
    const response = await inner(input, { ...init, signal });
    state.downs++;
    let chunks = 1 + Math.floor(random() * 4);
    const body = response.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (--chunks > 0) return controller.enqueue(chunk);
          state.injected++;
          abort.abort(new Error("injected: down broken"));
          controller.error(new Error("injected: down broken"));
        },
      }),
    );
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { state, wrap };
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: broken halves resume with nothing lost or repeated`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned() });
    const faults = faulty(seeded(upload === "stream" ? 7 : 11));
    const gateway = nodeGateway(t, echo.url, { upload, window: 256, wrapFetch: faults.wrap, retry: { attempts: 5, baseMs: 5, capMs: 50 } });
    const client = (await loadEcho()).createEchoClient(gateway);
    async function* events(): AsyncGenerator<Event> {
      for (let seq = 1; seq <= COUNT; seq++) yield { seq: BigInt(seq), payload: new Uint8Array([seq & 0xff]) };
    }
    let expected = 1;
    for await (const event of client.events(events())) {
      if (Number(event.seq) !== expected || event.payload[0] !== (expected & 0xff)) {
        return t.fail(`echo ${expected}: got seq ${event.seq}`);
      }
      expected++;
    }
    t.is(expected - 1, COUNT);
    const record = await echo.call("events");
    t.is(record.received, COUNT, "the handler saw every event once");
    // How many land before the call ends depends on timing; the count of a run is logged.
    t.true(faults.state.injected >= 6, `only ${faults.state.injected} faults were injected (downs broken ${faults.state.downs}, ups ${faults.state.ups})`);
    t.log(`faults injected: ${faults.state.injected} (downs broken ${faults.state.downs}, ups ${faults.state.ups})`);
  });
}
