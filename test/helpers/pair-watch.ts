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
