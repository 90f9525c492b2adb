/**
 * The BoardHost: what browsers talk to, over HTTPS/HTTP/2. Reads (GetBoard,
 * Watch) are served from a local copy kept by following the leader over a
 * host link; writes (Edit, Import) are forwarded to the leader's Apply over
 * the same link, and acknowledged once the local copy has the change, so a
 * client that reads after its acknowledgement sees its own write. Presence
 * is fanned out here, between this host's clients. Anything that is not a
 * call (the page, its scripts) goes to `fallback`.
 */
import { randomUUID } from "node:crypto";
import type http2 from "node:http2";
import { Code, StreampathError } from "streampath/runtime/core";
import { type Host, type HostLink, connectHost, createHost, implement } from "streampath/runtime/host";
import { BoardHost, createBoardLeaderClient } from "../gen/board/v1/hosts_host.js";
import { BOARD_ID } from "./board-state.js";
import { type LeaderFollower, followLeader } from "./leader-follower.js";
import { PresenceHub } from "./presence-hub.js";

/** A quiet Watch gets a heartbeat this often, so a client sees the connection is alive. */
export const HEARTBEAT_MS = 15_000;
/** How long an acknowledgement waits for the local copy to catch up with its revision. */
const CATCH_UP_MS = 2000;
/** Each forwarded change must be answered by the leader within this. */
const APPLY_TIMEOUT_MS = 10_000;
/**
 * How long a broken pair waits for its guest to resume. Shorter than the
 * runtime's 15 s: a closed tab leaves presence sooner, and a worker that
 * comes back too late loses nothing, as it watches again after its revision
 * and resends its unacknowledged changes.
 */
const PAIR_RESUME_MS = 5000;

export interface BoardHostOptions {
  /** The leader's URL (h2c between hosts). */
  leaderUrl: string;
  tls: { key: string | Buffer; cert: string | Buffer };
  port?: number;
  hostname?: string;
  /** Serves everything that is not a call: the app's page, scripts and styles. */
  fallback?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  /** Told when following the leader fails and will be retried. */
  onFollowRetry?: (error: StreampathError, delayMs: number) => void;
}

export interface BoardHostServer {
  readonly host: Host;
  readonly follower: LeaderFollower;
  readonly presence: PresenceHub;
  readonly link: HostLink;
  close(): Promise<void>;
}

function checkBoardId(boardId: string): void {
  if (boardId !== BOARD_ID) throw new StreampathError(Code.NotFound, `no board ${JSON.stringify(boardId)} (this host serves ${BOARD_ID})`);
}

export async function startBoardHost(options: BoardHostOptions): Promise<BoardHostServer> {
  const link = connectHost(options.leaderUrl);
  const leader = createBoardLeaderClient(link);
  const follower = followLeader(leader, { onRetry: options.onFollowRetry });
  const { feed } = follower;
  const presence = new PresenceHub();
  const snapshot = () => ({ ...feed.snapshot(), present: presence.authors() });

  const host = await createHost({
    tls: options.tls,
    port: options.port ?? 0,
    hostname: options.hostname,
    fallback: options.fallback,
    pair: { resumeTimeoutMs: PAIR_RESUME_MS },
    services: [
      implement(BoardHost, {
        getBoard(request) {
          checkBoardId(request.boardId);
          return snapshot();
        },
        async *watch(request, ctx) {
          checkBoardId(request.boardId);
          for await (const update of feed.updates(request.afterRevision, ctx.signal, HEARTBEAT_MS)) {
            // Snapshots carry who is here now; presence changes themselves travel over Presence.
            if (update.update.case === "snapshot") update.update.value.present = presence.authors();
            yield update;
          }
        },
        async import(cards, ctx) {
          let accepted = 0;
          let rejected = 0;
          let revision = feed.revision;
          for await (const card of cards) {
            const ack = await leader.apply(
              { changeId: `import-${randomUUID()}`, author: card.createdBy, at: undefined, kind: { case: "added", value: card } },
              { signal: ctx.signal, timeoutMs: APPLY_TIMEOUT_MS },
            );
            if (ack.rejectedReason) rejected++;
            else accepted++;
            if (ack.revision > revision) revision = ack.revision;
          }
          await feed.reached(revision, ctx.signal, CATCH_UP_MS);
          return { accepted, rejected, revision };
        },
        async *edit(changes, ctx) {
          for await (const change of changes) {
            const ack = await leader.apply(change, { signal: ctx.signal, timeoutMs: APPLY_TIMEOUT_MS });
            if (!ack.rejectedReason) await feed.reached(ack.revision, ctx.signal, CATCH_UP_MS);
            yield ack;
          }
        },
        presence(updates, ctx) {
          return presence.join(updates, ctx.signal);
        },
        ping() {
          return {};
        },
      }),
    ],
  });

  return {
    host,
    follower,
    presence,
    link,
    async close() {
      await host.close(1000);
      follower.close();
      await link.close();
    },
  };
}
