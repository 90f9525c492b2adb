/**
 * Port mode: both directions of one call over its own MessagePort, for
 * browsers that cannot transfer a ReadableStream. Both ends are the same:
 * each starts with `window` messages of credit, sends only within its
 * credit, and grants credit back as its reader takes messages — so a reader
 * that stops stalls the sender with at most `window` messages buffered, the
 * back-pressure a stream's queue gives in streams mode. A grant rides in the
 * next data packet when there is one.
 */
import { type BridgeLimits, type Packet, type WireError, fromWire, packetCount, toWire, transportError } from "./bridge.js";
import type { BatchCodec } from "./bridge-codec.js";
import { Inbox, type PacketSource } from "./bridge-inbox.js";
import { Pump, type PumpOptions, type PumpSink } from "./bridge-pump.js";
import { Code, StreampathError } from "./error.js";

/** What a port link needs of a MessagePort. */
export interface BridgePort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  start(): void;
  close(): void;
}

export class PortLink<In, Out> implements PacketSource<In> {
  /** What the peer sends. */
  readonly inbox: Inbox<In>;
  private pump: Pump<Out> | undefined;
  /** Messages this end may still send. */
  private credit: number;
  /** Received and not yet taken by the reader, plus taken and not yet granted back: never above the window. */
  private buffered = 0;
  private ungranted = 0;
  private grantScheduled = false;
  private readonly queue: Packet<In>[] = [];
  private reader: ((packet: Packet<In>) => void) | undefined;
  private sending = true;
  private receiving = true;
  private closed = false;

  /**
   * `onPeerCancel`: the peer stopped reading what this end sends (the sending is already stopped).
   * `codecs`: the call crosses as binary batches, written with `send` and read with `receive`.
   */
  constructor(
    private readonly port: BridgePort,
    private readonly limits: BridgeLimits,
    private readonly onPeerCancel: (reason: StreampathError) => void,
    private readonly codecs?: { send: BatchCodec<Out>; receive: BatchCodec<In> },
  ) {
    this.credit = limits.window;
    this.inbox = new Inbox(this, limits.maxBatch, codecs?.receive);
    port.addEventListener("message", this.receive);
    port.start();
  }

  /** Starts sending `source` to the peer, within credit; `onDone` is called once the source is finished with. */
  send(source: AsyncIterable<Out>, onDone?: () => void, stamp?: PumpOptions<Out>["stamp"]): void {
    const sink: PumpSink<Out> = { room: () => this.credit, emit: this.emit };
    this.pump = new Pump(source, sink, { maxBatch: this.limits.maxBatch, gather: this.codecs?.send.gather(), onDone, stamp });
  }

  /** Ends the sending direction with `error`, after what is pending. */
  fail(error: unknown): void {
    if (this.pump) this.pump.fail(error);
    else this.emit({}, { error: toWire(error) });
  }

  /** Drops the port at once: for an aborted call, after the inbox told the peer. */
  close(): void {
    this.sending = false;
    this.pump?.stop();
    this.shut();
  }

  // PacketSource, for the inbox.

  read(): Promise<Packet<In>> {
    const packet = this.queue.shift();
    if (packet) return Promise.resolve(packet);
    return new Promise((resolve) => (this.reader = resolve));
  }

  cancel(reason: WireError): void {
    if (!this.receiving) return;
    this.receiving = false;
    this.queue.length = 0;
    this.post({ cancel: reason });
    this.closeIfDone();
  }

  taken(count: number): void {
    this.buffered -= count;
    this.ungranted += count;
    if (this.receiving && !this.grantScheduled && this.ungranted >= Math.max(1, this.limits.window >> 2)) {
      this.grantScheduled = true;
      queueMicrotask(this.grant);
    }
  }

  private readonly grant = (): void => {
    this.grantScheduled = false;
    if (this.ungranted > 0 && this.receiving) this.post({});
  };

  private readonly emit = (packet: Packet<Out>, final?: { end: true } | { error: WireError }): void => {
    if (!this.sending) return;
    this.credit -= packetCount(packet);
    if (final && "error" in final) packet.error = final.error;
    else if (final) packet.end = true;
    if (final) this.sending = false;
    if (!this.post(packet) && this.sending) {
      // A message could not be cloned: the peer gets the error instead, and this end stops sending.
      this.sending = false;
      this.pump?.stop();
    }
    if (!this.sending) this.closeIfDone();
  };

  /** Posts `packet` with any credit owed; false if it could not be cloned (the peer got the error instead). */
  private post(packet: Packet<unknown>): boolean {
    if (this.closed) return true;
    if (this.ungranted > 0 && this.receiving) {
      packet.credit = this.ungranted;
      this.ungranted = 0;
    }
    try {
      // A binary batch's buffer is the packet's own: transferred, not copied.
      this.port.postMessage(packet, packet.bytes ? [packet.bytes.buffer as ArrayBuffer] : []);
      return true;
    } catch (error) {
      const wire = toWire(transportError(error));
      this.port.postMessage(packet.credit === undefined ? { error: wire } : { error: wire, credit: packet.credit });
      return false;
    }
  }

  private readonly receive = (event: MessageEvent): void => {
    const packet = event.data as Packet<In> | null;
    if (typeof packet !== "object" || packet === null) return this.protocolError("a packet that is not an object");
    if (packet.credit !== undefined) {
      if (!Number.isInteger(packet.credit) || packet.credit < 1) return this.protocolError(`a credit of ${packet.credit}`);
      this.credit += packet.credit;
      this.pump?.wake();
    }
    if (packet.cancel !== undefined && this.sending) {
      this.sending = false;
      this.pump?.stop();
      this.onPeerCancel(fromWire(packet.cancel));
      this.closeIfDone();
    }
    if (packet.messages === undefined && packet.bytes === undefined && !packet.end && packet.error === undefined) return;
    // Data sent before the peer saw this end's cancel is dropped.
    if (!this.receiving) return;
    const count = packetCount(packet);
    if (!Number.isInteger(count) || count < 0) return this.protocolError(`a packet of ${String(count)} messages`);
    this.buffered += count;
    if (this.buffered + this.ungranted > this.limits.window) {
      return this.protocolError(`${this.buffered + this.ungranted} messages in flight, past the window of ${this.limits.window}`, Code.ResourceExhausted);
    }
    if (packet.end || packet.error !== undefined) this.receiving = false;
    const reader = this.reader;
    this.reader = undefined;
    if (reader) reader(packet);
    else this.queue.push(packet);
    this.closeIfDone();
  };

  private protocolError(what: string, code = Code.Internal): void {
    const error = new StreampathError(code, `the bridge peer broke the port protocol: ${what}`);
    this.inbox.fail(error);
    this.fail(error);
  }

  private closeIfDone(): void {
    if (!this.sending && !this.receiving) this.shut();
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.removeEventListener("message", this.receive);
    this.port.close();
  }
}
