/**
 * A board host's copy of the board: follows the leader's events over the
 * host link into a BoardFeed, resuming after the last revision it has when
 * the link breaks, and starting over when the leader restarted.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import type { BoardLeaderClient } from "../gen/board/v1/hosts_host.js";
import { BoardFeed } from "./board-feed.js";
import { BOARD_ID, emptyBoard } from "./board-state.js";

export interface FollowerOptions {
  /** Events kept for watchers that resume. Default 1000. */
  retain?: number;
  /** Told when following fails and will be retried. */
  onRetry?: (error: StreampathError, delayMs: number) => void;
}

export interface LeaderFollower {
  readonly feed: BoardFeed;
  /** Stops following. */
  close(): void;
}

export function followLeader(leader: BoardLeaderClient, options: FollowerOptions = {}): LeaderFollower {
  const feed = new BoardFeed(emptyBoard(), { retain: options.retain ?? 1000 });
  const stop = new AbortController();
  void (async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      try {
        for await (const event of leader.follow({ boardId: BOARD_ID, afterRevision: feed.revision }, { signal: stop.signal })) {
          feed.apply(event);
          failures = 0;
        }
        // The leader ended the stream (it is shutting down): follow again after a pause.
      } catch (caught) {
        if (stop.signal.aborted) return;
        const error = StreampathError.from(caught);
        // The leader has fewer revisions than we do: it restarted with a new board.
        if (error.code === Code.OutOfRange) feed.reset(emptyBoard());
        const delay = Math.min(5000, 100 * 2 ** failures++);
        options.onRetry?.(error, delay);
        await sleep(delay, stop.signal);
        continue;
      }
      await sleep(Math.min(5000, 100 * 2 ** failures++), stop.signal);
    }
  })();
  return { feed, close: () => stop.abort() };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
