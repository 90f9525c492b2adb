/**
 * The two ends of one direction of a pair (docs/protocol.md, "The pair"):
 * the Outbox that numbers, keeps and replays what it sent within the credit
 * the receiver granted, and the Inbox that counts what arrived and decides
 * when to acknowledge and grant more. Host and guest use both.
 */
import { MessageBatch } from "./batch.js";
import { ENVELOPE_HEADER_BYTES, readLength } from "./envelope.js";
import { Code, StreampathError } from "./error.js";
import { type Control, PairFlag, type PairWindow } from "./pair.js";

/** Envelopes sealed into one chunk; `first` is the sequence number of the first. */
export interface Sealed {
  readonly first: number;
  readonly chunk: Uint8Array;
}

interface Segment extends Sealed {
  /** Envelopes in `chunk`. A replay from inside it finds its start by their headers. */
  readonly count: number;
  /** Bytes it keeps alive: its buffer's, when the batch handed the buffer over. */
  readonly held: number;
  /** The batch's own buffer, written to one stream only: it may go back to the pool once acknowledged. */
  lent: boolean;
}

/** Where envelope `k` (0-based; `count` for the end) starts in a chunk of whole envelopes. */
function envelopeStart(chunk: Uint8Array, k: number): number {
  let at = 0;
  for (let i = 0; i < k; i++) at += ENVELOPE_HEADER_BYTES + readLength(chunk, at + 1);
  return at;
}

/**
 * The sending end of one direction. Envelopes are numbered 1, 2, … as they
 * are added; `take()` seals them into one chunk to write and keeps it until
 * the receiver acknowledges it, so `replayFrom()` can send what a broken
 * stream lost. Adding is allowed only within the credit (`hasCredit`), so
 * what is kept never exceeds the receiver's window, nor `keep` however
 * much the receiver grants.
 */
export class Outbox {
  /** Sequence number of the last envelope added. */
  sent = 0;
  /** Bytes of the numbered envelopes added (headers included). */
  sentBytes = 0;
  /** Envelopes the receiver has acknowledged. */
  acked = 0;
  /** Highest sequence number the receiver lets us send. */
  limit: number;
  /** No envelope is started once `sentBytes` reaches this. */
  limitBytes: number;
  private readonly keep: PairWindow;
  /** Bytes of the chunks kept for replay, and of those not yet taken. */
  private keptBytes = 0;
  private batch = new MessageBatch(true);
  /** Envelopes added since the last take. */
  private unsealed = 0;
  private readonly segments: Segment[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private failure: StreampathError | undefined;

  /** `initial`: the receiver's window; `keep`: most kept unacknowledged, whatever the receiver grants. */
  constructor(initial: PairWindow, keep: PairWindow) {
    this.keep = keep;
    this.limit = Math.min(initial.messages, keep.messages);
    this.limitBytes = initial.bytes;
  }

  get hasCredit(): boolean {
    return this.sent < this.limit && this.sentBytes < this.limitBytes && this.keptBytes < this.keep.bytes;
  }

  /** Data envelopes waiting to be taken. */
  get pendingBytes(): number {
    return this.batch.bytes;
  }

  add<T>(codec: { write(message: T, w: import("./writer.js").BinaryWriter): void }, message: T): void {
    const before = this.batch.bytes;
    this.batch.add(codec, message);
    this.counted(this.batch.bytes - before);
  }

  /** Adds the end envelope; it needs no credit (it carries no message to buffer). */
  addEnd(payload: Uint8Array): void {
    const before = this.batch.bytes;
    this.batch.addEnvelope(PairFlag.End, payload);
    this.counted(this.batch.bytes - before);
    this.limit = Math.max(this.limit, this.sent);
  }

  private counted(bytes: number): void {
    this.unsealed++;
    this.sent++;
    this.sentBytes += bytes;
    this.keptBytes += bytes;
  }

  /**
   * Seals what was added since the last take into one chunk to write, kept
   * for replay; `trailer` (a control) follows them in the chunk written but
   * is not kept, and is the whole chunk when nothing was added. A big chunk
   * is the batch's buffer itself, not a copy (the kept bytes count all of
   * it), given back to the pool once acknowledged.
   */
  take(trailer?: Uint8Array): Sealed | undefined {
    const wire = this.batch.take(trailer);
    if (!wire) return trailer && { first: this.sent + 1, chunk: trailer };
    const first = this.sent - this.unsealed + 1;
    const chunk = trailer === undefined ? wire : wire.subarray(0, wire.length - trailer.length);
    const lent = this.batch.lastLent;
    const held = lent ? wire.buffer.byteLength : chunk.length;
    const segment: Segment = { first, chunk, count: this.unsealed, held, lent };
    this.segments.push(segment);
    this.keptBytes += held - chunk.length;
    this.unsealed = 0;
    return trailer === undefined ? segment : { first, chunk: wire };
  }

  /** The chunks that carry every envelope after `received`, for a new stream to send first. */
  replayFrom(received: number): Sealed[] {
    const sealed = this.sent - this.unsealed;
    if (received < this.acked || received > sealed) {
      throw new StreampathError(
        Code.DataLoss,
        `cannot resume: the peer has ${received} envelopes, this side keeps ${this.acked + 1}–${sealed}`,
      );
    }
    this.trim(received);
    // What follows is written again on a new stream, which an older one may still be reading: never reused.
    for (const s of this.segments) s.lent = false;
    this.acknowledged = undefined;
    return this.segments.map((s) =>
      received >= s.first
        ? { first: received + 1, chunk: s.chunk.subarray(envelopeStart(s.chunk, received - s.first + 1)) }
        : s,
    ).filter((s) => s.chunk.length > 0);
  }

  /** Applies the receiver's control envelope. */
  control(control: Control): void {
    if (control.ack !== undefined) {
      if (control.ack > this.sent) {
        throw new StreampathError(Code.InvalidArgument, `pair control: ack ${control.ack} of ${this.sent} envelopes sent`);
      }
      this.trim(control.ack);
    }
    if (control.limit !== undefined) this.limit = Math.max(this.limit, Math.min(control.limit, this.acked + this.keep.messages));
    if (control.limitBytes !== undefined) this.limitBytes = Math.max(this.limitBytes, control.limitBytes);
    this.wake();
  }

  /** Resolves once there is credit to add an envelope. */
  credit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.hasCredit) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  fail(reason: StreampathError): void {
    this.failure ??= reason;
    for (const w of this.waiters.splice(0)) w.reject(reason);
  }

  private wake(): void {
    if (this.hasCredit) for (const w of this.waiters.splice(0)) w.resolve();
  }

  /** The last segment acknowledged, if its buffer may be reused once the next one is acknowledged too. */
  private acknowledged: Segment | undefined;

  private trim(ack: number): void {
    this.acked = Math.max(this.acked, ack);
    while (this.segments.length > 0) {
      const s = this.segments[0]!;
      if (s.first + s.count - 1 > this.acked) break;
      this.segments.shift();
      this.keptBytes -= s.held;
      // An acknowledgement says the receiver has a chunk's envelopes, not the control written after them;
      // the next chunk's acknowledgement says the stream read past it. Only then is the buffer free.
      if (this.acknowledged !== undefined) this.batch.recycle(this.acknowledged.chunk);
      this.acknowledged = s.lent ? s : undefined;
    }
    this.wake();
  }
}

/**
 * Acknowledge at least every this many bytes received, consumed or not: the
 * sender keeps what is unacknowledged (up to its own cap, unknown here).
 */
const ACK_BYTES = 256 * 1024;

/**
 * The receiving end of one direction: counts envelopes (and their bytes)
 * received and consumed, refuses any beyond the credit granted, and says
 * when a control envelope is worth sending (a quarter of the window
 * consumed or received since the last one). Messages are consumed one at a
 * time but their bytes a batch at a time (`arrived`): a batch's memory is
 * held until its last message is taken.
 */
export class Inbox {
  received = 0;
  receivedBytes = 0;
  consumed = 0;
  consumedBytes = 0;
  readonly window: PairWindow;
  private granted: number;
  private grantedBytes: number;
  private ackSent = 0;
  private ackSentBytes = 0;
  /** Batches handed on and not yet wholly consumed: [messages left, bytes]. */
  private readonly batches: [number, number][] = [];

  constructor(window: PairWindow) {
    this.window = window;
    this.granted = window.messages;
    this.grantedBytes = window.bytes;
  }

  /**
   * Counts one arriving numbered envelope of `bytes` (header included); throws if the sender overran
   * its credit. An end needs none (the sender adds it whatever its credit): a call whose last message
   * used the credit up exactly must still be able to end.
   */
  receive(bytes: number, end = false): number {
    if (!end && (this.received >= this.granted || this.receivedBytes >= this.grantedBytes)) {
      throw new StreampathError(
        Code.ResourceExhausted,
        `pair: envelope ${this.received + 1} beyond the credit of ${this.granted} envelopes, ${this.grantedBytes} bytes`,
      );
    }
    this.receivedBytes += bytes;
    return ++this.received;
  }

  /** `messages` decoded from envelopes of `bytes` were handed on together. */
  arrived(messages: number, bytes: number): void {
    if (messages > 0) this.batches.push([messages, bytes]);
    else this.consumedBytes += bytes;
  }

  /** The application took one message. */
  consume(): void {
    this.consumed++;
    const batch = this.batches[0];
    if (batch !== undefined && --batch[0] === 0) {
      this.consumedBytes += batch[1];
      this.batches.shift();
    }
  }

  /** A control envelope to send now (always, when forced: a new stream), or undefined if the last one suffices. */
  control(force = false): Control | undefined {
    const limit = this.consumed + this.window.messages;
    const limitBytes = this.consumedBytes + this.window.bytes;
    const step = Math.max(1, this.window.messages >> 2);
    const stepBytes = Math.min(this.window.bytes / 4, ACK_BYTES);
    if (
      !force &&
      limit - this.granted < step &&
      !(limitBytes - this.grantedBytes >= stepBytes) &&
      this.received - this.ackSent < step &&
      this.receivedBytes - this.ackSentBytes < stepBytes
    ) {
      return undefined;
    }
    this.granted = Math.max(this.granted, limit);
    this.grantedBytes = Math.max(this.grantedBytes, limitBytes);
    this.ackSent = this.received;
    this.ackSentBytes = this.receivedBytes;
    return Number.isFinite(this.grantedBytes)
      ? { ack: this.received, limit: this.granted, limitBytes: this.grantedBytes }
      : { ack: this.received, limit: this.granted };
  }
}
