/**
 * What a pair needs from its gateway (connectGateway builds it): how to
 * reach the host, the windows, and how to retry. Shared by all of the
 * gateway's calls, so a switch to the fallback holds for every later call.
 */
import type { PairWindow } from "../core/pair.js";
import type { ConnectionReports } from "./connection.js";
import type { Fetch } from "./http.js";
import type { Slots } from "../core/slots.js";

export interface RetryPolicy {
  /** Reopen attempts in a row without progress before the call fails. */
  attempts: number;
  /** Backoff after the first (immediate) retry, doubling up to capMs, with jitter. */
  baseMs: number;
  capMs: number;
}

export interface PairEnvironment {
  readonly fetch: Fetch;
  readonly baseUrl: string;
  /** The credit we grant the host. */
  readonly window: PairWindow;
  /** Most of our requests kept for replay, unacknowledged, whatever the host grants. */
  readonly keep: PairWindow;
  readonly maxMessageBytes: number;
  readonly retry: RetryPolicy;
  /** How the up direction travels; the gateway switches "stream" to "batch" for good if streaming fails. */
  upload: "stream" | "batch";
  /** An up stream reached the host once: streaming works here, whatever breaks later. */
  streamingConfirmed: boolean;
  /** Up streams in a row that failed before the host confirmed them; at UNCONFIRMED_UPS_BEFORE_BATCH, batches. */
  unconfirmedUpFailures: number;
  /** Pairs joining at once (see Slots). */
  readonly joining: Slots;
  /** How long a down or batch request may wait for its response headers before it counts as broken. */
  readonly responseTimeoutMs: number;
  /** The gateway's connection state: the pair reports its calls and what breaks them (connection.ts). */
  readonly connection: ConnectionReports;
}

/** A single early reset proves nothing; request streaming that never works fails every time. */
export const UNCONFIRMED_UPS_BEFORE_BATCH = 3;
