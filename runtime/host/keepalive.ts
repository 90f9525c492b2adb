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

/** How long a probing ping may go unanswered before the connection is taken for dead. */
export const PROBE_MS = 5000;
const probing = new WeakSet<http2.Http2Session>();

/**
 * Asks with one ping whether `session`'s connection still lives, and destroys the session if no
 * answer comes within PROBE_MS. For when a call on it broke: Node's http2 stops reading its socket
 * while a write is pending, so a connection reset then can go unnoticed until the next keepalive
 * (seen under the faults run's resets), holding its streams and their calls' memory meanwhile.
 */
export function probe(session: http2.Http2Session): void {
  if (probing.has(session) || session.destroyed || session.closed || session.connecting) return;
  probing.add(session);
  const timer = setTimeout(() => session.destroy(new Error(`no answer to a ping within ${PROBE_MS} ms`)), PROBE_MS);
  timer.unref();
  const sent = session.ping((err) => {
    clearTimeout(timer);
    probing.delete(session);
    if (err) setImmediate(() => session.destroy(err)); // inside the session's receive callbacks: a turn later
  });
  if (!sent) (clearTimeout(timer), probing.delete(session));
}