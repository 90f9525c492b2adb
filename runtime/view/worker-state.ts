/**
 * A WorkerConnection's state (docs/connection-state.md): the window's own
 * view of its worker combined with the host connection's state the worker
 * relays. In order: closed (or the worker failed before it served) →
 * offline with why; the window's network offline → offline; the worker not
 * serving yet → connecting; then the relayed state, or live if the worker
 * relays none.
 */
import {
  CONNECTING, ConnectionCell, type ConnectionState, LIVE, networkOffline, offlineError, watchNetwork,
} from "../core/connection-state.js";
import type { StreampathError } from "../core/error.js";

export class WorkerState {
  readonly cell = new ConnectionCell();
  private serving = false;
  /** The worker's connection to its host as the worker relays it; undefined: it relays none. */
  private host: ConnectionState | undefined;
  /** When the window's network went (Date.now()), while it is gone. */
  private networkLost: number | undefined;
  // The window hears `offline` where its worker may not (Chromium tells workers only through onLine).
  private readonly unwatch = watchNetwork((online) => {
    this.networkLost = online ? undefined : Date.now();
    this.update();
  });

  constructor() {
    if (networkOffline()) this.networkLost = Date.now();
    this.update();
  }

  /** The worker serves; `host`: the state it relays, if any. */
  served(host: ConnectionState | undefined): void {
    this.serving = true;
    this.host = host ?? this.host;
    this.update();
  }

  relayed(host: ConnectionState | undefined): void {
    this.host = host ?? this.host; // a malformed state changes nothing
    this.update();
  }

  close(error: StreampathError): void {
    this.unwatch();
    this.cell.close(error);
  }

  private update(): void {
    if (this.networkLost !== undefined) this.cell.set({ kind: "offline", error: offlineError(), since: this.networkLost });
    else this.cell.set(this.serving ? (this.host ?? LIVE) : CONNECTING);
  }
}
