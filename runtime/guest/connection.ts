/**
 * The gateway's connection state (docs/connection-state.md): what every
 * request's outcome says about reaching the host, and probes of its own
 * while the host cannot be reached, so the state is honest within about a
 * second, both ways, whether or not calls run.
 */
import { CONNECTING, ConnectionCell, LIVE, PROBE_PATH, networkOffline, offlineError, watchNetwork } from "../core/connection-state.js";
import { Code, StreampathError, codeFromName } from "../core/error.js";
import { type Fetch, within } from "./http.js";

export interface ProbePolicy {
  /** The first probe after a failure comes after this (with jitter: half of it to all), doubling up to capMs. Default 250 ms. */
  baseMs: number;
  /** The longest wait between probes, and the pace when offline: how soon the state is live again once the host is back. Default 1 s. */
  capMs: number;
  /** Live and watched with no call running: a probe after this long without an answer from the host, so a host gone while idle is noticed. 0: never. Default 15 s. */
  idleMs: number;
}

export const DEFAULT_PROBE: ProbePolicy = { baseMs: 250, capMs: 1000, idleMs: 15_000 };


/** What a pair reports (PairEnvironment.connection). */
export interface ConnectionReports {
  /** A request broke in a way that says the host could not be reached (a reset, a timeout, a silent down). */
  failed(cause: unknown): void;
  /** A call runs until the returned function is called, with its error if it failed; `cancel` ends it if the gateway closes. */
  hold(cancel: (reason: StreampathError) => void): (error?: StreampathError) => void;
  /** Calls `callback` once, when the state next becomes live; returns a function that cancels it. */
  onLive(callback: () => void): () => void;
}

export interface HostConnectionOptions {
  /** The gateway's own fetch (probes are not observed as calls are). */
  fetch: Fetch;
  origin: string;
  headers: Record<string, string> | undefined;
  /** Failures in a row past which the state is offline (the gateway's retry.attempts). */
  attempts: number;
  probe: ProbePolicy;
  /** A probe without response headers this long has failed. */
  timeoutMs: number;
}

export class HostConnection implements ConnectionReports {
  readonly cell = new ConnectionCell(CONNECTING, () => this.schedule());
  /** Failures in a row: the one that lost the host, then each failed probe. */
  private failures = 0;
  private since = 0;
  /** When the host last answered (Date.now()). */
  private heard = 0;
  /** Counts the times the state became live: a probe that started before the last one has nothing to say. */
  private epoch = 0;
  private readonly calls = new Set<(reason: StreampathError) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private probing: AbortController | undefined;
  /** A call failed `unavailable` while live: perhaps the host is going away; a probe tells. */
  private suspected = false;
  private closedWith: StreampathError | undefined;
  private readonly unwatchNetwork: () => void;

  constructor(private readonly options: HostConnectionOptions) {
    this.unwatchNetwork = watchNetwork((online) => (online ? this.cameOnline() : this.wentOffline()));
    if (networkOffline()) this.wentOffline();
  }

  get closed(): StreampathError | undefined {
    return this.closedWith;
  }

  /** `fetch`, reporting each outcome: a response is the host reached (unless a proxy answered for it), a rejection a failure. */
  observe(fetch: Fetch): Fetch {
    return async (input, init) => {
      let response: Response;
      try {
        response = await fetch(input, init);
      } catch (error) {
        // Our own abort says nothing; nor does an up's failure: its down tells, and request streaming
        // that fails alone (HTTP/1.1) is the pair's matter, not the connection's.
        if (!init.signal?.aborted && !(init.body instanceof ReadableStream)) this.failed(error);
        throw error;
      }
      if (!PROXY_STATUSES.has(response.status)) this.reached();
      else void response.clone().text().then((text) => proxyFailure(response.status, text), () => undefined)
        .then((failure) => (failure ? this.failed(failure) : this.reached()));
      return response;
    };
  }

  reached(): void {
    if (this.closedWith) return;
    this.failures = 0;
    this.heard = Date.now();
    if (this.cell.state.kind !== "live") this.epoch++;
    this.cell.set(LIVE);
    this.schedule();
  }

  /** Calls' failures start an outage; while it lasts only probes count, so many calls failing at once are one failure. */
  failed(cause: unknown, probe = false): void {
    if (this.closedWith) return;
    const error = asFailure(cause);
    const { kind } = this.cell.state;
    if (kind === "live" || kind === "connecting") {
      this.failures = 1;
      this.since = Date.now();
    } else if (probe) this.failures++;
    else return;
    const { attempts } = this.options;
    this.cell.set(this.failures > attempts ? { kind: "offline", error, since: this.since }
      : { kind: "reconnecting", attempt: this.failures, error, since: this.since });
    this.schedule();
  }

  hold(cancel: (reason: StreampathError) => void): (error?: StreampathError) => void {
    this.calls.add(cancel);
    if (this.calls.size === 1) this.schedule();
    return (error) => {
      if (!this.calls.delete(cancel)) return;
      if (error?.code === Code.Unavailable && this.cell.state.kind === "live") this.suspected = true;
      this.schedule();
    };
  }

  onLive(callback: () => void): () => void {
    const unsubscribe = this.cell.subscribe((state) => {
      if (state.kind !== "live") return;
      unsubscribe();
      callback();
    });
    return unsubscribe;
  }

  close(reason: StreampathError): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    clearTimeout(this.timer);
    this.probing?.abort(reason);
    this.unwatchNetwork();
    for (const cancel of [...this.calls]) cancel(reason);
    this.calls.clear();
    this.cell.close(reason);
  }

  private wentOffline(): void {
    if (this.closedWith) return;
    if (this.cell.state.kind === "live" || this.cell.state.kind === "connecting") this.since = Date.now();
    this.failures = this.options.attempts + 1;
    this.cell.set({ kind: "offline", error: offlineError(), since: this.since });
    this.schedule();
  }

  /** The network is back: count afresh and ask now. */
  private cameOnline(): void {
    if (this.closedWith || this.cell.state.kind === "live") return;
    this.failures = 0;
    this.suspected = true;
    this.schedule();
  }

  /** Arms the next probe, if one is due: only while someone watches or calls run, or a call raised a suspicion. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closedWith || this.probing) return; // a probe in flight schedules the next when it ends
    const delay = this.nextProbe();
    if (delay === undefined) return;
    this.timer = setTimeout(() => void this.probe(), delay);
    (this.timer as { unref?: () => void }).unref?.(); // a gateway never keeps a Node process alive
  }

  private nextProbe(): number | undefined {
    if (this.suspected) return 0;
    const calls = this.calls.size;
    if (!this.cell.watched && calls === 0) return undefined;
    const { kind } = this.cell.state;
    const { baseMs, capMs, idleMs } = this.options.probe;
    // Calls report for themselves (a pair's down has a heartbeat): while they run, a probe only if the first says nothing for long.
    if (kind === "connecting") return calls === 0 ? 0 : capMs;
    if (kind === "live") return calls === 0 && idleMs > 0 ? Math.max(0, this.heard + idleMs - Date.now()) : undefined;
    return Math.min(capMs, baseMs * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
  }

  private async probe(): Promise<void> {
    this.timer = undefined;
    if (this.closedWith || this.probing) return;
    this.suspected = false;
    // Not every browser fires `offline` in a worker (Chromium's emulation does not), but onLine is set.
    if (networkOffline()) return this.wentOffline();
    const controller = (this.probing = new AbortController());
    const epoch = this.epoch;
    const url = this.options.origin + PROBE_PATH;
    let failure: StreampathError | undefined;
    try {
      const request = this.options.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/proto", ...this.options.headers },
        signal: controller.signal,
      });
      const response = await within(request, this.options.timeoutMs, `${url}: the probe`);
      // Read to its end (a few bytes): a request left unread would be reset, and resets are counted against a connection.
      failure = proxyFailure(response.status, await response.text().catch(() => ""));
    } catch (error) {
      failure = asFailure(error);
      controller.abort();
    }
    this.probing = undefined;
    if (this.closedWith) return;
    if (!failure) this.reached();
    else if (epoch === this.epoch) this.failed(failure, true);
    else this.schedule();
  }
}

/** What a gateway answers through a proxy that could not reach a host. */
const PROXY_STATUSES = new Set([502, 503, 504]);

/** A 502/503/504 without a Connect error body: a proxy speaking, no host behind it. Anything else is a host's answer. */
function proxyFailure(status: number, text: string): StreampathError | undefined {
  if (!PROXY_STATUSES.has(status)) return undefined;
  try {
    const json = JSON.parse(text) as { code?: unknown };
    if (typeof json?.code === "string" && codeFromName(json.code) !== undefined) return undefined;
  } catch {
    // not JSON: not the host's
  }
  const body = text.replace(/\s+/g, " ").trim().slice(0, 120);
  return new StreampathError(Code.Unavailable, `HTTP ${status} from a proxy: the host could not be reached${body ? ` (${body})` : ""}`);
}

/** A failure as the state shows it: fetch's "fetch failed" says little without its causes. */
function asFailure(cause: unknown): StreampathError {
  if (cause instanceof StreampathError) return cause;
  const messages: string[] = [];
  for (let c = cause, i = 0; c !== undefined && c !== null && i < 4; c = (c as { cause?: unknown }).cause, i++) {
    const message = c instanceof Error ? c.message : String(c);
    if (message && !messages.includes(message)) messages.push(message);
  }
  return new StreampathError(Code.Unavailable, messages.join(": ") || "the host could not be reached", { cause });
}
