/**
 * HTTP/2 keepalive for both ends of a connection: a peer that vanished
 * without closing (a dead NAT entry, a sleeping laptop) would otherwise
 * hold its session and every call on it until TCP gives up, many minutes on.
 */
import type http2 from "node:http2";

/** Pings `session` every `intervalMs` once its handshake is done; a ping unanswered within the interval destroys it. */
export function keepalive(session: http2.Http2Session, intervalMs: number): void {
  if (!(intervalMs > 0)) return;
  const pinger = setInterval(() => {
    if (session.destroyed || session.closed) return clearInterval(pinger);
    if (session.connecting || !session.remoteSettings) return; // a handshake timeout is the caller's
    const timer = setTimeout(() => session.destroy(new Error("keepalive ping timed out")), intervalMs);
    timer.unref();
    // The ping's callback runs inside the session's receive callbacks: destroy it a turn later (nodejs/node#64113).
    if (!session.ping((err) => (clearTimeout(timer), err && setImmediate(() => session.destroy(err))))) clearTimeout(timer);
  }, intervalMs);
  pinger.unref();
  session.once("close", () => clearInterval(pinger));
}
