/**
 * Who is here: every Presence call's updates, fanned out to all the other
 * calls. Each call gets the latest update per author, coalesced, so what
 * waits for a slow client is bounded by how many people are present, not by
 * how often they move. A call that ends without saying it left is announced
 * as having left. With other instances (presence-relay.ts), their people are
 * here too: what this hub's own people do goes out through `onLocalChange`,
 * and theirs comes in through `applyRemote`.
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
  /** People on other instances, by `instance author-id`: their latest update and when it was heard. */
  private remote = new Map<string, { update: PresenceUpdate; heard: number }>();
  /** Told of every change this hub's own people make (join, move, leave): for other instances. */
  onLocalChange?: (update: PresenceUpdate) => void;

  /** Everyone present, here or on other instances, by author id. */
  authors(): Record<string, Author> {
    const out: Record<string, Author> = {};
    for (const { update } of this.remote.values()) out[update.author!.id] = update.author!;
    for (const [id, { update }] of this.present) out[id] = update.author!;
    return out;
  }

  /** This hub's own people, as their latest updates: what a relay announces again now and then. */
  localUpdates(): PresenceUpdate[] {
    return [...this.present.values()].map(({ update }) => update);
  }

  /** An update from `instance`'s people: passed to everyone here unless it repeats what they have. */
  applyRemote(instance: string, update: PresenceUpdate): void {
    const id = update.author?.id;
    if (!id) return;
    const key = `${instance} ${id}`;
    if (update.left) {
      if (this.remote.delete(key) && !this.isPresent(id)) this.broadcast(update);
      return;
    }
    const known = this.remote.get(key);
    this.remote.set(key, { update, heard: Date.now() });
    if (!known || known.update.focusCardId !== update.focusCardId) this.broadcast(update);
  }

  /** Forgets people of other instances not heard from since `before` (their instance went away without a word). */
  expireRemote(before: number): void {
    for (const [key, { update, heard }] of this.remote) {
      if (heard >= before) continue;
      this.remote.delete(key);
      if (!this.isPresent(update.author!.id)) this.broadcast({ ...update, left: true, focusCardId: "" });
    }
  }

  private isPresent(id: string): boolean {
    if (this.present.has(id)) return true;
    for (const { update } of this.remote.values()) if (update.author!.id === id) return true;
    return false;
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
        this.onLocalChange?.(update);
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
    const left = { author, boardId: BOARD_ID, focusCardId: "", left: true };
    // The same person may still be here through another instance.
    if (!this.isPresent(author.id)) this.broadcast(left, from);
    this.onLocalChange?.(left);
  }

  private broadcast(update: PresenceUpdate, from?: Session): void {
    for (const session of this.sessions) {
      if (session === from) continue;
      session.pending.set(update.author!.id, update);
      session.wake?.();
    }
  }
}
