/**
 * The BoardLeader host: holds the authoritative board and orders every
 * change. Apply checks a change, stamps it with the next revision and
 * records it; Follow streams every event after a revision to the board
 * hosts that keep copies. A change id seen before gets its first answer
 * again, so a writer that resends after a lost acknowledgement changes
 * nothing twice.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import { type Host, createHost, implement } from "streampath/runtime/host";
import type { ChangeAck, Event } from "../gen/board/v1/board_pb.js";
import { BoardLeader } from "../gen/board/v1/hosts_host.js";
import { BoardFeed } from "./board-feed.js";
import { BOARD_ID, emptyBoard, rejectionOf, stamp } from "./board-state.js";

/** Followers replay from revision 0, so the leader keeps every event; past this many it refuses changes. */
export const MAX_EVENTS = 100_000;
/** Acknowledgements remembered for resent changes. */
const REMEMBERED_ACKS = 10_000;

export interface LeaderStats {
  /** Changes accepted (events recorded). */
  applied: number;
  /** Changes refused, with a reason in their acknowledgement. */
  rejected: number;
  /** Changes answered from memory because their id was seen before. */
  repeated: number;
}

export interface BoardLeaderHost {
  readonly host: Host;
  readonly url: string;
  readonly feed: BoardFeed;
  readonly stats: LeaderStats;
  close(): Promise<void>;
}

export interface LeaderOptions {
  /** Told of each accepted event, e.g. to log it. */
  onEvent?: (event: Event) => void;
  port?: number;
}

function checkBoardId(boardId: string): void {
  if (boardId !== BOARD_ID) throw new StreampathError(Code.NotFound, `no board ${JSON.stringify(boardId)} (this leader has ${BOARD_ID})`);
}

/** Starts the leader: cleartext HTTP/2 on 127.0.0.1, for board hosts only (browsers never reach it). */
export async function startLeader(options: LeaderOptions = {}): Promise<BoardLeaderHost> {
  const feed = new BoardFeed(emptyBoard(), { retain: MAX_EVENTS });
  const stats: LeaderStats = { applied: 0, rejected: 0, repeated: 0 };
  const acks = new Map<string, ChangeAck>();
  const remember = (ack: ChangeAck) => {
    acks.set(ack.changeId, ack);
    if (acks.size > REMEMBERED_ACKS) acks.delete(acks.keys().next().value!);
    return ack;
  };

  const host = await createHost({
    h2c: true,
    port: options.port ?? 0,
    services: [
      implement(BoardLeader, {
        apply(change) {
          const known = acks.get(change.changeId);
          if (known) {
            stats.repeated++;
            return known;
          }
          const reason = feed.revision >= MAX_EVENTS ? `the board has reached ${MAX_EVENTS} changes` : rejectionOf(feed.board, change);
          if (reason) {
            stats.rejected++;
            // Refusals are not remembered: the same change may be fine later (its card may exist by then).
            return { changeId: change.changeId, revision: feed.revision, rejectedReason: { value: reason } };
          }
          const event = stamp(feed.board, change, feed.revision + 1n, Date.now());
          feed.apply(event);
          stats.applied++;
          options.onEvent?.(event);
          return remember({ changeId: change.changeId, revision: event.revision, rejectedReason: undefined });
        },
        async *follow(request, ctx) {
          checkBoardId(request.boardId);
          if (request.afterRevision > feed.revision) {
            throw new StreampathError(
              Code.OutOfRange,
              `the leader is at revision ${feed.revision}, before ${request.afterRevision}: it restarted, follow from 0`,
            );
          }
          let cursor = request.afterRevision;
          while (!ctx.signal.aborted) {
            const events = feed.eventsAfter(cursor)!;
            for (const event of events) yield event;
            if (events.length > 0) cursor = events[events.length - 1]!.revision;
            else await feed.nextChange(ctx.signal, 60_000);
          }
        },
      }),
    ],
  });
  return { host, url: host.url, feed, stats, close: () => host.close(1000) };
}
