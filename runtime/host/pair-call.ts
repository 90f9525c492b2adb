/**
 * One pair on the host: a call whose requests arrive on an up stream (or
 * fallback batches) and whose responses leave on a down stream, either of
 * which may break and be replaced (resume) while the handler runs on. The
 * Outbox keeps what went down until the guest acknowledges it; the Inbox
 * counts what came up, so a resumed stream starts exactly where the last
 * one stopped. See docs/protocol.md, "The pair". The requests' numbering
 * and decoding is pair-requests.ts's, the pull of the handler's responses
 * pair-responses.ts's; the halves, their timeouts and the end are here.
 */
import http2, { type ServerHttp2Stream } from "node:http2";
import { BatchFlusher, FLUSH_BYTES, nextTask } from "../core/batch.js";
import { Channel } from "../core/channel.js";
import type { DeadlineSignal } from "../core/deadline.js";
import { EnvelopeDecoder, type EnvelopeVisitor } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { flatten } from "../core/flatten.js";
import { type Control, type PairWindow, encodeControl, endPayload } from "../core/pair.js";
import { Inbox, Outbox } from "../core/pair-window.js";
import { invoke } from "./call.js";
import { probe } from "./keepalive.js";
import type { Heartbeats } from "./pair-heartbeats.js";
import { RequestIntake, type RequestSink } from "./pair-requests.js";
import { ResponsePull, type ResponseSink } from "./pair-responses.js";
import type { HandlerContext, MethodDescriptor } from "./service.js";

export interface PairSettings {
  /** Requests the host accepts ahead of the handler (the credit it grants), in messages. */
  window: number;
  /** The same in bytes of envelopes: what bounds the memory of requests waiting for the handler. */
  windowBytes: number;
  /** Most responses kept for replay, unacknowledged, however much the guest grants: in messages… */
  maxWindow: number;
  /** …and in bytes. */
  maxWindowBytes: number;
  /** A pair without an up stream (first one, or after a break) this long ends. */
  upTimeoutMs: number;
  /** A pair whose halves broke waits this long for the guest to resume, then ends. */
  resumeTimeoutMs: number;
  /** A down stream with nothing to say this long gets an empty control, so the guest can tell silence from a dead connection. 0: never. */
  heartbeatMs: number;
  maxMessageBytes: number;
  /** The gateway's one heartbeat timer, shared by its pairs. */
  heartbeats: Heartbeats;
}

const HEARTBEAT = encodeControl({});

export class PairCall extends BatchFlusher implements ResponseSink, RequestSink {
  readonly inbox: Inbox;
  readonly outbox: Outbox;
  private down: ServerHttp2Stream | undefined;
  private up: ServerHttp2Stream | undefined;
  private readonly requests: Channel<unknown[]>;
  private readonly intake: RequestIntake;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The timer is the up timeout of a down stream (not the resume or end timeout). */
  private awaitingUp = false;
  /** Counted in `settings.heartbeats` (from the first down until the end). */
  private beating = false;
  /** A control is due with the next flush (forced: even if the grant did not move). */
  private controlWanted = false;
  private controlForced = false;
  /** The next control tells the guest its up (or a batch) arrived: how it knows the pair is established. */
  private joinedDue = false;
  /** When something last went down (performance.now()). */
  private wroteAt = 0;
  /** Set when the pair is over for good; `onEnd` has run. */
  ended = false;
  private endWritten = false;

  constructor(
    readonly id: string,
    readonly principalKey: string,
    readonly method: MethodDescriptor,
    private readonly settings: PairSettings,
    guestWindow: PairWindow,
    /** The call's deadline, parented by the host's shutdown: the pair aborts it when it ends. */
    private readonly deadline: DeadlineSignal,
    private readonly onEnd: (call: PairCall) => void,
    /** The handler is done and its end is on its way: the pair no longer counts as running. */
    private readonly onSettled: (call: PairCall) => void = () => undefined,
  ) {
    // Envelopes added in one turn go out as one chunk (a macrotask, so awaiting producers fill it too).
    super(FLUSH_BYTES, nextTask);
    this.inbox = new Inbox({ messages: settings.window, bytes: settings.windowBytes });
    this.outbox = new Outbox(guestWindow, { messages: settings.maxWindow, bytes: settings.maxWindowBytes });
    this.requests = new Channel<unknown[]>(settings.window);
    this.intake = new RequestIntake(this.inbox, this.requests, method.input, this);
  }

  /** The deadline's signal aborted (a deadline, or the host shutting down): this object is its listener. */
  handleEvent(): void {
    this.finish(StreampathError.from(this.signal.reason));
  }

  /** The handler's signal: aborts when the pair ends for good, at its deadline, or when the host shuts down. */
  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  /** Runs the handler; its responses go into the Outbox as credit allows. */
  run(handler: (...args: any[]) => unknown, context: HandlerContext): void {
    this.context = context;
    // Each message the handler takes frees credit for one more.
    const consuming = flatten(this.requests[Symbol.asyncIterator](), undefined, () => {
      this.inbox.consume();
      this.control(false);
    });
    let responses: AsyncIterable<unknown> | Promise<AsyncIterable<unknown>>;
    try {
      responses = invoke(this.method, handler, consuming, context);
    } catch (caught) {
      return this.handlerEnded(caught, true);
    }
    new ResponsePull(this.outbox, this.method.output, this).start(responses);
  }

  private context: HandlerContext | undefined;

  /** The handler is done, or failed (ResponsePull, or `run`). */
  handlerEnded(caught: unknown, failed: boolean): void {
    const error = !failed ? undefined : this.signal.aborted ? StreampathError.from(this.signal.reason) : StreampathError.from(caught);
    if (this.ended) return;
    const context = this.context!;
    this.outbox.addEnd(endPayload(error, { ...context.responseHeaders, ...context.responseTrailers }));
    this.endWritten = true;
    this.onSettled(this);
    this.flushNow();
    this.down?.end();
    // Kept until the guest acknowledges the end (or fails to resume in time).
    this.arm(this.settings.resumeTimeoutMs, Code.Unavailable, "the guest did not acknowledge the end of the call");
  }

  /** A (new) down stream, already answered with headers: replays what the guest lacks. */
  attachDown(stream: ServerHttp2Stream, guestReceived: number): void {
    this.dropHalves();
    this.down = stream;
    for (const { chunk } of this.outbox.replayFrom(guestReceived)) this.write(chunk);
    this.startHeartbeat();
    stream.on("close", () => {
      if (this.down !== stream) return;
      this.down = undefined;
      // Ending it was our doing once the end went out; anything else is a break.
      if (!this.endWritten || stream.rstCode !== 0) this.broken();
    });
    this.control(true);
    this.flushNow();
    if (!this.up) {
      this.arm(this.settings.upTimeoutMs, Code.DeadlineExceeded, `no up stream within ${this.settings.upTimeoutMs} ms`);
      this.awaitingUp = true;
    }
  }

  /** A fallback batch (`feed` visits its envelopes): in batch mode it is what the up timeout waits for. */
  acceptBatch(feed: (visit: EnvelopeVisitor) => void, first: number): void {
    this.upArrived();
    this.accept(feed, first);
  }

  /** Stops the up timeout (only that one: a lone up does not stop the resume timeout), and tells the guest. */
  private upArrived(): void {
    if (this.awaitingUp) this.disarm();
    if (this.down) {
      this.joinedDue = true;
      this.control(true);
    }
  }

  /**
   * The up stream: data, end and control envelopes numbered from `first`,
   * until the guest closes it. A later up replaces an earlier one; what an
   * up repeats (a stale one, delayed on a dead connection) is dropped by number.
   */
  attachUp(stream: ServerHttp2Stream, first: number): Promise<void> {
    const previous = this.up;
    // Not in this tick: we are inside nghttp2's receive callback (see dropHalves).
    if (previous) setImmediate(() => previous.close(http2.constants.NGHTTP2_CANCEL));
    this.up = stream;
    this.upArrived();
    const decoder = new EnvelopeDecoder({ maxMessageBytes: this.settings.maxMessageBytes });
    let next = first;
    return new Promise<void>((resolve) => {
      stream.on("data", (chunk: Uint8Array) => {
        if (this.up !== stream) return; // replaced: its envelopes come again on the new one
        try {
          next = this.accept((visit) => decoder.each(chunk, visit), next);
        } catch (error) {
          this.finish(StreampathError.from(error, Code.InvalidArgument));
        }
      });
      stream.on("end", () => respondEmpty(stream));
      stream.on("close", () => {
        if (this.up === stream) {
          this.up = undefined;
          if (stream.rstCode !== 0 && !this.ended) this.broken();
        }
        resolve();
      });
    });
  }

  /**
   * Envelopes of an up stream or a fallback batch (what `feed` visits),
   * numbered from `first`; those the host already has are dropped. Returns
   * the number the next envelope of the same stream will have.
   */
  accept(feed: (visit: EnvelopeVisitor) => void, first: number): number {
    const next = this.intake.accept(feed, first);
    this.control(false); // acknowledges what arrived, consumed or not: the guest keeps it until then
    return next;
  }

  guestControl(control: Control): void {
    this.outbox.control(control);
    if (this.endWritten && this.outbox.acked === this.outbox.sent) this.finish();
  }

  guestEnded(error: StreampathError | undefined): void {
    if (error) this.finish(error);
    else this.requests.close();
  }

  /** Ends the pair for good: the handler is canceled, the guest told why if a down stream is open. */
  finish(error?: StreampathError): void {
    if (this.ended) return;
    this.ended = true;
    this.disarm();
    this.settings.heartbeats.delete(this);
    const reason = error ?? new StreampathError(Code.Canceled, "the call ended");
    this.deadline.abort(reason);
    this.requests.fail(reason);
    this.outbox.fail(reason);
    if (error && !this.endWritten && this.down && !this.down.destroyed) {
      this.outbox.addEnd(endPayload(error));
      this.down.end(this.outbox.take()?.chunk);
    } else this.down?.end();
    if (this.up && !this.up.destroyed) {
      respondEmpty(this.up);
      this.up.resume();
    }
    // Ended for a fault or a timeout: the halves may be on a dead connection, where ending them never
    // completes and they would stay open until the keepalive.
    if (error) for (const half of [this.down, this.up]) if (half?.session) probe(half.session);
    this.onEnd(this);
  }

  private broken(): void {
    if (this.ended) return;
    this.dropHalves();
    this.arm(this.settings.resumeTimeoutMs, Code.Unavailable, `the guest did not resume within ${this.settings.resumeTimeoutMs} ms`);
  }

  private dropHalves(): void {
    const { down, up } = this;
    this.down = this.up = undefined;
    if (!down && !up) return;
    // A half that broke or was replaced may be on a connection that died without a word.
    for (const half of [down, up]) if (half?.session) probe(half.session);
    // Not in this tick: it may be a close event's, run inside nghttp2's receive callback, where
    // Node 20's RST_STREAM of another stream loops forever at 100 % CPU (a tab closed mid-call).
    setImmediate(() => {
      down?.destroy();
      up?.destroy();
    });
  }

  /** Acks and grants up credit with the next flush, in the chunk of what is pending rather than one of its own. */
  private control(force: boolean): void {
    this.controlForced ||= force;
    this.controlWanted = true;
    this.notify();
  }

  protected pendingBytes(): number {
    return this.outbox.pendingBytes;
  }

  protected flush(): void {
    // Asked now rather than when wanted: the grant counts everything consumed meanwhile.
    const control = this.controlWanted ? this.inbox.control(this.controlForced) : undefined;
    if (control && this.joinedDue && this.down) {
      control.joined = true;
      this.joinedDue = false;
    }
    this.controlWanted = this.controlForced = false;
    // Controls are not numbered, so on the down stream their place does not matter: after the envelopes, in their chunk.
    const sealed = this.outbox.take(control && encodeControl(control));
    if (sealed) this.write(sealed.chunk);
  }

  private write(chunk: Uint8Array): void {
    if (!this.down || this.down.destroyed || this.down.writableEnded) return;
    this.down.write(chunk);
    this.wroteAt = performance.now();
  }

  private startHeartbeat(): void {
    if (this.beating || this.ended) return;
    this.beating = this.settings.heartbeats.add(this);
  }

  /** A tick of the heartbeat timer: speaks if nothing went down for `silentMs`. */
  beat(now: number, silentMs: number): void {
    if (now - this.wroteAt < silentMs) return;
    // What went down before has not left yet: a slow guest, or a connection that died without a word
    // (see probe), which would hold this pair until the keepalive. A ping tells them apart.
    const session = this.down?.session;
    if (session && this.down!.writableLength > 0) probe(session);
    this.write(HEARTBEAT);
  }

  private arm(ms: number, code: Code, message: string): void {
    this.disarm();
    this.timer = setTimeout(() => this.finish(new StreampathError(code, message)), ms);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.awaitingUp = false;
  }
}

/** Answers an up request that ended (200, no body) unless its stream is already gone. */
function respondEmpty(stream: ServerHttp2Stream): void {
  // A stream whose session broke can look alive yet refuse to respond: the host must not crash on it.
  if (stream.headersSent || stream.destroyed || stream.closed || stream.session?.destroyed !== false) return;
  try {
    stream.respond({ ":status": 200 }, { endStream: true });
  } catch {
    // gone between the check and the call
  }
}
