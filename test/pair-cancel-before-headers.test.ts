/**
 * A call canceled after its first down reached the host but before the
 * down's headers reached the guest. Resetting the down then would leave the
 * host a pair it cannot tell from one whose guest will resume (the guest
 * never learned its id), running its handler until the up timeout. The
 * guest waits for the headers, tells that pair its end, then lets go.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { PairHeader } from "../runtime/core/pair.js";
import { nodeGateway } from "./helpers/guest.js";
import { type Event, loadEcho, sleep, startEchoHost, waitFor } from "./helpers/host.js";
import { selfSigned } from "./helpers/tls.js";

/** Far longer than the test waits: a pair left to it would fail the test. */
const HOST_TIMEOUT_MS = 30_000;

async function* oneEventThenWait(signal: AbortSignal): AsyncGenerator<Event> {
  yield { seq: 1n, payload: new Uint8Array([1]) };
  await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: canceled before the down's headers came, the host's handler ends at once, not at its timeout`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned(), pair: { upTimeoutMs: HOST_TIMEOUT_MS, resumeTimeoutMs: HOST_TIMEOUT_MS } });
    let downAnswered!: () => void;
    const answered = new Promise<void>((resolve) => (downAnswered = resolve));
    const gateway = nodeGateway(t, echo.url, {
      upload,
      // The host has answered the down (its handler runs); the guest sees the headers 300 ms later.
      wrapFetch: (fetch) => async (url, init) => {
        const response = await fetch(url, init);
        if ((init?.headers as Record<string, string> | undefined)?.[PairHeader.half] === "down") {
          downAnswered();
          await sleep(300);
        }
        return response;
      },
    });
    const client = (await loadEcho()).createEchoClient(gateway);
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _ of client.events(oneEventThenWait(controller.signal), { signal: controller.signal }));
    })();
    await answered;
    const record = await echo.call("events");
    t.false(record.finished, "the handler runs");
    controller.abort();
    const error = await t.throwsAsync(reading, { instanceOf: StreampathError });
    t.is(error?.code, Code.Canceled, "the caller hears its cancel at once");

    const canceledAt = Date.now();
    await waitFor(() => record.finished, 5000, "the host's handler to end");
    t.true(record.aborted, "the handler's signal said why");
    t.log(`handler ended ${Date.now() - canceledAt} ms after the cancel (host timeouts: ${HOST_TIMEOUT_MS} ms)`);
  });
}
