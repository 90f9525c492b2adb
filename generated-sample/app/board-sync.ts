/**
 * Keeps a host's BoardReplica up with the board's log: reads the log from the
 * copy's position onwards, applying each message in order; every
 * `snapshotEvery` positions publishes the board as a snapshot (every host
 * publishes the same one under the same dedup id, so it is stored once).
 * When the log no longer has what follows the copy (trimmed: OutOfRange), the
 * copy takes the newest snapshot; when the log ends before the copy (the
 * broker lost its data), the copy starts again from what the broker has, and
 * the board gets a new history id, which watchers see.
 */
import { createHash } from "node:crypto";
import { Code, StreampathError } from "streampath/runtime/core";
import { BoardSnapshot } from "../gen/board/v1/hosts_pb.js";
import type { BoardReplica } from "./board-log.js";
import { LOG_TOPIC, SNAPSHOT_TOPIC, type BoardStore } from "./board-store.js";
import { sleep } from "./live-board.js";

export interface SyncOptions {
  /** A snapshot at every position that is a multiple of this. Default 1000. */
  snapshotEvery?: number;
  /** How long start() may take to catch up with the log. Default 60 s. */
  catchUpMs?: number;
  /** Told of trouble: a lost subscription, a reset, a snapshot that could not be published. */
  onProblem?: (message: string) => void;
}

/** Longest wait between two attempts to read the log. */
const MAX_BACKOFF_MS = 2000;
/** How long reading the kept snapshots may take. */
const SNAPSHOT_READ_MS = 10_000;

export class BoardSync {
  /** Snapshots this host stored (another host's identical one first: not counted). */
  published = 0;
  /** Snapshots this copy was replaced with (at start, or after OutOfRange). */
  loaded = 0;
  private readonly stop = new AbortController();
  private readonly every: bigint;
  private running: Promise<void> | undefined;

  private constructor(readonly replica: BoardReplica, private readonly store: BoardStore, private readonly options: SyncOptions) {
    this.every = BigInt(options.snapshotEvery ?? 1000);
  }

  /**
   * Reads the log into `replica` up to where the log ended at the call, then follows it. A fresh
   * copy (position 0) starts from the newest snapshot; one that has a position goes on from it.
   */
  static async start(replica: BoardReplica, store: BoardStore, options: SyncOptions = {}): Promise<BoardSync> {
    const sync = new BoardSync(replica, store, options);
    const end = await store.log.last(LOG_TOPIC);
    const snapshot = replica.position === 0n ? await sync.newestSnapshot(end) : undefined;
    if (snapshot) {
      replica.load(snapshot);
      sync.loaded++;
    }
    sync.running = sync.run();
    try {
      await replica.reach(end, sync.stop.signal, options.catchUpMs ?? 60_000);
    } catch (error) {
      sync.close();
      throw error;
    }
    return sync;
  }

  /** Stops reading; the replica keeps what it has. */
  close(): Promise<void> {
    this.stop.abort(new StreampathError(Code.Canceled, "the board host closed"));
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const { signal } = this.stop;
    let failures = 0;
    let recover = false;
    while (!signal.aborted) {
      try {
        if (recover) await this.recover();
        recover = false;
        for await (const message of this.store.log.subscribe(LOG_TOPIC, { after: this.replica.position, signal })) {
          // Positions are contiguous in both brokers: a jump is what retention dropped before we read it.
          if (message.position !== this.replica.position + 1n) {
            throw new StreampathError(Code.OutOfRange, `the log continues at ${message.position}, not ${this.replica.position + 1n}`);
          }
          this.replica.apply(message.position, message.data);
          failures = 0;
          if (message.position % this.every === 0n) this.publishSnapshot();
        }
      } catch (caught) {
        if (signal.aborted) return;
        const error = StreampathError.from(caught);
        // A log that ends before this copy was lost (a NATS stream gone fails reads, not OutOfRange).
        const end = error.code === Code.OutOfRange ? undefined : await this.store.log.last(LOG_TOPIC).catch(() => undefined);
        if (error.code === Code.OutOfRange || (end !== undefined && end < this.replica.position)) recover = true;
        const delay = Math.min(MAX_BACKOFF_MS, recover && failures === 0 ? 0 : 50 * 2 ** failures++);
        this.options.onProblem?.(`reading the board's log after ${this.replica.position}: ${error.message}; again in ${delay} ms`);
        await sleep(delay, signal);
      }
    }
  }

  /** After OutOfRange: the newest snapshot if it is ahead of the copy, or a fresh start if the log was lost. */
  private async recover(): Promise<void> {
    const end = await this.store.log.last(LOG_TOPIC);
    const snapshot = await this.newestSnapshot(end);
    if (end < this.replica.position) {
      const from = snapshot ? `the snapshot at ${snapshot.position}` : "an empty board";
      this.options.onProblem?.(`the board's log ends at ${end}, before this copy (${this.replica.position}): the broker lost its data; starting again from ${from}, as a new history`);
    } else if (!snapshot || snapshot.position <= this.replica.position) {
      throw new StreampathError(Code.DataLoss, `the log no longer has what follows position ${this.replica.position}, and no snapshot is newer`);
    }
    this.replica.load(snapshot);
    this.loaded++;
  }

  /** The kept snapshot with the highest position not past `end` (a lagging host may have stored an old one last). */
  private async newestSnapshot(end: bigint): Promise<BoardSnapshot | undefined> {
    const last = await this.store.snapshots.last(SNAPSHOT_TOPIC);
    if (last === 0n) return undefined;
    const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(SNAPSHOT_READ_MS)]);
    let best: BoardSnapshot | undefined;
    for await (const message of this.store.snapshots.subscribe(SNAPSHOT_TOPIC, { after: 0n, signal })) {
      const snapshot = BoardSnapshot.decode(message.data);
      if (snapshot.position <= end && snapshot.position > (best?.position ?? 0n)) best = snapshot;
      if (message.position >= last) break;
    }
    return best;
  }

  private publishSnapshot(): void {
    const snapshot = this.replica.snapshot();
    // The same board at the same position of the same history: one id, whichever host sends it.
    const history = createHash("sha256").update(snapshot.board?.historyId ?? "").digest("base64url").slice(0, 12);
    const id = `${snapshot.position}-${history}`;
    this.store.snapshots.publish(SNAPSHOT_TOPIC, BoardSnapshot.encode(snapshot), { id }).then(
      (result) => void (result.duplicate || this.published++),
      (error: unknown) => this.options.onProblem?.(`publishing the snapshot at ${snapshot.position}: ${StreampathError.from(error).message}`),
    );
  }
}
