/**
 * Back-pressure from a client that stops reading: an endless server stream
 * (Flood) must stall in its handler once HTTP/2 flow control is exhausted,
 * with the host's memory flat, and end cleanly when the call is canceled.
 */
import http2 from "node:http2";
import test, { type ExecutionContext } from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { connectHost } from "../runtime/host/index.js";
import { envelope, grpcHeaders, loadEcho, rawSession, request, sleep, startEchoHost, waitFor, type CallRecord } from "./helpers/host.js";

const PAYLOAD = 1024;
/** An encoded Event with a 1 KiB payload, in its envelope: payload, tags, lengths, seq varint. */
const MESSAGE = 5 + PAYLOAD + 3 + 4;
const KiB = 1024;
const MiB = 1024 * KiB;
/** What the host may hold back on its side: one write batch it flushes (64 KiB) plus one being filled, plus the writable's buffer. */
const HOST_SIDE = 64 * KiB + 64 * KiB + 64 * KiB;

/**
 * Samples `record.produced` every 50 ms until it has not moved for `quietMs`
 * (bounded by `ms` overall); returns the settled count.
 */
async function settle(t: ExecutionContext, record: CallRecord, quietMs = 600, ms = 8000): Promise<number> {
  const end = Date.now() + ms;
  let last = -1;
  let since = Date.now();
  for (let i = 0; i < ms / 50 && Date.now() < end; i++) {
    await sleep(50);
    if (record.produced !== last) {
      last = record.produced;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return last;
    }
  }
  t.fail(`the handler kept producing for ${ms} ms: ${record.produced} messages`);
  return record.produced;
}

const memory = () => {
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
};

test("raw client with a 64 KiB window stops reading: the handler stalls, memory stays flat, cancel ends it", async (t) => {
  const echo = await startEchoHost(t);
  const { EchoRequest } = await loadEcho();
  const window = 64 * KiB;
  const session = await rawSession(t, echo.url, { initialWindowSize: window });
  const before = memory();

  const stream = session.request(grpcHeaders("Flood"));
  stream.on("error", () => undefined);
  stream.pause(); // never resumed, no 'data' listener: nothing is read past the readable's buffer
  stream.end(envelope(EchoRequest.encode(request({ text: "flood", repeat: PAYLOAD }))));
  const record = await echo.call("flood", "flood");

  const stalled = await settle(t, record);
  // The client's stream window, plus what its paused readable took in (its highWaterMark), plus the host's side.
  const bound = Math.ceil((window + stream.readableHighWaterMark + HOST_SIDE) / MESSAGE) + 16;
  t.log(`produced ${stalled} messages (${((stalled * MESSAGE) / KiB).toFixed(0)} KiB) before stalling; bound ${bound}`);
  t.true(stalled > window / MESSAGE, "it filled the window first");
  t.true(stalled <= bound, `produced ${stalled} > ${bound}`);
  await sleep(500);
  t.is(record.produced, stalled, "still stalled later");
  t.false(record.aborted);
  t.false(record.finished);

  const after = memory();
  t.true(after.rss - before.rss < 50 * MiB, `rss grew by ${((after.rss - before.rss) / MiB).toFixed(1)} MiB`);
  t.true(after.arrayBuffers - before.arrayBuffers < 50 * MiB, `arrayBuffers grew by ${((after.arrayBuffers - before.arrayBuffers) / MiB).toFixed(1)} MiB`);

  stream.close(http2.constants.NGHTTP2_CANCEL);
  await waitFor(() => record.aborted, 3000, "the handler's signal to abort");
  await waitFor(() => record.finished, 3000, "the handler's finally block");
  t.is(StreampathError.from(record.abortReason).code, Code.Canceled);
  t.is(record.produced, stalled, "nothing more was produced after the cancel");
});

test("reading resumes: a stalled stream delivers every message in order once the client reads again", async (t) => {
  const echo = await startEchoHost(t);
  const { EchoRequest, Event } = await loadEcho();
  const session = await rawSession(t, echo.url, { initialWindowSize: 64 * KiB });
  const stream = session.request(grpcHeaders("Flood"));
  stream.on("error", () => undefined);
  stream.pause();
  stream.end(envelope(EchoRequest.encode(request({ text: "resume", repeat: PAYLOAD }))));
  const record = await echo.call("flood", "resume");
  const stalled = await settle(t, record);

  // Read 4x what was produced before the stall, checking the sequence, then cancel.
  const want = stalled * 4;
  let buffer = Buffer.alloc(0);
  let next = 0n;
  let ok = true;
  const done = new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let i = 0; i < 10_000 && buffer.length >= 5; i++) {
        const length = buffer.readUInt32BE(1);
        if (buffer.length < 5 + length) break;
        const event = Event.decode(buffer.subarray(5, 5 + length));
        ok &&= event.seq === next && event.payload.length === PAYLOAD;
        next++;
        buffer = buffer.subarray(5 + length);
      }
      if (next >= BigInt(want)) resolve();
    });
    stream.resume();
  });
  const timeout = new AbortController();
  await Promise.race([done, sleep(8000, timeout.signal).catch(() => undefined)]);
  timeout.abort();
  t.true(next >= BigInt(want), `read ${next} of ${want}`);
  t.true(ok, "every Event in order, none lost or repeated");
  t.true(record.produced > stalled, "production resumed");
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await waitFor(() => record.finished, 3000, "the handler's finally block");
  t.true(record.aborted);
});

test("host link consumer that stops pulling: bounded by the link's 4 MiB stream window, abort ends the handler", async (t) => {
  const echo = await startEchoHost(t);
  const { createEchoClient } = await loadEcho();
  const link = connectHost(echo.url);
  t.teardown(() => link.close());
  const controller = new AbortController();
  const responses = createEchoClient(link).flood(request({ text: "link", repeat: PAYLOAD }), { signal: controller.signal });
  const iterator = responses[Symbol.asyncIterator]();
  const first = await iterator.next(); // one message pulled, then no more
  t.is(first.value?.seq, 0n);
  const record = await echo.call("flood", "link");
  const before = memory();

  const stalled = await settle(t, record);
  // Link: 4 MiB stream window + the paused readable's buffer (64 KiB is generous) + the host's side.
  const bound = Math.ceil((4 * MiB + 64 * KiB + HOST_SIDE) / MESSAGE) + 16;
  t.log(`produced ${stalled} messages before stalling; bound ${bound}`);
  t.true(stalled <= bound, `produced ${stalled} > ${bound}`);
  const after = memory();
  t.true(after.rss - before.rss < 50 * MiB, `rss grew by ${((after.rss - before.rss) / MiB).toFixed(1)} MiB`);

  controller.abort();
  // Like a fetch body after abort(): the next pull rejects at once (bounded loop in case it does not).
  let error: unknown;
  let afterAbort = 0;
  for (let i = 0; i <= bound && error === undefined; i++) {
    await iterator.next().then(
      (r) => (r.done ? (error = new Error("ended without an error")) : afterAbort++),
      (e: unknown) => (error = e),
    );
  }
  t.is(StreampathError.from(error).code, Code.Canceled, String(error));
  await waitFor(() => record.finished, 3000, "the handler's finally block");
  t.true(record.aborted);
  t.is(afterAbort, 0, "after abort() the next pull rejects; messages still buffered are not handed out");
});
