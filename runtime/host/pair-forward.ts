/**
 * Forwarding a pair half to the instance that holds its call. A balancer
 * that spreads requests over instances splits most pairs: the down opens the
 * call on one instance, and its up, fallback batches and resumed downs may
 * reach any other. The instance that receives one passes it on, unchanged,
 * over one pooled HTTP/2 session per peer, and passes the answer back, with
 * back-pressure both ways (stream.pipe). A half is forwarded at most once:
 * the owner serves it or says why not.
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { Code, StreampathError } from "../core/error.js";
import { PairHeader } from "../core/pair.js";
import { type ClusterOptions, PAIR_ID } from "./cluster.js";
import { respondConnectError } from "./connect.js";
import { PeerSession } from "./peer-session.js";

/** Set on a forwarded half (to the forwarding instance's name): such a half is never forwarded again. */
export const FORWARDED_BY = "streampath-forwarded-by";

/** Errors that mean nothing listens where the owner was: its process is gone, and its calls with it. */
const GONE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

export type ForwardCounts = Record<"down" | "up" | "batch", number>;

export class PairForwarder {
  /** Halves forwarded so far, by kind: an up or batch forwarded is a pair whose halves met different instances. */
  readonly forwarded: ForwardCounts = { down: 0, up: 0, batch: 0 };
  private readonly peers = new Map<string, PeerSession>();
  /** The owners' ends of the halves being forwarded: reset when the host shuts down. */
  private readonly open = new Set<http2.ClientHttp2Stream>();

  constructor(
    private readonly cluster: ClusterOptions,
    hostSignal: AbortSignal,
  ) {
    // The guests resume through the balancer, on instances that are not going away.
    hostSignal.addEventListener("abort", () => {
      for (const out of this.open) resetLater(out, http2.constants.NGHTTP2_CANCEL);
    }, { once: true });
  }

  /** The instance that holds the pair this half belongs to, if it is another one and the half may go there. */
  ownerOf(headers: IncomingHttpHeaders): string | undefined {
    if (headers[FORWARDED_BY] !== undefined) return undefined;
    const id = headers[PairHeader.id];
    const owner = typeof id === "string" ? PAIR_ID.exec(id)?.[1] : undefined;
    return owner === this.cluster.instanceId ? undefined : owner;
  }

  /** Passes `stream` on to `owner` and its answer back; resolves when both are over. */
  async forward(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, owner: string): Promise<void> {
    const id = String(headers[PairHeader.id]);
    const refuse = (error: StreampathError) => {
      respondConnectError(stream, error);
      stream.resume(); // nobody reads the body
    };
    let url: string | undefined;
    try {
      url = await this.cluster.membership.resolve(owner);
    } catch (caught) {
      return refuse(new StreampathError(Code.Unavailable, `cannot tell where instance ${owner} is: ${(caught as Error)?.message}`));
    }
    // Pairs live in their instance's memory: when it is gone, so is the call, and resuming is pointless.
    if (!url) return refuse(new StreampathError(Code.Aborted, `pair ${id}: its host instance ${owner} is gone, and the call with it`));
    if (stream.destroyed || stream.closed) return;
    const half = String(headers[PairHeader.half]);
    if (half === "down" || half === "up" || half === "batch") this.forwarded[half]++;
    const peer = this.peer(url);
    const session = peer.get();
    peer.track(session, +1);
    const request: http2.OutgoingHttpHeaders = { [FORWARDED_BY]: this.cluster.instanceId };
    for (const [name, value] of Object.entries(headers)) {
      // Node sets :authority and :scheme for the peer's session.
      if (name !== ":authority" && name !== ":scheme" && value !== undefined) request[name] = value;
    }
    const out = session.request(request);
    let failure: Error | undefined;
    out.on("error", (error) => (failure ??= error)); // its close says what happened
    stream.pipe(out);
    let answered = false;
    out.once("response", (response) => {
      answered = true;
      if (stream.destroyed || stream.closed) return;
      const copied: http2.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(response)) {
        if ((!name.startsWith(":") || name === ":status") && value !== undefined) copied[name] = value;
      }
      try {
        stream.respond(copied);
      } catch {
        return; // reset meanwhile: its close resets `out`
      }
      out.pipe(stream);
    });
    this.open.add(out);
    await new Promise<void>((resolve) => {
      let open = 2;
      const closed = () => --open === 0 && resolve();
      stream.once("close", () => {
        // The guest went away (or the answer is done): the owner's stream goes too.
        if (!out.closed) resetLater(out, http2.constants.NGHTTP2_CANCEL);
        closed();
      });
      out.once("close", () => {
        this.open.delete(out);
        peer.track(session, -1);
        if (!answered) {
          const chain = causes(failure ?? peer.errorOf(session));
          const why = (chain.at(-1) as Error | undefined)?.message ?? `stream reset, code ${out.rstCode}`;
          refuse(chain.some((e) => GONE.has((e as NodeJS.ErrnoException).code ?? ""))
            ? new StreampathError(Code.Aborted, `pair ${id}: its host instance ${owner} is gone (${why}), and the call with it`)
            : new StreampathError(Code.Unavailable, `pair ${id}: instance ${owner} did not answer (${why})`));
        } else if (!out.readableEnded || out.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
          // The owner's answer broke off: so does ours, and the guest resumes as after any break.
          resetLater(stream, http2.constants.NGHTTP2_INTERNAL_ERROR);
        }
        closed();
      });
    });
  }

  /** Closes the sessions to peers (host shutdown): forwarded halves still open are reset by then. */
  close(): void {
    for (const peer of this.peers.values()) peer.destroy();
    this.peers.clear();
  }

  private peer(url: string): PeerSession {
    let peer = this.peers.get(url);
    if (!peer) {
      const { ca, keepaliveMs, connectTimeoutMs } = this.cluster;
      this.peers.set(url, (peer = new PeerSession(url, { ca, keepaliveMs, connectTimeoutMs: connectTimeoutMs ?? 3000 })));
    }
    return peer;
  }
}

/** `error` and its causes, for the system error under Node's "pending stream canceled". */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}

/** Not in this tick: we may be inside the session's receive callbacks (nodejs/node#64113). */
function resetLater(stream: http2.Http2Stream, code: number): void {
  setImmediate(() => {
    if (!stream.closed && !stream.destroyed) stream.close(code);
  });
}
