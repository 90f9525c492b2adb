/**
 * An in-realm call carries the handler's response headers and trailers, as
 * a host call does: the caller's `onHeaders` gets `context.responseHeaders`
 * once, before the first response (or at the end, with none), and
 * `onTrailers` gets `context.responseTrailers` once when the call ends,
 * failed or not.
 */
import test from "ava";
import { Code, StreampathError } from "../runtime/core/index.js";
import { Echo, type Seen, registry } from "./helpers/local-echo.js";

async function* three() {
  yield* [1, 2, 3];
}

/** Reads the call to its end, logging messages and metadata in the order the caller hears them. */
async function hear(
  replies: AsyncIterable<unknown>,
  heard: string[],
): Promise<unknown> {
  try {
    for await (const reply of replies) heard.push(`message ${String(reply)}`);
    return undefined;
  } catch (error) {
    return error;
  }
}

const metadata = (heard: string[]) => ({
  onHeaders: (h: Record<string, unknown>) =>
    void heard.push(`headers ${JSON.stringify(h)}`),
  onTrailers: (t: Record<string, unknown>) =>
    void heard.push(`trailers ${JSON.stringify(t)}`),
});

test("headers before the first response, trailers after the last, each once", async (t) => {
  const seen: Seen = { finished: false };
  const workers = registry(seen, async function* (requests, context) {
    context.responseHeaders["x-step"] = "started";
    for await (const r of requests) {
      yield r;
      context.responseTrailers["x-count"] = String(r);
    }
  });
  const heard: string[] = [];
  t.is(
    await hear(
      workers.call(Echo.methods.echo!.path, three(), metadata(heard)),
      heard,
    ),
    undefined,
  );
  t.deepEqual(heard, [
    'headers {"x-step":"started"}',
    "message 1",
    "message 2",
    "message 3",
    'trailers {"x-count":"3"}',
  ]);
});

test("a handler that fails: its headers and trailers still reach the caller, then the error", async (t) => {
  const seen: Seen = { finished: false };
  const workers = registry(seen, async function* (_requests, context) {
    context.responseHeaders["x-step"] = "failing";
    context.responseTrailers["x-why"] = "no luck";
    throw new StreampathError(Code.FailedPrecondition, "not now");
  });
  const heard: string[] = [];
  const error = await hear(
    workers.call(Echo.methods.echo!.path, three(), metadata(heard)),
    heard,
  );
  t.is((error as StreampathError).code, Code.FailedPrecondition);
  t.deepEqual(heard, [
    'headers {"x-step":"failing"}',
    'trailers {"x-why":"no luck"}',
  ]);
});

test("a call with no responses gets its headers at the end, with its trailers", async (t) => {
  const seen: Seen = { finished: false };
  const workers = registry(seen, async function* (requests) {
    for await (const _ of requests);
  });
  const heard: string[] = [];
  t.is(
    await hear(
      workers.call(Echo.methods.echo!.path, three(), metadata(heard)),
      heard,
    ),
    undefined,
  );
  t.deepEqual(heard, ["headers {}", "trailers {}"]);
});
