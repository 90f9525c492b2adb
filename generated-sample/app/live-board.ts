/**
 * The worker's live board: one Watch call to the board host keeps a copy,
 * resuming after the last revision it has when the call fails, and one
 * Presence call announces this tab and tracks who else is here. Every
 * window call reads from this one copy (a BoardFeed), so ten subscribers
 * cost one Watch, not ten.
 */
import { type CallOptions, Channel, Code, type ConnectionStateSource, StreampathError, resumeStream } from "streampath/runtime/core";
import type { Author, Board, PresenceUpdate, WatchRequest } from "../gen/board/v1/board_pb.js";
import type { BoardHostClient } from "../gen/board/v1/hosts_host.js";
import { BoardFeed } from "./board-feed.js";
import { BOARD_ID, emptyBoard } from "./board-state.js";

export type LiveStatus = "connecting" | "live" | "reconnecting";

export interface LiveBoardOptions {
  /** Who this tab is, announced over Presence; without one, presence is not joined. */
  me?: Author;
  /** Told of every status change and of the failure behind a reconnect. */
  onStatus?: (status: LiveStatus, error?: StreampathError) => void;
  /** Longest pause between two attempts. Default 5000 ms. */
  maxBackoffMs?: number;
  /** The gateway's connection state: a lost Watch is started again once it is live. */
  connection?: ConnectionStateSource;
}

/**
 * Errors that likely pass soon: the connection, the host, the deadline, or a
 * pair the host no longer knows (NotFound: it restarted, docs/protocol.md).
 * Others are retried too, but only after the longest pause.
 */
function transient(error: StreampathError): boolean {
  return [Code.Unavailable, Code.DeadlineExceeded, Code.Aborted, Code.Internal, Code.Unknown, Code.ResourceExhausted, Code.NotFound].includes(error.code);
}

export class LiveBoard {
  readonly feed = new BoardFeed(emptyBoard(), { retain: 1000 });
  status: LiveStatus = "connecting";
  /** Watch calls made (1 + reconnects), for tests and the status line. */
  watches = 0;
  private readonly stop = new AbortController();
  private readonly present = new Map<string, Author>();
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly host: BoardHostClient, private readonly options: LiveBoardOptions = {}) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    if (options.me) this.present.set(options.me.id, options.me);
    void this.watch();
    if (options.me) void this.announce(options.me);
  }

  /** Resolves once the first snapshot arrived; rejects if `signal` aborts first. */
  whenReady(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(StreampathError.from(signal.reason, Code.Canceled));
    return new Promise((resolve, reject) => {
      const aborted = () => reject(StreampathError.from(signal.reason, Code.Canceled));
      signal.addEventListener("abort", aborted, { once: true });
      void this.ready.then(() => {
        signal.removeEventListener("abort", aborted);
        resolve();
      });
    });
  }

  close(): void {
    this.stop.abort(new StreampathError(Code.Canceled, "the live board was closed"));
  }

  private setStatus(status: LiveStatus, error?: StreampathError): void {
    this.status = status;
    this.options.onStatus?.(status, error);
  }

  /**
   * One Watch for as long as the tab lives. A call the host lost (its instance died, it drained)
   * is started again after the last revision this copy has (resumeStream), once the gateway
   * reaches the host again: the copy converges, with no event twice and none missed.
   */
  private async watch(): Promise<void> {
    const signal = this.stop.signal;
    const open = async function* (this: LiveBoard, request: WatchRequest, options: CallOptions) {
      await this.options.connection?.whenLive(signal);
      this.watches++;
      yield* this.host.watch(request, options);
    }.bind(this);
    let failures = 0;
    while (!signal.aborted) {
      try {
        // The history with the revision: a host resumes with events only within the same history (a reset board is another).
        const from: WatchRequest = { boardId: BOARD_ID, afterRevision: this.feed.revision, historyId: this.feed.board.historyId };
        const updates = resumeStream(open, from, {
          advance: (request, { update }) =>
            update.case === "snapshot" ? { ...request, afterRevision: update.value.revision, historyId: update.value.historyId }
            : update.case === "event" ? { ...request, afterRevision: update.value.revision }
            : request,
          // Every failure is worth another call while the tab lives: the host may be back any moment.
          retryable: () => true,
          attempts: Infinity,
          capMs: this.options.maxBackoffMs ?? 5000,
          onRestart: (error) => this.setStatus("reconnecting", error),
        }, { signal });
        for await (const { update } of updates) {
          if (update.case === "snapshot") this.feed.reset(this.withPresence(update.value));
          else if (update.case === "event") this.feed.apply(update.value);
          if (this.status !== "live") this.setStatus("live");
          this.markReady();
          failures = 0;
        }
        throw new StreampathError(Code.Unavailable, "the board host ended the watch");
      } catch (caught) {
        if (signal.aborted) return;
        // The host ended it, or the copy could not take an event (a protocol fault): start afresh.
        this.setStatus("reconnecting", StreampathError.from(caught));
        await sleep(this.backoff(failures++), signal);
      }
    }
  }

  /** Presence: say hello, keep the call open while the tab lives, fold everyone's updates into the board. */
  private async announce(me: Author): Promise<void> {
    let failures = 0;
    while (!this.stop.signal.aborted) {
      const up = new Channel<PresenceUpdate>(1);
      up.offer({ author: me, boardId: BOARD_ID, focusCardId: "", left: false });
      try {
        for await (const update of this.host.presence(up, { signal: this.stop.signal })) {
          if (!update.author) continue;
          if (update.left) this.present.delete(update.author.id);
          else this.present.set(update.author.id, update.author);
          this.feed.setPresent(Object.fromEntries(this.present));
          failures = 0;
        }
        throw new StreampathError(Code.Unavailable, "the board host ended the presence call");
      } catch (caught) {
        if (this.stop.signal.aborted) return;
        // Who else is here is unknown until the next call's first updates.
        this.present.clear();
        this.present.set(me.id, me);
        this.feed.setPresent(Object.fromEntries(this.present));
        await sleep(transient(StreampathError.from(caught)) ? this.backoff(failures++) : this.backoff(10), this.stop.signal);
      } finally {
        up.close();
      }
    }
  }

  private withPresence(board: Board): Board {
    return this.options.me ? { ...board, present: Object.fromEntries(this.present) } : board;
  }

  private backoff(failures: number): number {
    return Math.min(this.options.maxBackoffMs ?? 5000, 100 * 2 ** failures);
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
