/**
 * What the worker and view test harnesses (worker.ts, view.ts) share:
 * handlers that record what they saw and honour the echo request's knobs,
 * whatever realm runs them.
 */
import { type Code, StreampathError } from "../../runtime/core/index.js";
import { type EchoReply, type EchoRequest, sleep } from "./host.js";

/** One handler call as an implementation saw it. */
export interface Seen<C> {
  method: string;
  requests: EchoRequest[];
  replies: EchoReply[];
  context: C;
  /** Requests pulled from the caller, or replies handed out (for back-pressure). */
  pulled: number;
  aborted: boolean;
  abortReason: unknown;
  /** The handler returned or threw (its finally ran). */
  finished: boolean;
}

/** Records calls into `seen`: `begin` at a handler's start, `reply` for each reply it makes (signed by `principal`). */
export function recorder<C extends { signal: AbortSignal }>(seen: Seen<C>[], principal: string) {
  return {
    begin(method: string, context: C): Seen<C> {
      const record: Seen<C> = { method, requests: [], replies: [], context, pulled: 0, aborted: false, abortReason: undefined, finished: false };
      seen.push(record);
      context.signal.addEventListener("abort", () => ((record.aborted = true), (record.abortReason = context.signal.reason)), { once: true });
      return record;
    },
    reply(record: Seen<C>, request: EchoRequest, index: number): EchoReply {
      const r: EchoReply = { text: request.text, index, principal, header: "" };
      record.replies.push(r);
      return r;
    },
  };
}

/** Knobs a realm's own handlers honour: wait for `delayMs` (until canceled), then fail if asked. */
export async function knobs(request: EchoRequest, context: { signal: AbortSignal }): Promise<void> {
  if (request.delayMs > 0) await sleep(request.delayMs, context.signal);
  if (request.failWith === -1) throw new Error(request.text);
  if (request.failWith > 0) throw new StreampathError(request.failWith as Code, request.text);
}

/**
 * The `list` and `count` handlers that answer in the realm itself (the
 * worker's Reader, the window's Panel): the same whatever realm runs them.
 */
export function ownHandlers<C extends { signal: AbortSignal }>({ begin, reply }: ReturnType<typeof recorder<C>>) {
  return {
    async *list(request: EchoRequest, context: C) {
      const record = begin("list", context);
      try {
        for (let i = 0; i < request.repeat; i++, record.pulled++) yield reply(record, request, i);
        await knobs(request, context);
      } finally {
        record.finished = true;
      }
    },
    async count(requests: AsyncIterable<EchoRequest>, context: C) {
      const record = begin("count", context);
      try {
        for await (const request of requests) {
          record.requests.push(request);
          await knobs(request, context);
        }
        return reply(record, { ...record.requests[0]!, text: record.requests.map((r) => r.text).join("") }, record.requests.length);
      } finally {
        record.finished = true;
      }
    },
  };
}
