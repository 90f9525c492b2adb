/**
 * A pair's requests as they arrive (docs/protocol.md, "The pair"): the
 * envelopes of an up stream or a fallback batch, numbered from where it
 * says it starts. Those the host already has (a retried batch, an up that
 * replays) are dropped by number, a gap is a protocol fault, and the rest
 * are decoded into one batch per chunk for the handler, within the credit
 * the Inbox granted.
 */
import type { Channel } from "../core/channel.js";
import { ENVELOPE_HEADER_BYTES, type EnvelopeVisitor } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { type MessageCodec, decodeAt } from "../core/message.js";
import { type Control, PairFlag, checkPairFlags, parseControl, parseEnd } from "../core/pair.js";
import type { Inbox } from "../core/pair-window.js";

/** What arriving envelopes tell the pair, besides its requests. */
export interface RequestSink {
  /** The guest's acks and grants for the down. */
  guestControl(control: Control): void;
  /** The guest's end envelope: the end of its requests, or the call's end with `error`. */
  guestEnded(error: StreampathError | undefined): void;
}

export class RequestIntake {
  /** Sequence number of the next numbered envelope `visit` sees. */
  private nextSeq = 0;
  /** Requests decoded from the envelopes being accepted, and their bytes: one batch for the handler. */
  private arriving: unknown[] = [];
  private arrivingBytes = 0;

  constructor(
    private readonly inbox: Inbox,
    /** The handler's requests; its capacity is the window, which credit keeps what arrives within. */
    private readonly requests: Channel<unknown[]>,
    private readonly input: MessageCodec<unknown>,
    private readonly sink: RequestSink,
  ) {}

  /**
   * Envelopes of an up stream or a fallback batch (what `feed` visits),
   * numbered from `first`. Returns the number the next envelope of the same
   * stream will have.
   */
  accept(feed: (visit: EnvelopeVisitor) => void, first: number): number {
    this.nextSeq = first;
    try {
      feed(this.visit);
    } finally {
      // What arrived before a fault is the handler's all the same (the fault ends the pair after it).
      if (this.arriving.length) this.push(this.arriving.splice(0));
    }
    return this.nextSeq;
  }

  private readonly visit: EnvelopeVisitor = (flags, bytes, start, end, owned) => {
    checkPairFlags(flags);
    if (flags & PairFlag.Control) return this.sink.guestControl(parseControl(bytes.subarray(start, end)));
    const number = this.nextSeq++;
    if (number <= this.inbox.received) return; // a retried batch: already have it
    if (number > this.inbox.received + 1) {
      throw new StreampathError(Code.FailedPrecondition, `pair: expected envelope ${this.inbox.received + 1}, got ${number}`);
    }
    const size = end - start + ENVELOPE_HEADER_BYTES;
    this.inbox.receive(size, (flags & PairFlag.End) !== 0);
    if (flags & PairFlag.End) {
      if (this.arriving.length) this.push(this.arriving.splice(0));
      this.inbox.arrived(0, size);
      return this.sink.guestEnded(parseEnd(bytes.subarray(start, end)).error);
    }
    try {
      this.arriving.push(decodeAt(this.input, bytes, start, end, owned));
    } catch (error) {
      throw new StreampathError(Code.InvalidArgument, `cannot decode ${this.input.typeName}: ${(error as Error).message}`);
    }
    this.arrivingBytes += size;
  };

  private push(batch: unknown[]): void {
    this.inbox.arrived(batch.length, this.arrivingBytes);
    this.arrivingBytes = 0;
    if (!this.requests.offer(batch)) throw new StreampathError(Code.ResourceExhausted, "pair: requests beyond the window");
  }
}
