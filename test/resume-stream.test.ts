/**
 * resumeStream: a server stream read as one, across calls the host lost.
 * Each restart asks for what follows the last response the caller took;
 * refusals and the caller's own cancel are not retried; restarts without
 * progress are bounded.
 */
import test from "ava";
import { Code, StreampathError, resumeStream } from "../runtime/core/index.js";
import type { CallOptions } from "../runtime/core/index.js";

interface Request { after: number }
interface Update { revision: number }

/** A host whose log holds revisions 1..`last`; `breaks` says after which revision each call fails, and how. */
function host(last: number, breaks: { after: number; code: Code }[]) {
  const requests: number[] = [];
  const open = async function* (request: Request, _options: CallOptions): AsyncGenerator<Update> {
    requests.push(request.after);
    const fault = breaks.shift();
    for (let revision = request.after + 1; revision <= last; revision++) {
      if (fault && revision > fault.after) throw new StreampathError(fault.code, `lost after ${fault.after}`);
      yield { revision };
    }
  };
  return { open, requests };
}

const advance = (request: Request, update: Update): Request => ({ ...request, after: update.revision });
const collect = async (stream: AsyncIterable<Update>) => {
  const seen: number[] = [];
  for await (const update of stream) seen.push(update.revision);
  return seen;
};

test("a stream lost twice (aborted, unavailable) is read once, in order, with nothing repeated", async (t) => {
  const { open, requests } = host(10, [{ after: 3, code: Code.Aborted }, { after: 7, code: Code.Unavailable }]);
  const restarts: string[] = [];
  const seen = await collect(resumeStream(open, { after: 0 }, { advance, baseMs: 1, onRestart: (e, n) => restarts.push(`${n}:${e.code}`) }));
  t.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.deepEqual(requests, [0, 3, 7], "each restart asks after the last revision received");
  t.deepEqual(restarts, [`1:${Code.Aborted}`, `1:${Code.Unavailable}`], "progress between losses resets the count");
});

test("a refusal is the caller's, not retried", async (t) => {
  const { open, requests } = host(5, [{ after: 2, code: Code.PermissionDenied }]);
  const seen: number[] = [];
  const error = await t.throwsAsync(async () => {
    for await (const update of resumeStream(open, { after: 0 }, { advance })) seen.push(update.revision);
  });
  t.is((error as StreampathError).code, Code.PermissionDenied);
  t.deepEqual(seen, [1, 2]);
  t.deepEqual(requests, [0]);
});

test("restarts without progress are bounded: the last error comes through", async (t) => {
  const { open, requests } = host(5, Array.from({ length: 10 }, () => ({ after: 0, code: Code.Unavailable })));
  const error = await t.throwsAsync(collect(resumeStream(open, { after: 0 }, { advance, attempts: 3, baseMs: 1, capMs: 2 })));
  t.is((error as StreampathError).code, Code.Unavailable);
  t.is(requests.length, 4, "the first call and three restarts");
});

test("the caller's signal ends a backoff at once, with canceled", async (t) => {
  const { open } = host(5, Array.from({ length: 10 }, () => ({ after: 0, code: Code.Unavailable })));
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const error = await t.throwsAsync(collect(resumeStream(open, { after: 0 }, { advance, baseMs: 10_000, capMs: 10_000 }, { signal: controller.signal })));
  t.is((error as StreampathError).code, Code.Canceled);
  t.true(Date.now() - started < 2000);
});

test("a response the caller holds when the call is lost is not sent again", async (t) => {
  const { open, requests } = host(4, [{ after: 2, code: Code.Aborted }]);
  const seen: number[] = [];
  for await (const update of resumeStream(open, { after: 0 }, { advance, baseMs: 1 })) {
    seen.push(update.revision);
    await new Promise((resolve) => setTimeout(resolve, 5)); // the caller is busy with it
  }
  t.deepEqual(seen, [1, 2, 3, 4]);
  t.deepEqual(requests, [0, 2]);
});
