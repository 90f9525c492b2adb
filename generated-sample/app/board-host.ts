/**
 * The BoardHost: what browsers talk to. Every instance is equal. A change
 * (Edit, Import) is stamped with the time here and published to the board's
 * log in the broker, its change id as the dedup id; every instance applies
 * the log to its own copy (board-log.ts, board-sync.ts), which GetBoard and
 * Watch serve. The writer is answered once this instance's copy has applied
 * the change's position — so a read after the answer sees the write — with
 * the revision it made or why it was refused. Presence is fanned out here,
 * between this instance's clients. Anything that is not a call (the page,
 * its scripts) goes to `fallback`.
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type http2 from "node:http2";
import { Channel, Code, StreampathError } from "streampath/runtime/core";
import { type ClusterOptions, type DrainOptions, type Host, createHost, implement } from "streampath/runtime/host";
import { Change, type ChangeAck, type Event } from "../gen/board/v1/board_pb.js";
import { BoardHost } from "../gen/board/v1/hosts_host.js";
import { BoardReplica, type Outcome } from "./board-log.js";
import { BOARD_ID, changeIdProblem, timestampOf } from "./board-state.js";
import { LOG_TOPIC, type BoardStore } from "./board-store.js";
import { BoardSync } from "./board-sync.js";
import { PresenceHub } from "./presence-hub.js";
import { type PresenceRelay, relayPresence } from "./presence-relay.js";

/** A quiet Watch gets a heartbeat this often, so a client sees the connection is alive. */
export const HEARTBEAT_MS = 15_000;
/** How long an answer waits for this instance's copy to apply its change. */
const CATCH_UP_MS = 10_000;
/** Changes of one Edit call published ahead of their answers. */
const EDIT_AHEAD = 64;
/**
 * How long a broken pair waits for its guest to resume. Shorter than the
 * runtime's 15 s: a closed tab leaves presence sooner, and a worker that
 * comes back too late loses nothing, as it watches again after its revision
 * and resends its unacknowledged changes.
 */
const PAIR_RESUME_MS = 5000;

export interface BoardHostOptions {
  /** Where the board's log and snapshots are (board-store.ts). The caller closes it. */
  store: BoardStore;
  /** TLS for browsers; or `h2c: true` behind a proxy that speaks TLS to them. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  h2c?: boolean;
  port?: number;
  hostname?: string;
  /** One of several instances: pair halves reaching the wrong one are forwarded to their owner. */
  cluster?: ClusterOptions;
  /** Serves everything that is not a call: the app's page, scripts and styles. */
  fallback?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  /** Told of every change this copy applies, and of every refusal. */
  onEvent?: (event: Event) => void;
  onRefused?: (change: Change, reason: string) => void;
  /** Told of trouble with the broker (board-sync.ts). */
  onProblem?: (message: string) => void;
  /** A snapshot every this many log positions. Default 1000. */
  snapshotEvery?: number;
}

export interface BoardHostStats {
  /** Changes this instance published (a dedup hit included). */
  published: number;
  /** Of those, the broker had already stored (a resend within its dedup window). */
  duplicates: number;
}

export interface BoardHostServer {
  readonly host: Host;
  readonly replica: BoardReplica;
  readonly sync: BoardSync;
  readonly presence: PresenceHub;
  /** Shares who is here with other instances, when the store has a presence topic. */
  readonly relay: PresenceRelay | undefined;
  readonly stats: BoardHostStats;
  /** Drains the host (running calls finish, new ones go elsewhere), then stops reading the log. */
  drain(options?: DrainOptions): Promise<void>;
  close(): Promise<void>;
}

function checkBoardId(boardId: string): void {
  if (boardId !== BOARD_ID) throw new StreampathError(Code.NotFound, `no board ${JSON.stringify(boardId)} (this host serves ${BOARD_ID})`);
}

function ackOf(changeId: string, outcome: Outcome): ChangeAck {
  return { changeId, revision: outcome.revision, rejectedReason: outcome.rejectedReason === undefined ? undefined : { value: outcome.rejectedReason } };
}

export async function startBoardHost(options: BoardHostOptions): Promise<BoardHostServer> {
  const { store } = options;
  const replica = new BoardReplica({ onEvent: options.onEvent, onRefused: options.onRefused });
  const sync = await BoardSync.start(replica, store, { snapshotEvery: options.snapshotEvery, onProblem: options.onProblem });
  const presence = new PresenceHub();
  // With other instances, who is here is shared through the store's presence topic.
  const relay = store.presence ? relayPresence(presence, store.presence, options.cluster?.instanceId ?? "local") : undefined;
  const stats: BoardHostStats = { published: 0, duplicates: 0 };

  /** Publishes `change` and returns its answer, to be awaited later: publishes stay in order, answers overlap. */
  const write = async (change: Change, signal: AbortSignal): Promise<() => Promise<ChangeAck>> => {
    const problem = changeIdProblem(change.changeId);
    if (problem) return async () => ackOf(change.changeId, { revision: replica.feed.revision, rejectedReason: problem });
    // The time is decided once, here, so every copy applies the same event. (The sample has no
    // accounts: the author is who the writer says; with authentication, set it from ctx.principal.)
    const stamped: Change = { ...change, at: timestampOf(Date.now()) };
    const { position, duplicate } = await store.log.publish(LOG_TOPIC, Change.encode(stamped), { id: change.changeId, signal });
    stats.published++;
    if (duplicate) stats.duplicates++;
    return async () => {
      const outcome = await replica.outcomeOf(position, change.changeId, signal, CATCH_UP_MS);
      if (outcome === "replaced") {
        throw new StreampathError(Code.Unavailable, `change ${change.changeId}: this host's copy of the board was replaced before it applied the change; send it again`);
      }
      if (outcome === "unknown") {
        // A resend of a change stored before this copy began, and not applied lately: refused then, most likely.
        // Not Unavailable: the writer would resend it forever.
        const reason = `change ${change.changeId} was already in the board's log (position ${position}) before this host's copy began, and its outcome is not known here: see the board`;
        return ackOf(change.changeId, { revision: replica.feed.revision, rejectedReason: reason });
      }
      return ackOf(change.changeId, outcome);
    };
  };

  const services = [
    implement(BoardHost, {
      getBoard(request) {
        checkBoardId(request.boardId);
        return { ...replica.feed.snapshot(), present: presence.authors() };
      },
      async *watch(request, ctx) {
        checkBoardId(request.boardId);
        // A revision means something only in its history: from another (a reset) or none, start with a snapshot.
        const sameHistory = request.historyId !== undefined && request.historyId === replica.historyId;
        for await (const update of replica.feed.updates(sameHistory ? request.afterRevision : 0n, ctx.signal, HEARTBEAT_MS)) {
          // Snapshots carry who is here now; presence changes themselves travel over Presence.
          if (update.update.case === "snapshot") update.update.value.present = presence.authors();
          yield update;
        }
      },
      async import(cards, ctx) {
        setMaxListeners(4 * EDIT_AHEAD, ctx.signal); // each answer in flight listens for the call's end
        let [accepted, rejected, revision] = [0, 0, replica.feed.revision];
        const count = (ack: ChangeAck) => {
          if (ack.rejectedReason) rejected++;
          else accepted++;
          if (ack.revision > revision) revision = ack.revision;
        };
        const waiting: Promise<ChangeAck>[] = [];
        for await (const card of cards) {
          const change: Change = { changeId: `import-${randomUUID()}`, author: card.createdBy, at: undefined, kind: { case: "added", value: card } };
          const answer = (await write(change, ctx.signal))();
          answer.catch(() => undefined); // awaited below, in order
          waiting.push(answer);
          if (waiting.length > EDIT_AHEAD) count(await waiting.shift()!);
        }
        for (const answer of waiting) count(await answer);
        return { accepted, rejected, revision };
      },
      async *edit(changes, ctx) {
        setMaxListeners(4 * EDIT_AHEAD, ctx.signal); // each answer in flight listens for the call's end
        const answers = new Channel<Promise<ChangeAck>>(EDIT_AHEAD);
        void (async () => {
          try {
            for await (const change of changes) {
              let answer: Promise<ChangeAck>;
              try {
                answer = (await write(change, ctx.signal))();
              } catch (error) {
                // Failed after the acks before it, and nothing after it is published: the writer
                // resends it and what follows, in order, on a new call.
                const failed = Promise.reject(error);
                failed.catch(() => undefined);
                await answers.send(failed);
                break;
              }
              answer.catch(() => undefined);
              await answers.send(answer);
            }
            answers.close();
          } catch (error) {
            answers.fail(error);
          }
        })();
        try {
          for await (const answer of answers) yield await answer;
        } finally {
          answers.cancel();
        }
      },
      presence(updates, ctx) {
        return presence.join(updates, ctx.signal);
      },
      ping() {
        return {};
      },
    }),
  ];

  let host: Host;
  try {
    host = await createHost({
      ...(options.h2c ? { h2c: true } : { tls: options.tls }),
      port: options.port ?? 0,
      hostname: options.hostname,
      cluster: options.cluster,
      fallback: options.fallback,
      pair: { resumeTimeoutMs: PAIR_RESUME_MS },
      services,
    });
  } catch (error) {
    relay?.close();
    await sync.close();
    throw error;
  }

  const drain = async (drainOptions?: DrainOptions) => {
    // Calls still running during the grace wait for this copy to apply their changes: stop reading after.
    await host.drain(drainOptions);
    relay?.close();
    await sync.close();
  };
  return { host, replica, sync, presence, relay, stats, drain, close: () => drain({ graceMs: 1000 }) };
}
