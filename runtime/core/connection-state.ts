/**
 * The state of a connection as a user should see it (docs/connection-state.md):
 * the gateway's to its host, a window's to its worker. A cell holds it; a
 * view reads `state`, subscribes to changes, or waits until it is live.
 */
import { Code, StreampathError } from "./error.js";

export type ConnectionState =
  /** Nothing has been heard from the other side yet. */
  | { readonly kind: "connecting" }
  /** The last request was answered. */
  | { readonly kind: "live" }
  /**
   * Reaching the other side fails and is being retried. `attempt`: how many times in a row it
   * failed (the failure that started this counts as 1); `error`: the latest failure;
   * `since`: when it was lost (Date.now()), unchanged while the outage lasts.
   */
  | { readonly kind: "reconnecting"; readonly attempt: number; readonly error: StreampathError; readonly since: number }
  /** Retries went on failing (or the platform is offline, or the connection is closed); retrying goes on more slowly unless closed. */
  | { readonly kind: "offline"; readonly error: StreampathError; readonly since: number };

export type ConnectionStateListener = (state: ConnectionState) => void;

/** What a gateway and a worker connection expose. */
export interface ConnectionStateSource {
  /** The state now: the same object until it changes (usable as React's useSyncExternalStore snapshot). */
  readonly state: ConnectionState;
  /** Calls `listener` on every change (not now); returns the unsubscribe function. */
  subscribe(listener: ConnectionStateListener): () => void;
  /** Resolves when the state is live (at once if it is); rejects if `signal` aborts or the connection is closed. */
  whenLive(signal?: AbortSignal): Promise<void>;
}

export const CONNECTING: ConnectionState = Object.freeze({ kind: "connecting" });
export const LIVE: ConnectionState = Object.freeze({ kind: "live" });

/**
 * The guest's probe: a Connect unary POST (`application/proto`, no body). A streampath host
 * answers it 200 with an empty message, before authentication and the app's fallback routes
 * (a failed request would be logged in the browser's console); any other server answers 404 or
 * 501, which counts as reached too. It needs the same CORS as a call; through a proxy with no
 * host behind it it gets the proxy's 502/503.
 */
export const PROBE_PATH = "/streampath.Connection/Probe";

/** Whether a change from `a` to `b` is worth telling: another kind, attempt or error (not `since` alone). */
export function sameConnectionState(a: ConnectionState, b: ConnectionState): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "connecting" || a.kind === "live") return true;
  const other = b as typeof a;
  if (a.kind === "reconnecting" && a.attempt !== (other as { attempt: number }).attempt) return false;
  return a.error.code === other.error.code && a.error.message === other.error.message;
}

/**
 * Holds a ConnectionState and tells subscribers of its changes. A listener
 * that throws is reported as an uncaught error (in a later task) and the
 * others are still called. (Not an EventTarget: Node warns past 10 listeners
 * of one, and every pair waiting to resume listens.) `onWatched` hears when the first watcher
 * (a subscriber or a whenLive waiter) comes and the last goes: a gateway
 * probes its host only while someone cares.
 */
export class ConnectionCell implements ConnectionStateSource {
  private current: ConnectionState;
  private readonly listeners = new Set<ConnectionStateListener>();
  private readonly closeListeners = new Set<() => void>();
  private watchers = 0;
  private closed: StreampathError | undefined;

  constructor(initial: ConnectionState = CONNECTING, private readonly onWatched?: (watched: boolean) => void) {
    this.current = Object.freeze(initial);
  }

  get state(): ConnectionState {
    return this.current;
  }

  get watched(): boolean {
    return this.watchers > 0;
  }

  /** Moves to `next`, telling subscribers if it differs; false if it did not (or the cell is closed). */
  set(next: ConnectionState): boolean {
    if (this.closed || sameConnectionState(this.current, next)) return false;
    const state = (this.current = Object.freeze(next));
    for (const listener of [...this.listeners]) {
      try {
        listener(state);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
    return true;
  }

  subscribe(listener: ConnectionStateListener): () => void {
    if (this.closed) return () => undefined;
    // A wrapper per subscription: the same function may subscribe twice.
    const handler: ConnectionStateListener = (state) => listener(state);
    this.listeners.add(handler);
    this.watch(+1);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(handler);
      this.watch(-1);
    };
  }

  whenLive(signal?: AbortSignal): Promise<void> {
    if (this.current.kind === "live") return Promise.resolve();
    if (this.closed) return Promise.reject(this.closed);
    if (signal?.aborted) return Promise.reject(StreampathError.from(signal.reason, Code.Canceled));
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: StreampathError) => {
        unsubscribe();
        this.closeListeners.delete(onClose);
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const unsubscribe = this.subscribe((state) => state.kind === "live" && settle());
      const onClose = () => settle(this.closed);
      const onAbort = () => settle(StreampathError.from(signal!.reason, Code.Canceled));
      this.closeListeners.add(onClose);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** For good: the state becomes offline with `error`, subscribers hear it last, whenLive waiters are rejected with it. */
  close(error: StreampathError): void {
    if (this.closed) return;
    this.set({ kind: "offline", error, since: Date.now() });
    this.closed = error;
    for (const listener of [...this.closeListeners]) listener();
  }

  private watch(delta: number): void {
    const was = this.watchers > 0;
    this.watchers += delta;
    if (was !== this.watchers > 0) this.onWatched?.(!was);
  }
}

type NetworkScope = {
  addEventListener?: EventTarget["addEventListener"];
  removeEventListener?: EventTarget["removeEventListener"];
  navigator?: { onLine?: boolean };
};

/**
 * Hears the platform say the network went or came back: the global scope's
 * `offline` and `online` events (windows and workers; Node's global scope is no
 * EventTarget, so none there). Returns how to stop listening.
 */
export function watchNetwork(onChange: (online: boolean) => void): () => void {
  const scope = globalThis as NetworkScope;
  if (typeof scope.addEventListener !== "function") return () => undefined;
  const offline = () => onChange(false);
  const online = () => onChange(true);
  scope.addEventListener("offline", offline);
  scope.addEventListener("online", online);
  return () => {
    scope.removeEventListener?.("offline", offline);
    scope.removeEventListener?.("online", online);
  };
}

/** navigator.onLine is false: no network at all (true says little; false is reliable). */
export function networkOffline(): boolean {
  return (globalThis as NetworkScope).navigator?.onLine === false;
}

export function offlineError(): StreampathError {
  return new StreampathError(Code.Unavailable, "the network is offline (navigator.onLine is false)");
}
