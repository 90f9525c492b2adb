/**
 * One streaming call from a guest over the pair (docs/protocol.md, "The
 * pair"): a down request whose response carries the host's envelopes, and
 * an up request (or fallback batches) carrying ours. The down stream is read
 * continuously (pair-down.ts) into a buffer the credit we grant bounds; the
 * up (pair-up.ts) sends what the Outbox numbers within the host's credit. A
 * half that breaks makes both reopen with the counts each side has, so
 * nothing is lost or delivered twice: that, the attempts and how the call
 * ends are this file's.
 */
import { FLUSH_BYTES, Flusher, nextTask } from "../core/batch.js";
import { Channel } from "../core/channel.js";
import type { CallOptions } from "../core/client.js";
import { encodeEnvelope } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { flatten } from "../core/flatten.js";
import type { MethodDescriptor } from "../core/service.js";
import {
  type Control, PAIR_CONTENT_TYPE, PairFlag, PairHeader, encodeControl, endPayload, windowHeaders, windowOf,
} from "../core/pair.js";
import { Inbox, Outbox, type Sealed } from "../core/pair-window.js";
import { headerRecord, responseError, within } from "./http.js";
import { postBatch } from "./pair-batch.js";
import { type DownPair, readDown } from "./pair-down.js";
import type { PairEnvironment } from "./pair-environment.js";
import { GuestUp, type UpPair } from "./pair-up.js";

// What UpPair and DownPair name is public: the halves (pair-up.ts, pair-down.ts) read and call it.
export class GuestPair<I, O> implements UpPair, DownPair<O> {
  private id: string | undefined;
  private readonly inbox: Inbox;
  private outbox: Outbox | undefined;
  private readonly responses: Channel<O[]>;
  private readonly up: GuestUp;
  attempt = new AbortController();
  private failures = 0;
  resuming = false;
  ended = false;
  /** We told the host how the call ended (an end envelope with an error): let the up body deliver it. */
  private endSent = false;
  /** The host told us how the call ended (its end envelope): nothing is left to cut short. */
  private endReceived = false;
  private failure: StreampathError | undefined;
  private readonly ready: Promise<void>;
  private resolveReady!: () => void;
  /** Gives back this attempt's joining slot: once the host confirms the up, or the attempt is over. */
  releaseJoining: () => void = () => undefined;
  /** The host confirmed this attempt's up (a control with `joined`). */
  joined = false;
  /** The first down is on its way and its headers, which name the pair, have not come. */
  private downPending = false;
  /** The call ended meanwhile: the host is told when they come (`tellEnded`), else its handler runs on for nothing. */
  private endedBeforeHeaders: StreampathError | undefined;
  /** A control is due with the next flush (forced: even if the grant did not move). */
  private controlWanted = false;
  private controlForced = false;
  // Envelopes added in one turn go out as one chunk (a macrotask, so awaiting producers fill it too).
  private readonly flusher = new Flusher(() => this.flush(), {
    maxBytes: FLUSH_BYTES,
    pending: () => this.outbox?.pendingBytes ?? 0,
    schedule: nextTask,
  });

  constructor(
    private readonly env: PairEnvironment,
    private readonly method: MethodDescriptor<I, O>,
    private readonly options: CallOptions,
  ) {
    this.inbox = new Inbox(env.window);
    this.responses = new Channel<O[]>(env.window.messages);
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.up = new GuestUp(env, this.url(), options.headers, this);
  }

  start(requests: AsyncIterable<I>): AsyncIterable<O> {
    const { signal, timeoutMs } = this.options;
    if (signal?.aborted) throw StreampathError.from(signal.reason, Code.Canceled);
    this.release = this.env.connection.hold((reason) => this.cancel(reason));
    signal?.addEventListener("abort", () => this.cancel(StreampathError.from(signal.reason, Code.Canceled)), { once: true });
    if (timeoutMs !== undefined) {
      const timer = setTimeout(() => this.cancel(new StreampathError(Code.DeadlineExceeded, `deadline of ${timeoutMs}ms exceeded`)), timeoutMs);
      this.onEnd = () => clearTimeout(timer);
    }
    void this.connect();
    void this.send(requests);
    // Each message the caller takes frees credit for one more.
    const items = flatten(this.responses[Symbol.asyncIterator](), () => this.failure, () => {
      this.inbox.consume();
      this.control(false);
    });
    const stop = items.return!.bind(items);
    items.return = () => {
      if (!this.ended) this.cancel(new StreampathError(Code.Canceled, "the caller stopped reading"));
      return stop();
    };
    return items;
  }

  private onEnd: () => void = () => undefined;
  /** Tells the gateway's connection state the call is over (and how). */
  private release: (error?: StreampathError) => void = () => undefined;

  private url(): string {
    return this.env.baseUrl + this.method.path;
  }

  /** Opens (or reopens, presenting what we received) the down half, then the up half. */
  private async connect(): Promise<void> {
    const attempt = (this.attempt = new AbortController());
    this.joined = false;
    try {
      const release = await this.env.joining.acquire(attempt.signal);
      this.releaseJoining = release;
      attempt.signal.addEventListener("abort", release, { once: true });
    } catch {
      return; // the attempt ended while it waited for a slot
    }
    const headers: Record<string, string> = {
      "content-type": PAIR_CONTENT_TYPE,
      [PairHeader.half]: "down",
      ...windowHeaders(this.env.window),
      ...this.options.headers,
    };
    if (this.id) {
      headers[PairHeader.id] = this.id;
      headers[PairHeader.received] = String(this.inbox.received);
    } else if (this.options.timeoutMs !== undefined) headers["connect-timeout-ms"] = String(this.options.timeoutMs);
    let response: Response;
    this.downPending = this.id === undefined;
    try {
      const down = this.env.fetch(this.url(), { method: "POST", headers, signal: attempt.signal });
      response = await within(down, this.env.responseTimeoutMs, `${this.url()}: the down request`);
    } catch (error) {
      this.downPending = false;
      if (this.ended) attempt.abort();
      else if (attempt === this.attempt) this.broken(error);
      return;
    }
    this.downPending = false;
    if (this.ended) return this.tellEnded(response, attempt);
    if (response.status !== 200) {
      const error = await responseError(response, this.url());
      if (error.code === Code.Unavailable) return this.broken(error);
      // A resume the host does not know (it restarted) or has ended (it waited in vain): the call is lost, which
      // the caller must be able to tell from a handler's not_found; aborted, as gRPC has it, says "start it again".
      if (this.id && (error.code === Code.NotFound || error.code === Code.FailedPrecondition)) {
        return this.finish(new StreampathError(Code.Aborted, `${this.url()}: the host no longer has this call, so it cannot resume: ${error.message}`, { cause: error }));
      }
      return this.finish(error);
    }
    this.id = response.headers.get(PairHeader.id) ?? undefined;
    const hostWindow = windowOf((name) => response.headers.get(name) ?? undefined);
    const hostReceived = Number(response.headers.get(PairHeader.received));
    if (!this.id || !hostWindow || !Number.isSafeInteger(hostReceived)) {
      return this.finish(new StreampathError(Code.Internal, `${this.url()}: the pair response lacks its headers`));
    }
    this.options.onHeaders?.(headerRecord(response.headers));
    this.outbox ??= new Outbox(hostWindow, this.env.keep);
    let replay: Sealed[];
    try {
      replay = this.outbox.replayFrom(hostReceived);
    } catch (error) {
      return this.finish(StreampathError.from(error));
    }
    this.up.open(this.id, replay, attempt, hostReceived + 1);
    // A host that never says `joined` (it predates it) must not hold the slot for good.
    const unjoined = setTimeout(this.releaseJoining, this.env.responseTimeoutMs);
    (unjoined as { unref?: () => void }).unref?.();
    attempt.signal.addEventListener("abort", () => clearTimeout(unjoined), { once: true });
    this.resolveReady();
    this.control(true, true);
    const heartbeatMs = Number(response.headers.get(PairHeader.heartbeat));
    if (heartbeatMs > 0 && this.env.upload === "stream") this.up.heartbeat(heartbeatMs, attempt);
    await readDown(this, this.method.output, this.env, response.body!, attempt, heartbeatMs > 0 ? heartbeatMs : undefined);
  }

  hostControl(control: Control): void {
    if (control.joined && !this.joined) {
      this.joined = true;
      this.releaseJoining();
      if (this.env.upload === "stream") {
        this.env.streamingConfirmed = true;
        this.env.unconfirmedUpFailures = 0;
      }
    }
    if ((control.ack ?? 0) > this.outbox!.acked) this.failures = 0; // progress up
    this.outbox!.control(control);
  }

  received(size: number, end: boolean): void {
    this.inbox.receive(size, end);
    this.failures = 0; // progress down: the retry budget starts over
  }

  hostEnded(metadata: Record<string, string[]>, size: number): void {
    this.options.onTrailers?.(metadata);
    this.inbox.arrived(0, size);
    this.endReceived = true;
  }

  /** Our requests, numbered into the Outbox within the host's credit, then the end. */
  private async send(requests: AsyncIterable<I>): Promise<void> {
    try {
      await this.ready;
      for await (const request of requests) {
        if (this.ended) return;
        const outbox = this.outbox!;
        if (!outbox.hasCredit) await outbox.credit();
        outbox.add(this.method.input, request);
        this.flusher.notify();
      }
      if (this.ended) return;
      this.outbox!.addEnd(endPayload());
      this.flusher.flushNow();
    } catch (error) {
      if (!this.ended) this.cancel(StreampathError.from(error, Code.Canceled));
    }
  }

  push(batch: O[], bytes: number): void {
    this.inbox.arrived(batch.length, bytes);
    if (!this.responses.offer(batch)) throw new StreampathError(Code.ResourceExhausted, "pair: the host sent beyond its credit");
  }

  private flush(): void {
    // Asked now rather than when wanted: the grant counts everything consumed meanwhile.
    const due = this.controlWanted && this.outbox ? this.inbox.control(this.controlForced) : undefined;
    this.controlWanted = this.controlForced = false;
    // Pending envelopes go first, the control after them in their chunk: a batch is numbered from
    // its first chunk, so a control ahead of them would claim their sequence number for what follows it.
    const sealed = this.outbox?.take(due && encodeControl(due));
    if (sealed) this.transmit(sealed);
  }

  private transmit(sealed: Sealed): void {
    if (this.resuming) return; // kept in the Outbox; the resumed stream replays it
    this.up.send(sealed);
  }

  /** Acks and grants down credit with the next flush (`now`: at once), in the chunk of what is pending, not one of its own. */
  control(force: boolean, now = false): void {
    if (!this.outbox) return;
    this.controlForced ||= force;
    this.controlWanted = true;
    if (now) this.flusher.flushNow();
    else this.flusher.notify();
  }

  acknowledged(received: number): void {
    const outbox = this.outbox!;
    if (!Number.isSafeInteger(received) || received <= outbox.acked || received > outbox.sent) return;
    this.failures = 0; // progress up
    outbox.control({ ack: received });
  }

  replayFrom(received: number): Sealed[] {
    return this.outbox!.replayFrom(received);
  }

  /** A half broke: reopen both, at once the first time, then with backoff and jitter. */
  broken(cause: unknown, unreachable = true): void {
    if (this.ended || this.resuming) return;
    if (unreachable) this.env.connection.failed(cause);
    this.resuming = true;
    this.attempt.abort();
    this.up.drop();
    const n = ++this.failures;
    if (n > this.env.retry.attempts) {
      const reason = (cause as Error)?.message ?? String(cause);
      return this.finish(new StreampathError(Code.Unavailable, `${this.url()}: lost the pair after ${n - 1} attempts to resume: ${reason}`, { cause }));
    }
    const { baseMs, capMs } = this.env.retry;
    const delay = n === 1 ? 0 : Math.min(capMs, baseMs * 2 ** (n - 2)) * (0.5 + Math.random() / 2);
    // The gateway's probe may find the host back before the backoff ends: resume then.
    const resume = () => {
      clearTimeout(timer);
      stopWaiting();
      this.resuming = false;
      if (!this.ended) void this.connect();
    };
    const timer = setTimeout(resume, delay);
    const stopWaiting = delay > 0 ? this.env.connection.onLive(resume) : () => undefined;
  }

  /** The caller gives up: the host is told with an end envelope carrying the error, then both halves go. */
  private cancel(reason: StreampathError): void {
    if (this.ended) return;
    if (this.outbox && this.id && !this.resuming) {
      this.outbox.addEnd(endPayload(reason));
      this.flusher.flushNow();
      this.endSent = true;
    } else if (this.downPending) this.endedBeforeHeaders = reason;
    this.finish(reason);
  }

  /**
   * The call ended while its first down was on its way. Reset now, the host
   * could not tell it from a break the guest will resume, and would keep the
   * pair and run its handler until the up timeout; so the end goes to the
   * pair its headers name, as a batch, and then the down is let go.
   */
  private tellEnded(response: Response, attempt: AbortController): void {
    const id = response.headers.get(PairHeader.id);
    const reason = this.endedBeforeHeaders;
    if (response.status !== 200 || !id || !reason) return attempt.abort();
    const request = { fetch: this.env.fetch, url: this.url(), id, headers: this.options.headers, timeoutMs: this.env.responseTimeoutMs, signal: attempt.signal };
    postBatch(request, [{ first: 1, chunk: encodeEnvelope(PairFlag.End, endPayload(reason)) }]).finally(() => attempt.abort());
  }

  finish(error?: StreampathError): void {
    if (this.ended) return;
    this.ended = true;
    this.releaseJoining();
    this.onEnd();
    this.release(error);
    this.outbox?.fail(error ?? new StreampathError(Code.Canceled, "the call ended"));
    if (error) {
      this.failure = error;
      this.responses.fail(error);
    } else {
      this.control(true, true); // the host keeps the call until it hears we have everything
      this.responses.close();
    }
    this.up.close();
    // Requests still open are aborted; those carrying our last words (or the ack of the host's) get a
    // moment to deliver them. Every abort is a stream reset, and Node's guard against rapid resets
    // closes a connection that sends too many (a browser tab's connection carries all its calls).
    const attempt = this.attempt;
    if (this.endedBeforeHeaders) return; // the down's headers are awaited to tell the host (tellEnded)
    if (error && !this.endSent && !this.endReceived) attempt.abort();
    else {
      const timer = setTimeout(() => attempt.abort(), 1000);
      (timer as { unref?: () => void }).unref?.();
    }
  }
}
