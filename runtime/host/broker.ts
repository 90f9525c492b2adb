/**
 * The broker adapter: how host instances share events, and how a lost call
 * resumes from its cursor. A broker keeps one bounded, ordered log per topic;
 * publishers append, subscribers read from a position onwards. Implementations:
 * `createMemoryBroker` (one instance, optionally a file; broker-memory.ts) and
 * `createNatsBroker` (NATS JetStream; `streampath/runtime/host/nats`).
 * docs/broker.md is the contract in prose.
 */
import { Code, StreampathError } from "../core/error.js";

export interface BrokerMessage {
  topic: string;
  /** Per topic, strictly increasing; the cursor to resume after. */
  position: bigint;
  /** Shared with other subscribers of the same broker: read it, don't modify it. */
  data: Uint8Array;
  /** The id it was published with, if any. */
  id?: string;
  /** When the broker stored it, ms since the epoch. */
  time: number;
}

export interface PublishOptions {
  /** Deduplicates within the broker's dedup window; visible ASCII, 1–128 characters. */
  id?: string;
  /** Stops waiting for the store. The message may still be stored: retry with the same `id`. */
  signal?: AbortSignal;
}

export interface PublishResult {
  position: bigint;
  /** `id` was seen within the dedup window: nothing was stored, `position` is the first one's. */
  duplicate: boolean;
}

export interface SubscribeOptions {
  /** Deliver messages after this position; 0n: from the oldest kept. */
  after: bigint;
  /** Aborting ends the iteration (a plain return, no error). */
  signal?: AbortSignal;
}

export interface Broker {
  /** Appends to `topic`'s log; resolves once the message is stored (JetStream: acked, file: written). */
  publish(topic: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult>;
  /**
   * The messages after `options.after`, then live ones, in order, each once. Read as the caller
   * pulls: one that stops reading holds at most a bounded batch (memory: none; NATS: `batch`).
   * Fails with OutOfRange (naming the oldest kept position) when messages it should deliver are
   * no longer retained, or `after` is past the newest; with Unavailable when the broker closes.
   * Bad arguments throw here, synchronously.
   */
  subscribe(topic: string, options: SubscribeOptions): AsyncIterable<BrokerMessage>;
  /** The newest position in `topic` (kept or not), 0n if nothing was ever published. */
  last(topic: string): Promise<bigint>;
  /** Ends every subscription (Unavailable) and refuses later calls; waits for pending writes. */
  close(): Promise<void>;
}

/** Retention per topic: over any limit the oldest messages are dropped. */
export interface BrokerLimits {
  maxMessages: number;
  /** Sum of the kept messages' data bytes (JetStream also counts subject and headers). */
  maxBytes: number;
  /** Messages older than this are dropped; 0: no age limit. */
  maxAgeMs: number;
  /** A larger message is refused with ResourceExhausted. */
  maxMessageBytes: number;
}

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxMessages: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxAgeMs: 0,
  maxMessageBytes: 1024 * 1024, // nats-server's default max_payload
});

/** JetStream's default duplicate window; the memory broker uses it too. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

const TOPIC = /^[A-Za-z0-9_-]{1,64}$/;
const ID = /^[\x21-\x7e]{1,128}$/;

/**
 * Topics become JetStream stream names and subject tokens, so both brokers take only what is
 * safe in either: letters, digits, `_` and `-`, 1–64 characters.
 */
export function checkTopic(topic: unknown): string {
  if (typeof topic === "string" && TOPIC.test(topic)) return topic;
  throw new StreampathError(
    Code.InvalidArgument,
    `bad topic ${JSON.stringify(topic)}: use 1-64 letters, digits, '_' or '-'`,
  );
}

/** Checks what publish() was given, the same way in every broker. */
export function checkPublish(topic: unknown, data: unknown, options: PublishOptions | undefined, maxMessageBytes: number): void {
  checkTopic(topic);
  if (!(data instanceof Uint8Array)) {
    throw new StreampathError(Code.InvalidArgument, `publish to ${topic as string}: data must be a Uint8Array`);
  }
  const id = options?.id;
  if (id !== undefined && !(typeof id === "string" && ID.test(id))) {
    throw new StreampathError(
      Code.InvalidArgument,
      `publish to ${topic as string}: bad id ${JSON.stringify(id)}: use 1-128 visible ASCII characters`,
    );
  }
  if (data.byteLength > maxMessageBytes) {
    throw new StreampathError(
      Code.ResourceExhausted,
      `publish to ${topic as string}: ${data.byteLength} bytes is over maxMessageBytes (${maxMessageBytes})`,
    );
  }
  if (options?.signal?.aborted) throw StreampathError.from(options.signal.reason, Code.Canceled);
}

/** Checks what subscribe() was given; returns `after`. */
export function checkSubscribe(topic: unknown, options: SubscribeOptions | undefined): bigint {
  checkTopic(topic);
  const after = options?.after;
  if (typeof after !== "bigint" || after < 0n) {
    throw new StreampathError(Code.InvalidArgument, `subscribe to ${topic as string}: after must be a bigint >= 0n, got ${String(after)}`);
  }
  return after;
}

/** Fills in defaults and refuses limits that are no limits. */
export function resolveLimits(given: Partial<BrokerLimits> | undefined): BrokerLimits {
  const limits = { ...DEFAULT_BROKER_LIMITS, ...given };
  for (const key of ["maxMessages", "maxBytes", "maxMessageBytes", "maxAgeMs"] as const) {
    const value = limits[key];
    const ok = Number.isSafeInteger(value) && (key === "maxAgeMs" ? value >= 0 : value > 0);
    if (!ok) throw new StreampathError(Code.InvalidArgument, `broker limit ${key} must be a ${key === "maxAgeMs" ? "non-negative" : "positive"} integer, got ${value}`);
  }
  return limits;
}

/**
 * Where a subscription must start, given the topic's oldest kept and newest positions (oldest is
 * newest + 1 when nothing is kept): the position it expects next. Throws OutOfRange when
 * messages after `after` were dropped, or `after` is past the newest (the broker lost its data,
 * or the cursor is from another one): either way the caller must re-snapshot.
 */
export function startPosition(topic: string, after: bigint, oldest: bigint, newest: bigint): bigint {
  if (after === 0n) return oldest;
  if (after > newest) {
    throw new StreampathError(Code.OutOfRange, `topic ${topic}: position ${after} is past the newest (${newest}); re-snapshot`);
  }
  if (after + 1n < oldest) throw dropped(topic, after + 1n, oldest, newest);
  return after + 1n;
}

/** The error for a subscriber whose next message, `expected`, is gone; `oldest` is the oldest kept. */
export function dropped(topic: string, expected: bigint, oldest: bigint, newest: bigint): StreampathError {
  const kept = oldest <= newest ? `the oldest kept is ${oldest}` : `nothing is kept (newest was ${newest})`;
  return new StreampathError(
    Code.OutOfRange,
    `topic ${topic}: messages from ${expected} are no longer retained; ${kept}; re-snapshot`,
  );
}

/** Rejects with Canceled when `signal` aborts; `promise`'s own outcome otherwise. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(StreampathError.from(signal.reason, Code.Canceled));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(StreampathError.from(signal.reason, Code.Canceled));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
