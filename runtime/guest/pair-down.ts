/**
 * The down half of a guest's pair (docs/protocol.md, "The pair"): one
 * attempt's response body, read continuously into controls, responses and
 * the host's end, with its heartbeat watched. What each means for the call
 * (credit, acknowledgements, resume) the pair decides.
 */
import { ENVELOPE_HEADER_BYTES, EnvelopeDecoder } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { type MessageCodec, decodeAt } from "../core/message.js";
import { type Control, PairFlag, checkPairFlags, parseControl, parseEnd } from "../core/pair.js";
import type { PairEnvironment } from "./pair-environment.js";
import { Watchdog } from "./watchdog.js";

/** What the down half reads and tells its pair. */
export interface DownPair<O> {
  /** The pair's current attempt: an older one's down no longer counts. */
  readonly attempt: AbortController;
  readonly ended: boolean;
  /** The host's acks and grants for the up, and whether it has the up. */
  hostControl(control: Control): void;
  /** A numbered envelope of `size` bytes arrived (`end`: the host's last). */
  received(size: number, end: boolean): void;
  /** The host's end envelope (`size` bytes) with its trailers; `finish` follows after the chunk. */
  hostEnded(metadata: Record<string, string[]>, size: number): void;
  /** The responses of one chunk, `bytes` the size of their envelopes. */
  push(batch: O[], bytes: number): void;
  /** Acks and grants with the next flush. */
  control(force: boolean): void;
  /** A half broke: resume. */
  broken(cause: unknown): void;
  finish(error?: StreampathError): void;
}

/** Reads `body` until it ends, breaks, or `attempt` is no longer the pair's. */
export async function readDown<O>(
  pair: DownPair<O>,
  output: MessageCodec<O>,
  env: PairEnvironment,
  body: ReadableStream<Uint8Array>,
  attempt: AbortController,
  heartbeatMs?: number,
): Promise<void> {
  const decoder = new EnvelopeDecoder({ maxMessageBytes: env.maxMessageBytes });
  const reader = body.getReader();
  // The host is never silent longer than its heartbeat: past twice that (and a second for
  // a busy machine), the connection is dead though nothing said so, and we resume.
  const watchdog = new Watchdog(heartbeatMs === undefined ? undefined : 2 * heartbeatMs + 1000, (ms) => {
    if (attempt === pair.attempt && !pair.ended) pair.broken(new StreampathError(Code.Unavailable, `the down stream was silent for ${ms} ms`));
  });
  // A missed heartbeat is told at once (the state shows reconnecting, and a probe asks the host), though the
  // pair itself waits for the watchdog: a late heartbeat on a busy machine should not cost a resume.
  const missed = new Watchdog(heartbeatMs === undefined ? undefined : heartbeatMs + Math.max(1000, heartbeatMs / 10), (ms) => {
    if (attempt === pair.attempt && !pair.ended) env.connection.failed(new StreampathError(Code.Unavailable, `no heartbeat from the host for ${ms} ms`));
  });
  try {
    for (;;) {
      watchdog.kick();
      missed.kick();
      const { done, value } = await reader.read();
      if (done) break;
      const batch: O[] = [];
      let bytes = 0;
      let ended: StreampathError | true | undefined;
      decoder.each(value, (flags, buf, start, end, owned) => {
        if (ended) return; // nothing counts after the end
        checkPairFlags(flags);
        if (flags & PairFlag.Control) return pair.hostControl(parseControl(buf.subarray(start, end)));
        const size = end - start + ENVELOPE_HEADER_BYTES;
        pair.received(size, (flags & PairFlag.End) !== 0);
        if (flags & PairFlag.End) {
          const { error, metadata } = parseEnd(buf.subarray(start, end));
          pair.hostEnded(metadata, size);
          ended = error ?? true;
          return;
        }
        batch.push(decodeAt(output, buf, start, end, owned));
        bytes += size;
      });
      if (batch.length) pair.push(batch, bytes);
      if (ended) return pair.finish(ended === true ? undefined : ended);
      pair.control(false); // acknowledges what arrived, read or not: the host keeps it until then
    }
    throw new StreampathError(Code.Unavailable, "the down stream ended before the call did");
  } catch (error) {
    if (attempt !== pair.attempt || pair.ended) return;
    const failure = StreampathError.from(error, Code.Unavailable);
    // Transport trouble is resumed; a protocol fault (bad envelope, overrun credit) is not.
    if (failure.code === Code.Unavailable || !(error instanceof StreampathError)) pair.broken(error);
    else pair.finish(failure);
  } finally {
    watchdog.stop();
    missed.stop();
    // A down we stop reading is given back, not left paused with data queued (which keeps its stream open).
    if (pair.ended || attempt !== pair.attempt) reader.cancel().catch(() => undefined);
  }
}
