/**
 * A server stream that outlives the calls carrying it. When the host loses a
 * call (its instance died: ABORTED; it drained or the network failed past
 * the pair's own resume: UNAVAILABLE), the application knows what the pair
 * cannot: where to start again. `resumeStream` calls again with the request
 * advanced past the last response the caller received (a cursor such as
 * `after_revision`), so the caller reads one stream, with nothing lost or
 * repeated as long as the host honours the cursor. See docs/deploy.md.
 */
import type { CallOptions } from "./client.js";
import { Code, StreampathError } from "./error.js";

export interface ResumeOptions<Req, Res> {
  /** The request that continues after `last`, the last response the caller took: e.g. `{ ...request, afterRevision: last.revision }`. */
  advance(request: Req, last: Res): Req;
  /** Failures that restart the call. Default: UNAVAILABLE and ABORTED (the call was lost, not refused). */
  retryable?: (error: StreampathError) => boolean;
  /** Restarts in a row without a response before the stream fails with the last error. Default 10. */
  attempts?: number;
  /** Backoff after the first (immediate) restart, doubling to `capMs`, with jitter. Defaults 250 ms, 5 s. */
  baseMs?: number;
  capMs?: number;
  /** Told before each restart: e.g. to show "reconnecting…". */
  onRestart?: (error: StreampathError, attempt: number, delayMs: number) => void;
}

const lost = (error: StreampathError) => error.code === Code.Unavailable || error.code === Code.Aborted;

/**
 * Reads `open(request)` and, when it fails with a retryable error, opens it
 * again from where the caller is. `options.signal` (in `callOptions`) ends
 * it; a failure that is not retryable, or too many restarts without
 * progress, is thrown to the caller.
 */
export async function* resumeStream<Req, Res>(
  open: (request: Req, options: CallOptions) => AsyncIterable<Res>,
  request: Req,
  options: ResumeOptions<Req, Res>,
  callOptions: CallOptions = {},
): AsyncGenerator<Res> {
  const retryable = options.retryable ?? lost;
  const attempts = options.attempts ?? 10;
  const baseMs = options.baseMs ?? 250;
  const capMs = options.capMs ?? 5000;
  const signal = callOptions.signal;
  let current = request;
  let failures = 0;
  for (;;) {
    try {
      for await (const response of open(current, callOptions)) {
        failures = 0;
        // Advanced before the caller has it: a failure while the caller holds it must not send it again.
        current = options.advance(current, response);
        yield response;
      }
      return;
    } catch (caught) {
      const error = StreampathError.from(caught);
      if (signal?.aborted || !retryable(error) || ++failures > attempts) throw error;
      const delayMs = failures === 1 ? 0 : Math.min(capMs, baseMs * 2 ** (failures - 2)) * (0.5 + Math.random() / 2);
      options.onRestart?.(error, failures, delayMs);
      await pause(delayMs, signal);
      if (signal?.aborted) throw StreampathError.from(signal.reason, Code.Canceled);
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
