/**
 * The header's status: whether this tab reaches the board now — connecting,
 * live with the board's revision, reconnecting with the attempt and why,
 * offline — from the worker connection's state (the worker relays its
 * gateway's), and how many edits wait to be sent.
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
    const at = this.revision === undefined ? "" : ` · revision ${this.revision}`;
    let text: string;
    switch (state.kind) {
      case "connecting":
        text = "connecting…";
        break;
      case "live":
        // Live but the board not yet shown: still connecting, as far as the user can tell.
        text = this.revision === undefined ? "connecting…" : `live${at}`;
        break;
      case "reconnecting":
        text = `reconnecting… (attempt ${state.attempt}: ${state.error.message})${at}`;
        break;
      case "offline":
        text = `offline: ${state.error.message}${at}`;
        break;
    }
    if (this.waiting > 0) {
      const edits = this.waiting === 1 ? "1 edit" : `${this.waiting} edits`;
      text += state.kind === "live" ? ` · sending ${edits}` : ` · ${edits} waiting to be sent`;
    }
    this.element.textContent = text;
    this.element.dataset.state = state.kind === "live" && this.revision === undefined ? "connecting" : state.kind;
    this.element.dataset.waiting = String(this.waiting);
  }
}
