/**
 * One board host's copy of the board, made by applying the board's log (the
 * broker topic every host publishes changes to) in log order with the rules
 * of board-state.ts. Nothing here depends on which host runs it or when, so
 * every host at the same log position holds the same board, revision, history
 * and recent change ids — no leader. What a host remembers only for itself
 * (the outcome of recent positions, to answer its writers) is kept apart.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import { Card, Change, type Event } from "../gen/board/v1/board_pb.js";
import type { BoardSnapshot } from "../gen/board/v1/hosts_pb.js";
import { BoardFeed } from "./board-feed.js";
import { LIMITS, cardAfter, cardIdOf, emptyBoard, msOf, rejectionOf, stamp } from "./board-state.js";

/** Change ids remembered (in snapshots too) so a late resend is not applied twice. */
export const APPLIED_IDS = 4096;
/** Outcomes of recent positions this host remembers, to answer writers whose own copy lags. */
const OUTCOMES = 8192;
/** Events a Watch may resume inside; a watcher further behind gets a snapshot. */
const FEED_RETAIN = 1000;

/** What became of one log message. */
export interface Outcome {
  /** The revision it made; for a refusal or a resend, the revision then (resend: the first one's). */
  revision: bigint;
  rejectedReason?: string;
  /** The change id was applied before: this message changed nothing. */
  repeated?: boolean;
}

export interface ReplicaHooks {
  onEvent?: (event: Event) => void;
  onRefused?: (change: Change, reason: string) => void;
}

/** Every card's encoded size, as the snapshot's map entry takes it. */
function entryBytes(card: Card): number {
  return Card.encode(card).length + card.id.length + 8;
}

export class BoardReplica {
  /** The board and its recent events, for Watch (watchers are cursors over it, see board-feed.ts). */
  readonly feed = new BoardFeed(emptyBoard(), { retain: FEED_RETAIN });
  /** The last log position applied; 0n: none. */
  position = 0n;
  /** Bumped whenever the copy is replaced (a snapshot, a reset): an answer waited for across it is unknown. */
  generation = 0;
  private applied = new Map<string, bigint>();
  private outcomes = new Map<bigint, Outcome>();
  private sizes = new Map<string, number>();
  private bytes = 0;
  private waiters = new Set<{ position: bigint; done: () => void }>();

  constructor(private readonly hooks: ReplicaHooks = {}) {}

  get historyId(): string | undefined {
    return this.feed.board.historyId;
  }

  /** Applies the log message at `position` (the next one: a gap is the caller's to handle). */
  apply(position: bigint, data: Uint8Array): Outcome {
    if (position !== this.position + 1n) {
      throw new StreampathError(Code.OutOfRange, `log position ${position} does not follow ${this.position}`);
    }
    let change: Change;
    try {
      change = Change.decode(data);
    } catch (error) {
      // Not ours to fix: record it as refused, like any bad change, so every host moves on alike.
      change = { changeId: "", kind: { case: undefined } };
      this.hooks.onRefused?.(change, `undecodable log message: ${(error as Error).message}`);
    }
    const outcome = this.decide(position, change);
    this.position = position;
    this.outcomes.set(position, outcome);
    if (this.outcomes.size > OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.wake();
    return outcome;
  }

  private decide(position: bigint, change: Change): Outcome {
    const board = this.feed.board;
    // A history is named by its first message, which every host reads alike.
    if (board.historyId === undefined) this.feed.nameHistory(`${new Date(msOf(change.at)).toISOString()}/${position}/${change.changeId}`);
    const first = this.applied.get(change.changeId);
    if (first !== undefined) return { revision: first, repeated: true };
    const reason = rejectionOf(board, change) ?? this.sizeProblem(change);
    if (reason) {
      this.hooks.onRefused?.(change, reason);
      return { revision: board.revision, rejectedReason: reason };
    }
    const event = stamp(board, change, board.revision + 1n);
    const id = cardIdOf(event);
    const card = cardAfter(board, event);
    this.feed.apply(event);
    if (id !== undefined) this.resize(id, card);
    this.applied.set(change.changeId, event.revision);
    if (this.applied.size > APPLIED_IDS) this.applied.delete(this.applied.keys().next().value!);
    this.hooks.onEvent?.(event);
    return { revision: event.revision };
  }

  /** A change that would make the board's data pass LIMITS.boardBytes. */
  private sizeProblem(change: Change): string | undefined {
    const kind = change.kind.case;
    if (kind !== "added" && kind !== "edited") return undefined; // a move changes a card by a few bytes at most
    const board = this.feed.board;
    const event = stamp(board, change, board.revision + 1n);
    const card = cardAfter(board, event);
    const id = cardIdOf(event);
    if (!card || id === undefined) return undefined;
    const after = this.bytes - (this.sizes.get(id) ?? 0) + entryBytes(card);
    return after > LIMITS.boardBytes ? `the board is full (its cards would take ${after} bytes, at most ${LIMITS.boardBytes})` : undefined;
  }

  private resize(id: string, card: Card | undefined): void {
    this.bytes -= this.sizes.get(id) ?? 0;
    this.sizes.delete(id);
    if (!card) return;
    const size = entryBytes(card);
    this.sizes.set(id, size);
    this.bytes += size;
  }

  /** What every host at this position would publish as its snapshot. */
  snapshot(): BoardSnapshot {
    const board = { ...this.feed.snapshot(), present: {} };
    return { position: this.position, board, applied: [...this.applied].map(([changeId, revision]) => ({ changeId, revision })) };
  }

  /** Replaces the copy with `snapshot` (or an empty board at position 0: the log was lost). */
  load(snapshot: BoardSnapshot | undefined): void {
    const board = snapshot?.board ? { ...snapshot.board, present: this.feed.board.present } : emptyBoard();
    this.position = snapshot?.position ?? 0n;
    this.applied = new Map((snapshot?.applied ?? []).map((a) => [a.changeId, a.revision]));
    this.outcomes.clear();
    this.sizes.clear();
    this.bytes = 0;
    for (const card of Object.values(board.cards)) this.resize(card.id, card);
    this.generation++;
    this.feed.reset(board);
    this.wake(true);
  }

  /**
   * The answer for the change `changeId` stored at `position`, once this copy has applied it: its
   * outcome; or, if this copy never applied that position itself (it began from a later snapshot),
   * the revision it made if it is among the recent change ids, else "unknown"; "replaced" if the
   * copy was replaced meanwhile (a snapshot, a reset), when the writer should send it again.
   * Throws Unavailable if this copy does not get there within `timeoutMs`.
   */
  async outcomeOf(position: bigint, changeId: string, signal: AbortSignal, timeoutMs: number): Promise<Outcome | "unknown" | "replaced"> {
    const generation = this.generation;
    if (this.position < position) await this.reach(position, signal, timeoutMs);
    const revision = this.applied.get(changeId);
    const repeated: Outcome | undefined = revision === undefined ? undefined : { revision, repeated: true };
    // Outcomes by position hold only for the copy the change was published against.
    if (this.generation !== generation) return repeated ?? "replaced";
    return this.outcomes.get(position) ?? repeated ?? "unknown";
  }

  /** Resolves once `position` is applied or the copy is replaced; Unavailable after `ms`, Canceled on abort. */
  reach(position: bigint, signal: AbortSignal, ms: number): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: StreampathError) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", aborted);
        this.waiters.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      const aborted = () => done(StreampathError.from(signal.reason, Code.Canceled));
      const waiter = { position, done: () => done() };
      const timer = setTimeout(
        () => done(new StreampathError(Code.Unavailable, `this host has not applied log position ${position} within ${ms} ms (it is at ${this.position}); send the change again`)),
        ms,
      );
      if (signal.aborted) return aborted();
      signal.addEventListener("abort", aborted, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Wakes who waits for a position now applied, or everyone when the copy was replaced. */
  private wake(all = false): void {
    for (const waiter of this.waiters) if (all || waiter.position <= this.position) waiter.done();
  }
}
