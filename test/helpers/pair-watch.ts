/**
 * Watches a host's pair requests from the outside (its node:http2 server's
 * "stream" events): how many of each half arrived, on how many sessions, and
 * the live ones, so tests can count them or reset them as a broken network would.
 */
import http2 from "node:http2";
import { PAIR_CONTENT_TYPE, PairHeader } from "../../runtime/core/pair.js";
import type { Host } from "../../runtime/host/index.js";

export type Half = "down" | "up" | "batch";

export interface PairWatch {
  counts: Record<Half, number>;
  /** Distinct HTTP/2 sessions that carried pair requests. */
  sessions: Set<http2.Http2Session>;
  live: Record<Half, Set<http2.ServerHttp2Stream>>;
  /** Called for each pair request as it arrives, after the host took it. */
  onRequest?: (half: Half, stream: http2.ServerHttp2Stream) => void;
}

/** Pair requests to `path` (all paths when omitted). */
export function watchPairs(host: Host, path?: string): PairWatch {
  const watch: PairWatch = {
    counts: { down: 0, up: 0, batch: 0 },
    sessions: new Set(),
    live: { down: new Set(), up: new Set(), batch: new Set() },
  };
  host.server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    if (String(headers["content-type"]).split(";")[0] !== PAIR_CONTENT_TYPE) return;
    if (path !== undefined && headers[":path"] !== path) return;
    const half = headers[PairHeader.half] as Half;
    if (!(half in watch.counts)) return;
    watch.counts[half]++;
    if (stream.session) watch.sessions.add(stream.session);
    watch.live[half].add(stream);
    stream.once("close", () => watch.live[half].delete(stream));
    watch.onRequest?.(half, stream);
  });
  return watch;
}

/** Resets `stream` as a failing network or proxy would (RST_STREAM INTERNAL_ERROR). */
export function reset(stream: http2.ServerHttp2Stream): boolean {
  if (stream.closed || stream.destroyed) return false;
  stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  return true;
}

export interface ResetPlan {
  random: () => number;
  /** Most reset rounds; the rounds cycle down, up, both. */
  rounds: number;
  /** Pause before each round, drawn uniformly from [minMs, maxMs). */
  minMs: number;
  maxMs: number;
  /**
   * How far the call has come (say, events the handler received): each round
   * waits until it moved on since the last reset, so faults land at random
   * points of a call that is making progress rather than starving its resume.
   */
  progress?: () => number;
}

export interface Resets {
  /** Rounds that reset something, and how many halves of each kind. */
  state: { rounds: number; downs: number; ups: number };
  /** Stops the rounds; resolves when the loop has ended. */
  stop(): Promise<void>;
}

/**
 * Resets the live pair halves `watch` sees, from the host's side: every
 * round, after a random pause, the down stream, then the up stream, then both.
 * In batch mode the "up" is the batch in flight, or else the next to arrive.
 */
export function resetHalves(watch: PairWatch, plan: ResetPlan): Resets {
  const state = { rounds: 0, downs: 0, ups: 0 };
  let stopped = false;
  let armedBatches = 0;
  watch.onRequest = (half, stream) => {
    if (half !== "batch" || armedBatches === 0) return;
    armedBatches--;
    // Small batches are read and answered within a turn: reset on arrival.
    if (reset(stream)) state.ups++;
  };
  const loop = (async () => {
    let mark = plan.progress?.() ?? 0;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let round = 0; round < plan.rounds * 10 && state.rounds < plan.rounds && !stopped; round++) {
      for (let waited = 0; plan.progress && plan.progress() <= mark && waited < 5000 && !stopped; waited += 5) await sleep(5);
      await sleep(plan.minMs + plan.random() * (plan.maxMs - plan.minMs));
      if (stopped) break;
      const mode = state.rounds % 3; // 0: down, 1: up, 2: both
      let did = false;
      if (mode !== 1) for (const stream of watch.live.down) if (reset(stream)) (did = true), state.downs++;
      if (mode !== 0) {
        let up = false;
        for (const stream of [...watch.live.up, ...watch.live.batch]) if (reset(stream)) (up = true), state.ups++;
        if (!up && watch.counts.batch > 0) (armedBatches = 1), (up = true);
        did ||= up;
      }
      if (did) state.rounds++;
      mark = plan.progress?.() ?? 0;
    }
    armedBatches = 0;
  })();
  return {
    state,
    stop: () => {
      stopped = true;
      return loop;
    },
  };
}

/** Deterministic, so a failing run can be replayed: mulberry32. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
