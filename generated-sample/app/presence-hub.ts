/**
 * Who is here: every Presence call's updates, fanned out to all the other
 * calls. Each call gets the latest update per author, coalesced, so what
 * waits for a slow client is bounded by how many people are present, not by
 * how often they move. A call that ends without saying it left is announced
 * as having left.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import type { Author, PresenceUpdate } from "../gen/board/v1/board_pb.js";
import { BOARD_ID } from "./board-state.js";

const MAX_SESSIONS = 1000;

interface Session {
  /** Latest update per author id that this session has not been sent yet. */
  pending: Map<string, PresenceUpdate>;
  wake?: () => void;
}

interface Presence {
  update: PresenceUpdate;
  /** Calls announcing this author (one person may have several tabs open with one identity). */
  sessions: number;
}

export class PresenceHub {
  private sessions = new Set<Session>();
  private present = new Map<string, Presence>();

  /** Everyone present, by author id. */
  authors(): Record<string, Author> {
    const out: Record<string, Author> = {};
    for (const [id, { update }] of this.present) out[id] = update.author!;
    return out;
  }

  /** One Presence call: the caller's updates in, everyone else's out. */
  async *join(updates: AsyncIterable<PresenceUpdate>, signal: AbortSignal): AsyncGenerator<PresenceUpdate> {
    if (this.sessions.size >= MAX_SESSIONS) throw new StreampathError(Code.ResourceExhausted, `more than ${MAX_SESSIONS} presence calls`);
    const session: Session = { pending: new Map() };
    for (const [id, { update }] of this.present) session.pending.set(id, update);
    this.sessions.add(session);
    let failure: unknown;
    const done = this.readUpdates(updates, session).catch((error) => (failure = error));
    let finished = false;
    void done.then(() => {
      finished = true;
      session.wake?.();
    });
    const onAbort = () => session.wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        if (session.pending.size > 0) {
          const batch = [...session.pending.values()];
          session.pending.clear();
          yield* batch;
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => (session.wake = resolve));
        session.wake = undefined;
      }
      if (failure) throw failure;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.sessions.delete(session);
    }
  }

  private async readUpdates(updates: AsyncIterable<PresenceUpdate>, session: Session): Promise<void> {
    let author: Author | undefined;
    try {
      for await (const update of updates) {
        if (!update.author?.id) throw new StreampathError(Code.InvalidArgument, "a presence update needs an author with an id");
        if (update.boardId !== BOARD_ID) throw new StreampathError(Code.NotFound, `no board ${JSON.stringify(update.boardId)}`);
        if (author && author.id !== update.author.id) {
          throw new StreampathError(Code.InvalidArgument, `one presence call speaks for one author: ${author.id}, not ${update.author.id}`);
        }
        if (update.left) {
          if (author) this.leave(author, session);
          author = undefined;
          continue;
        }
        if (!author) {
          author = update.author;
          const entry = this.present.get(author.id);
          this.present.set(author.id, { update, sessions: (entry?.sessions ?? 0) + 1 });
        } else {
          this.present.get(author.id)!.update = update;
        }
        this.broadcast(update, session);
      }
    } finally {
      if (author) this.leave(author, session);
    }
  }

  private leave(author: Author, from: Session): void {
    const entry = this.present.get(author.id);
    if (!entry) return;
    if (--entry.sessions > 0) return;
    this.present.delete(author.id);
    this.broadcast({ author, boardId: BOARD_ID, focusCardId: "", left: true }, from);
  }

  private broadcast(update: PresenceUpdate, from: Session): void {
    for (const session of this.sessions) {
      if (session === from) continue;
      session.pending.set(update.author!.id, update);
      session.wake?.();
    }
  }
}
