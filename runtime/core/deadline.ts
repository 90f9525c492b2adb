/**
 * Call deadlines: the `grpc-timeout` and `connect-timeout-ms` headers, and
 * an AbortSignal that fires when the deadline passes or the caller goes away.
 */
import { Code, StreampathError } from "./error.js";

/** The gRPC spec allows at most 8 digits of timeout value. */
const GRPC_MAX_VALUE = 99_999_999;

/** Nanoseconds per grpc-timeout unit. */
const GRPC_UNIT_NS: { readonly [unit: string]: number } = {
  H: 3_600_000_000_000,
  M: 60_000_000_000,
  S: 1_000_000_000,
  m: 1_000_000,
  u: 1_000,
  n: 1,
};

/** Milliseconds per unit for the units of at least a millisecond, coarsest first. */
const MS_UNITS: readonly [string, number][] = [
  ["H", 3_600_000],
  ["M", 60_000],
  ["S", 1_000],
  ["m", 1],
];

/** Milliseconds per unit, finest first. */
const FINE_FIRST: readonly [string, number][] = [["n", 1e-6], ["u", 1e-3], ...[...MS_UNITS].reverse()];

/** A header value for an error message, quoted and cut short: it comes from the peer. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
}

/**
 * `grpc-timeout` (`1H`, `5M`, `30S`, `100m`, `1000u`, `1000000n`) in
 * milliseconds, rounded up to a whole millisecond so a deadline never
 * fires before the time the caller gave.
 */
export function parseGrpcTimeout(value: string): number {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) {
    throw new StreampathError(Code.InvalidArgument, `invalid grpc-timeout ${quote(value)}`);
  }
  const amount = Number(match[1]);
  const ns = GRPC_UNIT_NS[match[2]];
  if (ns >= 1_000_000) return amount * (ns / 1_000_000);
  const perMs = 1_000_000 / ns;
  // Integer ceiling division: exact, where `Math.ceil(amount / perMs)` could round.
  return Math.floor((amount + perMs - 1) / perMs);
}

/**
 * The `grpc-timeout` for `ms`: in the coarsest unit that states it exactly
 * within 8 digits (`30S`, not `30000m`); failing that, in the finest unit
 * that fits, rounded up. Past the largest value (about 11,000 years) it is
 * capped; a deadline already passed is `0n`.
 */
export function formatGrpcTimeout(ms: number): string {
  if (!Number.isFinite(ms)) {
    throw new StreampathError(
      Code.InvalidArgument,
      `a grpc-timeout must be a finite number of milliseconds, got ${ms}`,
    );
  }
  if (ms <= 0) return "0n";
  if (Number.isInteger(ms)) {
    for (const [unit, perUnit] of MS_UNITS) {
      if (ms % perUnit === 0 && ms / perUnit <= GRPC_MAX_VALUE) return `${ms / perUnit}${unit}`;
    }
  } else {
    const ns = Math.round(ms * 1_000_000);
    if (ns % 1_000 === 0 && ns / 1_000 <= GRPC_MAX_VALUE) return `${ns / 1_000}u`;
    if (ns <= GRPC_MAX_VALUE) return `${ns}n`;
  }
  // Not exact within 8 digits: the finest unit it fits in, rounded up (late, never early).
  for (const [unit, msPerUnit] of FINE_FIRST) {
    const amount = Math.ceil(ms / msPerUnit);
    if (amount <= GRPC_MAX_VALUE) return `${amount}${unit}`;
  }
  return `${GRPC_MAX_VALUE}H`;
}

/** `connect-timeout-ms`: at most 10 digits of milliseconds. */
export function parseConnectTimeout(value: string): number {
  if (!/^\d{1,10}$/.test(value)) {
    throw new StreampathError(Code.InvalidArgument, `invalid connect-timeout-ms ${quote(value)}`);
  }
  return Number(value);
}

/** Its methods are the object's own: call them on it (`deadline.dispose()`), not detached. */
export interface DeadlineSignal {
  /** Aborts with DeadlineExceeded at the deadline, or with the parent's reason as a StreampathError. */
  readonly signal: AbortSignal;
  /** Stops the timer and detaches from the parents; call it when the call ends. Later aborts do nothing. */
  dispose(): void;
  /** Aborts the signal now with `reason` (the call's own cancellation), unless disposed. */
  abort(reason: StreampathError): void;
}

/** What a parent tells when it aborts. */
interface Watcher {
  parentAborted(parent: AbortSignal): void;
}

/** The calls watching one parent, and the single listener that tells them. */
interface Watchers {
  readonly watchers: Set<Watcher>;
  readonly listener: () => void;
}

/**
 * One listener per parent, however many calls share it: a server's shutdown
 * signal may be the parent of thousands of calls, and Node warns of a leak
 * past 10 listeners on one EventTarget.
 */
const watched = new WeakMap<AbortSignal, Watchers>();

/** Tells `watcher` when `parent` aborts, until `unwatch`. */
function watch(parent: AbortSignal, watcher: Watcher): void {
  let entry = watched.get(parent);
  if (entry === undefined) {
    const watchers = new Set<Watcher>();
    const listener = () => {
      watched.delete(parent);
      for (const w of [...watchers]) w.parentAborted(parent);
    };
    entry = { watchers, listener };
    watched.set(parent, entry);
    parent.addEventListener("abort", listener, { once: true });
  }
  entry.watchers.add(watcher);
}

function unwatch(parent: AbortSignal, watcher: Watcher): void {
  const entry = watched.get(parent);
  if (entry === undefined || !entry.watchers.delete(watcher) || entry.watchers.size > 0) return;
  parent.removeEventListener("abort", entry.listener);
  watched.delete(parent);
}

/** setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days); longer ones are chained. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * One call's signal. A class whose timer and parents call its methods, not a
 * set of closures: a host makes one per call, and each closure and its
 * context cost memory for as long as the call is open (bench:memory).
 */
class Deadline implements DeadlineSignal, Watcher {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private parents: readonly AbortSignal[];
  private disposed = false;

  constructor(
    private readonly timeoutMs: number | undefined,
    parents: readonly AbortSignal[],
  ) {
    this.parents = parents;
    const aborted = parents.find((parent) => parent.aborted);
    if (aborted) {
      this.parentAborted(aborted);
    } else if (timeoutMs !== undefined && timeoutMs <= 0) {
      this.exceeded();
    } else {
      for (const parent of parents) watch(parent, this);
      if (timeoutMs !== undefined && timeoutMs !== Infinity) this.arm(timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.disposed = true;
    for (const parent of this.parents) unwatch(parent, this);
    this.parents = [];
  }

  abort(reason: StreampathError): void {
    if (this.disposed) return;
    this.dispose();
    this.controller.abort(reason);
  }

  // An abort is a cancellation unless its reason says otherwise (a TimeoutError, a StreampathError).
  parentAborted(parent: AbortSignal): void {
    this.abort(StreampathError.from(parent.reason, Code.Canceled));
  }

  exceeded(): void {
    this.abort(new StreampathError(Code.DeadlineExceeded, `deadline of ${this.timeoutMs}ms exceeded`));
  }

  arm(remaining: number): void {
    this.timer =
      remaining > MAX_TIMER_MS
        ? setTimeout(rearm, MAX_TIMER_MS, this, remaining - MAX_TIMER_MS)
        : setTimeout(expire, remaining, this);
    // Like AbortSignal.timeout: a deadline alone must not keep a Node process alive (browsers have no unref).
    (this.timer as { unref?: () => void }).unref?.();
  }
}

// Timer callbacks with the deadline as an argument, so that arming one makes no closure.
const expire = (deadline: Deadline) => deadline.exceeded();
const rearm = (deadline: Deadline, remaining: number) => deadline.arm(remaining);

/**
 * A signal for one call: it aborts after `timeoutMs` (none if undefined or
 * Infinity; at once if zero or less) or when one of `parents` aborts (with
 * the first one's reason), or when its `abort` is called. Built by hand
 * rather than with AbortSignal.timeout/any so the reason is a StreampathError
 * and `dispose()` releases the timer and the hold on a long-lived parent (a
 * server's shutdown signal) the moment the call ends: Node's AbortSignal.any
 * keeps about 70 bytes per composite on each source for good (measured on
 * Node 20: 300,000 calls on one host signal kept 20 MB after GC), and costs
 * ~14 µs.
 */
export function deadlineSignal(timeoutMs: number | undefined, parents?: AbortSignal | readonly AbortSignal[]): DeadlineSignal {
  if (timeoutMs !== undefined && Number.isNaN(timeoutMs)) {
    throw new StreampathError(Code.InvalidArgument, "a deadline must be a number of milliseconds, got NaN");
  }
  const sources = parents === undefined ? [] : Array.isArray(parents) ? (parents as readonly AbortSignal[]) : [parents as AbortSignal];
  return new Deadline(timeoutMs, sources);
}
