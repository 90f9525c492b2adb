/**
 * One HTTP/2 session to a peer host, shared by every request to it (host
 * links, forwarded pair halves): opened on first use, replaced after GOAWAY
 * or a broken connection, pinged while it lives, and given up on if the peer
 * never completes the handshake. A session with no request in flight does
 * not keep the process alive.
 */
import http2 from "node:http2";
import { keepalive } from "./keepalive.js";
import { CONNECTION_WINDOW, STREAM_WINDOW } from "./server.js";

export interface PeerSessionOptions {
  /** CA certificate(s) to trust for https:// peers (PEM). */
  ca?: string | Buffer;
  /** Interval of keepalive pings; a ping unanswered within it closes the session. Default 30 s. */
  keepaliveMs?: number;
  /** A peer that has not completed the HTTP/2 handshake by then is given up on. Default 10 s. */
  connectTimeoutMs?: number;
}

export class PeerSession {
  private current: http2.ClientHttp2Session | undefined;
  private readonly all = new Set<http2.ClientHttp2Session>();
  /** Requests in flight per session: one with none is unref'd. */
  private readonly active = new Map<http2.ClientHttp2Session, number>();
  /** What broke each session, if something did: why requests on it failed. */
  private readonly failures = new WeakMap<http2.ClientHttp2Session, Error>();

  constructor(
    /** `scheme://host:port` of the peer. */
    readonly authority: string,
    private readonly options: PeerSessionOptions = {},
  ) {}

  /** The session new requests go on. */
  get(): http2.ClientHttp2Session {
    const current = this.current;
    if (current && !current.closed && !current.destroyed) return current;
    return this.open();
  }

  /** Counts a request in (+1) or out (-1) of `session`. */
  track(session: http2.ClientHttp2Session, delta: number): void {
    const n = (this.active.get(session) ?? 0) + delta;
    this.active.set(session, n);
    if (n > 0) session.ref();
    else session.unref();
  }

  /** The error that broke `session`, if any. */
  errorOf(session: http2.ClientHttp2Session): Error | undefined {
    return this.failures.get(session);
  }

  /** Closes every session, letting requests in flight finish. */
  async close(): Promise<void> {
    await Promise.all(
      // close() on a destroyed session never calls back. ref(): an idle session is unref'd,
      // and a close nobody waits on would let the process exit mid-await.
      [...this.all].map((s) => new Promise<void>((resolve) => (s.closed || s.destroyed ? resolve() : (s.ref(), s.close(() => resolve()))))),
    );
  }

  /** Destroys every session at once: requests on them fail. */
  destroy(): void {
    for (const s of this.all) s.destroy();
  }

  private open(): http2.ClientHttp2Session {
    const { authority, options } = this;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    const s = http2.connect(authority, { ca: options.ca, settings: { initialWindowSize: STREAM_WINDOW } });
    this.current = s;
    this.all.add(s);
    s.on("error", (error) => this.failures.has(s) || this.failures.set(s, error)); // requests on it fail too
    // A peer that accepts TCP but never speaks HTTP/2 would hold requests forever; pings need a connection.
    const handshake = setTimeout(
      () => s.destroy(new Error(`no HTTP/2 handshake from ${authority} within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    // "connect" is only the socket; the peer's SETTINGS frame is its half of the handshake.
    s.once("remoteSettings", () => clearTimeout(handshake));
    s.once("connect", () => s.setLocalWindowSize(CONNECTION_WINDOW));
    s.once("close", () => clearTimeout(handshake));
    const forget = () => {
      if (this.current === s) this.current = undefined;
    };
    s.once("goaway", forget); // finish what runs on it, open new requests elsewhere
    s.once("close", () => {
      forget();
      this.all.delete(s);
      this.active.delete(s);
    });
    keepalive(s, options.keepaliveMs ?? 30_000);
    s.unref();
    return s;
  }
}
