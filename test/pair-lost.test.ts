/**
 * A call the host no longer has cannot resume, and the guest says so with
 * its own code: a host that restarted (a new instance behind the same
 * origin) answers the resumed down request not_found, a host that ended the
 * pair while the guest was away answers failed_precondition, and in both
 * cases the call fails `aborted` ("start it again"), which a caller can tell
 * from a handler's own not_found or failed_precondition.
 */
import test from "ava";
import type { Fetch } from "../runtime/guest/http.js";
import { Code, type StreampathError } from "../runtime/core/index.js";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import {
  type Event,
  loadEcho,
  sleep,
  startEchoHost,
  waitFor,
} from "./helpers/host.js";
import { reset, watchPairs } from "./helpers/pair-watch.js";

const PATH = "/test.echo.Echo/Events";

/** Events 1, 2, … as they are asked for, up to `count`. */
async function* events(count: number): AsyncGenerator<Event> {
  for (let seq = 1; seq <= count; seq++)
    yield { seq: BigInt(seq), payload: new Uint8Array([seq & 0xff]) };
}

/** Reads echoes until the call fails; returns how many came and the error. */
async function readUntilFailure(
  replies: AsyncIterable<Event>,
  onEcho: (n: number) => void,
): Promise<[number, StreampathError]> {
  let n = 0;
  try {
    for await (const _ of replies) onEcho(++n);
  } catch (error) {
    return [n, error as StreampathError];
  }
  throw new Error(`the call ended cleanly after ${n} echoes`);
}

test("a resume that reaches a restarted host fails aborted, not not_found", async (t) => {
  const tls = selfSigned();
  const first = await startEchoHost(t, { tls });
  const second = await startEchoHost(t, { tls });
  const watch = watchPairs(first.host, PATH);
  let target = first.url;
  // The origin stays; what answers it changes, as after a restart.
  const wrapFetch =
    (fetch: Fetch): Fetch =>
    (input, init) =>
      fetch(input.replace(first.url, target), init);
  const gateway = nodeGateway(t, first.url, {
    wrapFetch,
    retry: { attempts: 3, baseMs: 5, capMs: 20 },
  });
  const client = (await loadEcho()).createEchoClient(gateway);
  let crashed = false;
  const [echoes, error] = await readUntilFailure(
    client.events(events(1_000_000)),
    (n) => {
      if (n !== 100 || crashed) return;
      crashed = true;
      target = second.url;
      for (const half of ["down", "up"] as const)
        for (const stream of watch.live[half]) reset(stream);
    },
  );
  t.true(crashed, "the first host went away mid-call");
  t.true(echoes >= 100);
  t.is(error.code, Code.Aborted, error.message);
  t.regex(
    error.message,
    /the host no longer has this call, so it cannot resume: .*another host instance/,
  );
});

test("a resume after the host ended the pair fails aborted, not failed_precondition", async (t) => {
  const echo = await startEchoHost(t, {
    tls: selfSigned(),
    pair: { resumeTimeoutMs: 100 },
  });
  const watch = watchPairs(echo.host, PATH);
  let away = false;
  // While away, the guest's requests wait: longer than the host waits for a resume.
  const wrapFetch =
    (fetch: Fetch): Fetch =>
    async (input, init) => {
      if (away) await sleep(400);
      return fetch(input, init);
    };
  const gateway = nodeGateway(t, echo.url, {
    wrapFetch,
    retry: { attempts: 3, baseMs: 5, capMs: 20 },
  });
  const client = (await loadEcho()).createEchoClient(gateway);
  const [echoes, error] = await readUntilFailure(
    client.events(events(1_000_000)),
    (n) => {
      if (n !== 100 || away) return;
      away = true;
      for (const half of ["down", "up"] as const)
        for (const stream of watch.live[half]) reset(stream);
    },
  );
  t.true(echoes >= 100);
  t.is(error.code, Code.Aborted, error.message);
  t.regex(
    error.message,
    /the host no longer has this call, so it cannot resume/,
  );
  const record = await echo.call("events");
  await waitFor(
    () => record.finished,
    5000,
    "the host's handler to end with the pair",
  );
  t.true(
    record.aborted,
    "the host canceled its handler when the resume did not come",
  );
});
