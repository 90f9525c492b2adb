/**
 * The up half of a guest's pair (docs/protocol.md, "The pair"): our sealed
 * chunks to the host, as one streaming request body per attempt or, where
 * request streaming never reaches the host, as batch POSTs one at a time.
 * Each attempt opens it anew with what the host still lacks; the pair owns
 * the numbering (its Outbox) and decides when a failure is a break.
 */
import { Code, type StreampathError } from "../core/error.js";
import { PAIR_CONTENT_TYPE, PairHeader } from "../core/pair.js";
import type { Sealed } from "../core/pair-window.js";
import { responseError } from "./http.js";
import { postBatch } from "./pair-batch.js";
import { type PairEnvironment, UNCONFIRMED_UPS_BEFORE_BATCH } from "./pair-environment.js";

/** What the up half reads and asks of its pair. */
export interface UpPair {
  /** The pair's current attempt: what an older one's request says no longer counts. */
  readonly attempt: AbortController;
  readonly ended: boolean;
  readonly resuming: boolean;
  /** The host confirmed this attempt's up. */
  readonly joined: boolean;
  /** Gives back this attempt's joining slot. */
  releaseJoining(): void;
  /** A half broke: resume (`unreachable`: the connection itself is in doubt). */
  broken(cause: unknown, unreachable: boolean): void;
  finish(error: StreampathError): void;
  /** A batch's answer: the host has every envelope up to `received`. */
  acknowledged(received: number): void;
  /** The sealed chunks from the one after `received` on, to send again. */
  replayFrom(received: number): Sealed[];
  /** Acks and grants with the next flush (`force`: even if unchanged; `now`: at once). */
  control(force: boolean, now?: boolean): void;
}

export class GuestUp {
  /** The streaming body of this attempt's up request. */
  private body: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Batch fallback: chunks waiting for the POST in flight to end. */
  private batches: Sealed[] = [];
  private posting = false;
  private id = "";
  /** When something last went up (performance.now()). */
  private sentAt = 0;

  constructor(
    private readonly env: PairEnvironment,
    private readonly url: string,
    private readonly headers: Record<string, string> | undefined,
    private readonly pair: UpPair,
  ) {}

  /** Opens the up of `attempt` with the chunks to send again; `first` numbers the first envelope it carries. */
  open(id: string, replay: Sealed[], attempt: AbortController, first: number): void {
    this.id = id;
    if (this.env.upload === "batch") {
      this.pair.releaseJoining(); // batches are short requests: they never wait behind a down for a stream
      this.batches = replay;
      return void this.postBatches();
    }
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (this.body = c) });
    for (const { chunk } of replay) this.body!.enqueue(chunk);
    const headers = {
      "content-type": PAIR_CONTENT_TYPE,
      [PairHeader.half]: "up",
      [PairHeader.id]: id,
      [PairHeader.firstSeq]: String(first),
      ...this.headers,
    };
    this.env.fetch(this.url, { method: "POST", headers, body, duplex: "half", signal: attempt.signal }).then(
      async (response) => {
        if (response.status === 200) return void (this.env.streamingConfirmed = true);
        if (attempt !== this.pair.attempt) return;
        // A proxy's 503/504 (haproxy answers 504 for an up whose host said nothing for `timeout server`) is a break.
        const error = await responseError(response, this.url);
        if (error.code === Code.Unavailable) this.pair.broken(error, false);
        else this.pair.finish(error);
      },
      (error) => {
        if (attempt !== this.pair.attempt || this.pair.ended) return;
        // Request streaming that never reaches the host (HTTP/1.1, an old browser) fails every time: after
        // a few such failures in a row, batches from now on. One reset of an up the host had is no sign.
        if (!this.env.streamingConfirmed && !this.pair.joined && ++this.env.unconfirmedUpFailures >= UNCONFIRMED_UPS_BEFORE_BATCH) {
          this.env.upload = "batch";
        }
        this.pair.broken(error, false); // an up alone says nothing of the connection: its down does
      },
    );
  }

  send(sealed: Sealed): void {
    this.sentAt = performance.now();
    if (this.env.upload === "batch") {
      this.batches.push(sealed);
      void this.postBatches();
    } else {
      try {
        this.body?.enqueue(sealed.chunk);
      } catch {
        // the up body is closed (call over): nothing more to send
      }
    }
  }

  /**
   * The up says something at least as often as the host's down: a proxy cuts a request whose host
   * answered nothing for its server timeout (haproxy: 504), and a request body counts as activity.
   */
  heartbeat(ms: number, attempt: AbortController): void {
    const timer = setInterval(() => {
      if (performance.now() - this.sentAt >= ms / 2) this.pair.control(true);
    }, ms / 2);
    (timer as { unref?: () => void }).unref?.();
    attempt.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /** The attempt broke: what it was sending is dropped (the pair's Outbox keeps it for the next). */
  drop(): void {
    this.body = undefined;
    this.batches = [];
  }

  /** The call is over: the streaming body ends. */
  close(): void {
    try {
      this.body?.close();
    } catch {
      // already closed
    }
  }

  /** Fallback: one POST at a time carrying everything queued, retried as it was if it fails. */
  private async postBatches(): Promise<void> {
    if (this.posting || this.batches.length === 0) return;
    this.posting = true;
    const pair = this.pair;
    const attempt = pair.attempt;
    const request = {
      fetch: this.env.fetch, url: this.url, id: this.id, headers: this.headers,
      timeoutMs: this.env.responseTimeoutMs, signal: attempt.signal,
    };
    try {
      while (this.batches.length > 0 && attempt === pair.attempt) {
        const outcome = await postBatch(request, this.batches.splice(0));
        if (outcome.kind === "broken") {
          if (attempt === pair.attempt && !pair.ended) pair.broken(outcome.error, true);
          return;
        }
        if (outcome.kind === "refused") return pair.finish(outcome.error);
        if (outcome.kind === "gap") {
          if (pair.ended) return;
          // Send again from there, and our credit anew (a control queued behind the gap was dropped with it).
          this.batches = pair.replayFrom(outcome.received);
          pair.control(true, true);
        } else pair.acknowledged(outcome.received);
      }
    } finally {
      this.posting = false;
      // A resumed attempt may have queued its replay while this older loop was winding down.
      if (this.batches.length > 0 && !pair.resuming && !pair.ended) void this.postBatches();
    }
  }
}
