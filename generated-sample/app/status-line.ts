/**
 * The header's status, in a person's words: whether this tab reaches the
 * board now — "Connecting…", "Live", "Reconnecting (attempt 2): why",
 * "Offline — changes will be sent when back" — from the worker connection's
 * state (the worker relays its gateway's), and how many edits wait to be
 * sent. The board's revision is no news to a person: it is kept in
 * data-revision (and the tooltip) for tools and tests, with data-state and
 * data-waiting.
 */
import type { ConnectionState, ConnectionStateSource } from "streampath/runtime/core";

export class StatusLine {
  private state: ConnectionState;
  private revision: bigint | undefined;
  private waiting = 0;

  constructor(private readonly element: HTMLElement, connection: ConnectionStateSource) {
    this.state = connection.state;
    connection.subscribe((state) => {
      this.state = state;
      this.render();
    });
    this.render();
  }

  /** The revision the board on screen is at. */
  setRevision(revision: bigint): void {
    this.revision = revision;
    this.render();
  }

  /** Edits sent and not yet answered. */
  setWaiting(count: number): void {
    this.waiting = count;
    this.render();
  }

  private render(): void {
    const { state } = this;
    const edits = this.waiting === 1 ? "1 edit" : `${this.waiting} edits`;
    let text: string;
    let detail: string;
    switch (state.kind) {
      case "connecting":
        [text, detail] = ["Connecting…", "Reaching the board"];
        break;
      case "live":
        // Live but the board not yet shown: still connecting, as far as the user can tell.
        [text, detail] = this.revision === undefined ? ["Connecting…", "Loading the board"] : ["Live", "Changes from every tab show up here as they happen"];
        break;
      case "reconnecting":
        [text, detail] = [`Reconnecting (attempt ${state.attempt}): ${state.error.message}`, "Your changes wait and are sent when the board is back"];
        break;
      case "offline":
        text = this.waiting > 0 ? `Offline — ${edits} waiting to be sent when back` : "Offline — changes will be sent when back";
        detail = `Cannot reach the board: ${state.error.message}`;
        break;
    }
    if (this.waiting > 0 && state.kind !== "offline") text += state.kind === "live" ? ` · sending ${edits}` : ` · ${edits} waiting to be sent`;
    const element = this.element;
    element.textContent = text;
    element.title = this.revision === undefined ? `${text}\n${detail}` : `${text}\n${detail}\nBoard revision ${this.revision}`;
    element.dataset.state = state.kind === "live" && this.revision === undefined ? "connecting" : state.kind;
    element.dataset.waiting = String(this.waiting);
    if (this.revision === undefined) delete element.dataset.revision;
    else element.dataset.revision = String(this.revision);
  }
}
