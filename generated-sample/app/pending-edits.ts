/**
 * Edits this tab made that the board has not answered yet, listed while
 * they wait (the host may be away: they go when it is back), then settled
 * with a message a person can act on: done, or why the board refused it.
 */
import type { ChangeAck } from "../gen/board/v1/board_pb.js";
import { StreampathError } from "streampath/runtime/core";
import { el } from "./dom.js";
import type { Say } from "./notice.js";

export interface Settled {
  /** What the person reads: "Added “x”", "Not applied: …". */
  text: string;
  kind: "info" | "error";
}

export class PendingEdits {
  private readonly items = new Set<HTMLElement>();

  constructor(
    private readonly list: HTMLElement,
    private readonly say: Say,
    private readonly onCount: (count: number) => void,
  ) {}

  /**
   * Shows `description` ("add “Buy milk”") until `answer` settles, then says what became of it:
   * `done(ack)` for an accepted change (its revision goes to the message's data-revision, not its
   * words), `refused(reason)` for a refused one.
   */
  async track(
    description: string,
    answer: Promise<ChangeAck>,
    done: (ack: ChangeAck) => string,
    refused: (reason: string) => string,
  ): Promise<ChangeAck | undefined> {
    const item = el("li", { className: "pending", title: "Sent when the board is reached" }, `Waiting: ${description}`);
    this.items.add(item);
    this.list.append(item);
    this.onCount(this.items.size);
    try {
      const ack = await answer;
      if (ack.rejectedReason) this.say(refused(ack.rejectedReason.value), "error");
      else this.say(done(ack), "info", { revision: String(ack.revision) });
      return ack;
    } catch (error) {
      this.say(`Could not ${description}: ${StreampathError.from(error).message}`, "error");
      return undefined;
    } finally {
      item.remove();
      this.items.delete(item);
      this.onCount(this.items.size);
    }
  }
}

/** Why a change was refused, for a person: the board's reasons name ids, not what the person saw. */
export function refusal(reason: string, title: string | undefined): string {
  if (/^no card /.test(reason)) return `Not applied: “${title ?? "that card"}” was removed before your change reached the board`;
  if (/already exists/.test(reason)) return `Not applied: “${title ?? "that card"}” is already on the board`;
  return `Not applied: ${reason}`;
}
