// What the driver (bench/browser-echo.ts), the servers (servers.ts) and the
// worker (worker.ts) agree on.

export const PEERS = [
  "streampath",
  "floor",
  "raw",
  "ws",
  "ws-batched",
] as const;
export type Peer = (typeof PEERS)[number];

/** A command the driver sends the worker, through the page. */
export type Command =
  | { op: "setup"; wsUrl: string; wire: boolean; pairWindow?: number }
  | { op: "stream"; peer: Peer; count: number; window: number }
  | { op: "ping"; peer: Peer; count: number }
  | { op: "close" };

export interface SetupReply {
  userAgent: string;
  crossOriginIsolated: boolean;
  /** Smallest step of performance.now() seen, in µs. */
  timerStepUs: number;
  /** How the gateway sends the up direction: "stream" (fetch upload) or "batch". */
  upload: string;
}

/** What a stream run took, and (BENCH_BROWSER_WIRE) the worker's enqueues on fetch upload bodies. */
export interface StreamReply {
  ms: number;
  /** `small`: enqueues of ≤ 64 bytes (streampath's lone control envelopes). */
  enqueues?: { calls: number; bytes: number; ms: number; small: number };
}

/**
 * BENCH_BROWSER_PAIR_WINDOW: the pair's windows (credits, in envelopes) on
 * both sides instead of the defaults (16,384 each way, and as many kept for
 * replay); the byte windows stay at their defaults.
 */
export const pairWindows = (window: number) => ({ window, maxWindow: window });

/** The raw pair: two POSTs of this content type (none of streampath's), paired by an id header. */
export const RAW_CONTENT_TYPE = "application/octet-stream";
export const RAW_ID_HEADER = "x-raw-pair-id";
export const RAW_DOWN_PATH = "/raw/down";
export const RAW_UP_PATH = "/raw/up";

/**
 * The typed floor: the raw pair's two requests (same content type and id
 * header, paths of its own) carrying protobuf events in envelopes, with no
 * pair protocol (no credits, acks, sequence numbers, replay or controls).
 */
export const FLOOR_DOWN_PATH = "/floor/down";
export const FLOOR_UP_PATH = "/floor/up";
