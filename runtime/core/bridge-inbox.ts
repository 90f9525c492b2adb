/**
 * The receiving half of one direction of a bridge call: packets in, messages
 * out as an async iterator. It asks its source for the next packet only when
 * the reader has taken every message of the current one, so the sender's
 * room (a stream's queue, a port's credit) is what bounds memory.
 */
import { type Packet, type WireError, fromWire, toWire, transportError } from "./bridge.js";
import type { BatchCodec } from "./bridge-codec.js";
import { Code, StreampathError } from "./error.js";
import { settlesOnReturn } from "./local-call.js";

/** Where an Inbox's packets come from: a transferred ReadableStream, or a port. */
export interface PacketSource<T> {
  /** The next packet. */
  read(): Promise<Packet<T>>;
  /** The reader stops: tell the sender. */
  cancel(reason: WireError): void;
  /** The reader took every message of a packet (a port grants credit for them). */
  taken?(count: number): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const NONE: never[] = [];

export class Inbox<T> implements AsyncIterableIterator<T> {
  /** return() and fail() settle a read waiting on the source (see `interrupt`). */
  readonly [settlesOnReturn] = true;
  private batch: T[] = NONE;
  private index = 0;
  /** The last packet's end or error, to report once its messages are taken. */
  private final: Packet<T> | undefined;
  /** Thrown by the next read; then the inbox is done. */
  private failure: StreampathError | undefined;
  private done = false;
  private refilling: Promise<IteratorResult<T>> | undefined;
  /**
   * Settles the read waiting on the source (one at a time) when the inbox
   * fails or stops. Not Promise.race against one promise settled then: each
   * race would leave a reaction on it per packet for the call's life, which
   * for a long live stream of small packets grows without end.
   */
  private interrupt: ((packet: Packet<T>) => void) | undefined;

  /** Called once when the direction ends: by the sender's end (no error) or error, or a local fail(). */
  onFinish: ((error?: StreampathError) => void) | undefined;
  /** Called with each packet as it is read, before its messages are handed out (what rides with them: headers, trailers). */
  onPacket: ((packet: Packet<T>) => void) | undefined;

  /** `codec`: the call's messages may come as binary batches. */
  constructor(
    private readonly source: PacketSource<T>,
    private readonly maxBatch: number,
    private readonly codec?: BatchCodec<T>,
  ) {}

  next(): Promise<IteratorResult<T>> {
    if (this.refilling) return this.refilling.then(
      () => this.next(),
      () => this.next(),
    );
    if (this.index < this.batch.length) return Promise.resolve({ done: false, value: this.batch[this.index++] });
    this.refilling = this.refill();
    const settle = () => (this.refilling = undefined);
    this.refilling.then(settle, settle);
    return this.refilling;
  }

  /** The reader stopped early: the sender is told to stop. */
  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.source.cancel({ code: Code.Canceled, message: "the receiver stopped reading" });
      this.finish(undefined);
    }
    return Promise.resolve(DONE);
  }

  /** Ends this direction with `error`: a waiting or next read throws it, and the sender is told to stop. */
  fail(error: StreampathError): void {
    if (this.done) return;
    this.failure = error;
    this.source.cancel(toWire(error));
    this.finish(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private finish(error: StreampathError | undefined): void {
    this.done = true;
    this.batch = NONE;
    this.index = 0;
    this.final = undefined;
    this.interrupt?.({});
    this.interrupt = undefined;
    this.onFinish?.(error);
  }

  private async refill(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        throw failure;
      }
      if (this.done) return DONE;
      if (this.batch.length > 0) {
        this.source.taken?.(this.batch.length);
        this.batch = NONE;
        this.index = 0;
      }
      const final = this.final;
      if (final) {
        const error = final.error === undefined ? undefined : fromWire(final.error);
        this.finish(error);
        if (error) throw error;
        return DONE;
      }
      let packet: Packet<T>;
      try {
        packet = await new Promise<Packet<T>>((resolve, reject) => {
          this.interrupt = resolve;
          this.source.read().then(resolve, reject);
        });
        this.interrupt = undefined;
      } catch (error) {
        this.fail(transportError(error));
        continue;
      }
      if (this.done) continue;
      let messages: T[] | undefined;
      try {
        this.onPacket?.(packet);
        messages = this.messagesOf(packet);
      } catch (error) {
        this.fail(StreampathError.from(error, Code.Internal));
        continue;
      }
      this.batch = messages ?? NONE;
      this.index = 0;
      if (packet.end || packet.error !== undefined) this.final = packet;
      if (this.batch.length > 0) return { done: false, value: this.batch[this.index++] };
    }
  }

  /** The packet's messages, checked against the batch limit (and decoded, for a binary batch). */
  private messagesOf(packet: Packet<T>): T[] | undefined {
    const { messages, bytes, count } = packet;
    if (bytes !== undefined) {
      if (!this.codec) throw new StreampathError(Code.Internal, "the bridge peer sent a binary batch on a call that is not binary");
      if (!(bytes instanceof Uint8Array) || !Number.isInteger(count) || count! < 0) {
        throw new StreampathError(Code.Internal, "the bridge peer sent a malformed binary batch");
      }
      if (count! > this.maxBatch) throw this.tooMany(count!);
      return this.codec.decode(bytes, count!);
    }
    if (messages === undefined) return undefined;
    if (!Array.isArray(messages)) throw new StreampathError(Code.Internal, "the bridge peer sent a malformed packet");
    if (messages.length > this.maxBatch) throw this.tooMany(messages.length);
    return messages;
  }

  private tooMany(count: number): StreampathError {
    return new StreampathError(Code.Internal, `the bridge peer sent ${count} messages in one packet, more than its batch limit of ${this.maxBatch}`);
  }
}
