/**
 * The worker's one Edit call: every change the tab submits goes up this one
 * bidi call, opened at the first change and kept open, and each
 * acknowledgement settles its change by id. When the call fails, a new one
 * (at once if changes wait, else at the next change) resends every change
 * not yet acknowledged (the board's log takes a change id once — the broker's
 * dedup, then the hosts' record of recent ids — and answers a resend with the
 * first answer, so nothing applies twice). At most `capacity` changes wait for an answer; more
 * submissions wait for room. With the gateway's connection state, a new call waits until the
 * host is reached again rather than fail on a schedule.
 */
import { Channel, Code, type ConnectionStateSource, StreampathError } from "streampath/runtime/core";
import type { Change, ChangeAck } from "../gen/board/v1/board_pb.js";
import type { BoardHostClient } from "../gen/board/v1/hosts_host.js";
import { sleep } from "./live-board.js";

export interface EditSessionOptions {
  /** Changes in flight at most. Default 256. */
  capacity?: number;
  /** Consecutive failed calls after which every waiting change fails. Default 10. */
  attempts?: number;
  maxBackoffMs?: number;
  /** While it is not live, a failed call is not tried again. */
  connection?: ConnectionStateSource;
}

interface Pending {
  change: Change;
  answer: Promise<ChangeAck>;
  resolve(ack: ChangeAck): void;
  reject(error: StreampathError): void;
}

export class EditSession {
  /** Edit calls opened (1 + reconnects), for tests and the status line. */
  calls = 0;

  /** Changes sent and not yet answered. */
  get waiting(): number {
    return this.pending.size;
  }
  private readonly pending = new Map<string, Pending>();
  private readonly capacity: number;
  private readonly stop = new AbortController();
  /** The open call's request stream, if a call is open. */
  private up: Channel<Change> | undefined;
  private running = false;
  private room: (() => void)[] = [];

  constructor(private readonly host: BoardHostClient, private readonly options: EditSessionOptions = {}) {
    this.capacity = options.capacity ?? 256;
  }

  /** Sends `change` and resolves with its acknowledgement (which may say it was refused). */
  async submit(change: Change, signal?: AbortSignal): Promise<ChangeAck> {
    if (!change.changeId) throw new StreampathError(Code.InvalidArgument, "a change needs a change_id");
    const known = this.pending.get(change.changeId);
    if (known) return known.answer;
    while (this.pending.size >= this.capacity) {
      await new Promise<void>((resolve) => this.room.push(resolve));
      if (signal?.aborted) throw StreampathError.from(signal.reason, Code.Canceled);
    }
    if (this.stop.signal.aborted) throw StreampathError.from(this.stop.signal.reason, Code.Unavailable);
    let settle!: Pick<Pending, "resolve" | "reject">;
    const answer = new Promise<ChangeAck>((resolve, reject) => (settle = { resolve, reject }));
    answer.catch(() => undefined); // a caller that stopped waiting leaves it unobserved
    const entry: Pending = { change, answer, ...settle };
    this.pending.set(change.changeId, entry);
    // The open call's queue holds at most what is pending, so this always fits.
    this.up?.offer(change);
    if (!this.running) void this.run();
    if (!signal) return entry.answer;
    // The caller may stop waiting; the change still goes up and is answered.
    return new Promise<ChangeAck>((resolve, reject) => {
      const aborted = () => reject(StreampathError.from(signal.reason, Code.Canceled));
      if (signal.aborted) return aborted();
      signal.addEventListener("abort", aborted, { once: true });
      entry.answer.then(resolve, reject).finally(() => signal.removeEventListener("abort", aborted));
    });
  }

  close(): void {
    this.stop.abort(new StreampathError(Code.Unavailable, "the edit session was closed"));
    this.failAll(StreampathError.from(this.stop.signal.reason));
  }

  /** Keeps an Edit call open while changes wait for answers; a new call resends them. */
  private async run(): Promise<void> {
    this.running = true;
    let failures = 0;
    try {
      while (this.pending.size > 0 && !this.stop.signal.aborted) {
        const up = new Channel<Change>(this.capacity);
        for (const { change } of this.pending.values()) up.offer(change);
        this.up = up;
        this.calls++;
        try {
          for await (const ack of this.host.edit(up, { signal: this.stop.signal })) {
            failures = 0;
            const entry = this.pending.get(ack.changeId);
            if (!entry) continue; // an answer to a change resent twice
            this.pending.delete(ack.changeId);
            entry.resolve(ack);
            this.room.shift()?.();
          }
          // We never end the call ourselves: the host went away gracefully, a failure like any other.
          throw new StreampathError(Code.Unavailable, "the board host ended the edit call");
        } catch (caught) {
          if (this.stop.signal.aborted) return;
          const error = StreampathError.from(caught);
          this.up = undefined;
          up.close();
          if (this.pending.size === 0) continue; // nothing waits: the next submit opens a call
          // Every error is worth another call: even NotFound, which is what resuming a pair on a
          // restarted host gets (docs/protocol.md), and resending is harmless.
          if (++failures >= (this.options.attempts ?? 10)) {
            this.failAll(error);
            failures = 0;
            continue;
          }
          await sleep(Math.min(this.options.maxBackoffMs ?? 5000, 100 * 2 ** failures), this.stop.signal);
          await this.options.connection?.whenLive(this.stop.signal).catch(() => undefined);
        } finally {
          if (this.up === up) this.up = undefined;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private failAll(error: StreampathError): void {
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
    for (const wake of this.room.splice(0)) wake();
  }
}
