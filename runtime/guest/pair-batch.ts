/**
 * One request of the pair's fallback (docs/protocol.md, "The pair", batch):
 * a POST carrying sealed envelopes from their first sequence number, and
 * what its answer means for the call — taken up to `received`, a gap to
 * resend from, the call over, or the request broken (to resume).
 */
import { concatBytes } from "../core/bytes.js";
import { Code, type StreampathError } from "../core/error.js";
import { PAIR_CONTENT_TYPE, PairHeader } from "../core/pair.js";
import type { Sealed } from "../core/pair-window.js";
import { type Fetch, responseError, within } from "./http.js";

export type BatchOutcome =
  /** The host has every numbered envelope up to `received`. */
  | { kind: "taken"; received: number }
  /** The batch skipped envelopes: send again from `received`, which the host has. */
  | { kind: "gap"; received: number }
  /** The host refused it for good (the pair ended, a fault): the call is over. */
  | { kind: "refused"; error: StreampathError }
  /** No answer, a network error or a reset: the pair resumes. */
  | { kind: "broken"; error: unknown };

export interface BatchRequest {
  fetch: Fetch;
  url: string;
  id: string;
  headers: Record<string, string> | undefined;
  /** How long to wait for the response headers. */
  timeoutMs: number;
  signal: AbortSignal;
}

export async function postBatch(request: BatchRequest, taken: readonly Sealed[]): Promise<BatchOutcome> {
  const { url, signal } = request;
  const body = taken.length === 1 ? taken[0]!.chunk : concatBytes(taken.map((s) => s.chunk));
  const headers = {
    "content-type": PAIR_CONTENT_TYPE,
    [PairHeader.half]: "batch",
    [PairHeader.id]: request.id,
    [PairHeader.firstSeq]: String(taken[0]!.first),
    ...request.headers,
  };
  let response: Response;
  try {
    response = await within(request.fetch(url, { method: "POST", headers, body: body as BodyInit, signal }), request.timeoutMs, `${url}: a batch`);
  } catch (error) {
    return { kind: "broken", error };
  }
  const received = Number(response.headers.get(PairHeader.received));
  if (response.status === 200) {
    await response.arrayBuffer();
    return { kind: "taken", received };
  }
  const error = await responseError(response, url);
  // A gap says what the host has; without that it is another failure ("the pair has ended").
  const known = response.headers.get(PairHeader.received) !== null && Number.isSafeInteger(received);
  return error.code === Code.FailedPrecondition && known ? { kind: "gap", received } : { kind: "refused", error };
}
