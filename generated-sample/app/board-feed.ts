/**
 * A live copy of the board and its recent events, read by any number of
 * watchers. Each watcher is a cursor over one bounded log, not a queue of
 * its own: a slow watcher costs nothing, and one that falls behind the log
 * gets a fresh snapshot instead of an unbounded backlog.
 * Used by the board host (Watch) and the worker (Updates).
 */
import type { Board, Event, WatchUpdate } from "../gen/board/v1/board_pb.js";
import { applyEvent, timestampOf } from "./board-state.js";

export interface FeedOptions {
  /** Events kept for watchers that resume; older ones are dropped. */
  retain: number;
}

export class BoardFeed {
  private current: Board;
  private log: Event[] = [];
  private waiters = new Set<() => void>();
  /** Bumped when the board changes other than by an event (a reset, presence): watchers resend a snapshot. */
  private generation = 0;

  constructor(board: Board, private readonly options: FeedOptions) {
    this.current = board;
  }

  get revision(): bigint {
    return this.current.revision;
  }

  /** The live board: read it, never change it (use `snapshot()` to hand it out). */
  get board(): Readonly<Board> {
    return this.current;
  }

  /** A copy that later events do not touch, for answers that are encoded or cloned later. */
  snapshot(): Board {
    return structuredClone(this.current);
  }

  /** Replaces the board (a snapshot from upstream, or a restart): watchers get it as a snapshot. */
  reset(board: Board): void {
    this.current = board;
    this.log = [];
    this.changed(true);
  }

  /**
   * Names the board's history (its first log message does): no snapshot for it, as nothing a
   * watcher has changes; a watcher learns the name from its next snapshot.
   */
  nameHistory(historyId: string): void {
    this.current.historyId = historyId;
  }

  /** Applies the next event; throws if it is not the next revision. */
  apply(event: Event): void {
    applyEvent(this.current, event);
    this.log.push(event);
    if (this.log.length > this.options.retain) this.log.splice(0, this.log.length - this.options.retain);
    this.changed(false);
  }

  /** Sets who is here; watchers get a snapshot with it. */
  setPresent(present: Board["present"]): void {
    this.current.present = present;
    this.changed(true);
  }

  /** The events after `revision`, or undefined if some of them are no longer kept. */
  eventsAfter(revision: bigint): Event[] | undefined {
    if (revision > this.current.revision) return undefined; // from another history (the board was reset)
    if (revision === this.current.revision) return [];
    const first = this.log[0];
    if (!first || first.revision > revision + 1n) return undefined;
    return this.log.slice(Number(revision + 1n - first.revision));
  }

  /** Resolves on the next change, after `timeoutMs` (false), or when `signal` aborts (false). */
  nextChange(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", aborted);
        this.waiters.delete(wake);
        resolve(changed);
      };
      const wake = () => done(true);
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      if (signal.aborted) return done(false);
      signal.addEventListener("abort", aborted, { once: true });
      this.waiters.add(wake);
    });
  }

  /** Resolves once the board reached `revision` (true), or false after `timeoutMs` or on abort. */
  async reached(revision: bigint, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.current.revision < revision) {
      const left = until - Date.now();
      if (left <= 0 || signal.aborted) return false;
      await this.nextChange(signal, left);
    }
    return true;
  }

  /**
   * What a watcher sees: a snapshot (unless `afterRevision` is still in the
   * log), then every event, a new snapshot whenever the board was reset or
   * presence changed, and a heartbeat after `heartbeatMs` of quiet. Ends when
   * `signal` aborts.
   */
  async *updates(afterRevision: bigint, signal: AbortSignal, heartbeatMs: number): AsyncGenerator<WatchUpdate> {
    let cursor = afterRevision;
    // A watcher resuming inside the log needs no snapshot; anyone else starts with one.
    let seen = afterRevision > 0n && this.eventsAfter(afterRevision) ? this.generation : -1;
    while (!signal.aborted) {
      const events = seen === this.generation ? this.eventsAfter(cursor) : undefined;
      if (!events) {
        seen = this.generation;
        const board = this.snapshot();
        cursor = board.revision;
        yield { update: { case: "snapshot", value: board } };
        continue;
      }
      if (events.length > 0) {
        for (const event of events) {
          // The log may be trimmed or reset while a slow consumer holds us at a yield.
          if (seen !== this.generation) break;
          cursor = event.revision;
          yield { update: { case: "event", value: event } };
        }
        continue;
      }
      if (!(await this.nextChange(signal, heartbeatMs)) && !signal.aborted) {
        yield { update: { case: "heartbeat", value: timestampOf(Date.now()) } };
      }
    }
  }

  private changed(resnapshot: boolean): void {
    if (resnapshot) this.generation++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
