/**
 * Streams mode: one direction of a call is a transferable ReadableStream of
 * packets. The sender's stream keeps no queue: a Pump gathers at most one
 * batch and hands it over when the stream is read, so a receiver that stops
 * reading stops the source; the receiver reads one packet ahead. The
 * receiver's cancel() reaches the sender's cancel callback, with its reason.
 */
import { type BridgeLimits, type Packet, type WireError, fromWire, packetCount, transportError } from "./bridge.js";
import type { BatchCodec } from "./bridge-codec.js";
import { type PacketSource } from "./bridge-inbox.js";
import { Pump, type PumpOptions, type PumpSink } from "./bridge-pump.js";
import type { StreampathError } from "./error.js";

export interface OutgoingStream<T> {
  /** To transfer to the peer. */
  readonly stream: ReadableStream<Packet<T>>;
  /** Ends the direction with `error`: the peer reads it after what was sent. */
  fail(error: unknown): void;
  /** Stops sending: the stream closes, or errors with `reason` (an aborted call, so the peer does not see a clean end). */
  stop(reason?: WireError): void;
}

/**
 * The packets of `source` as a ReadableStream (binary batches with `codec`);
 * `onCancel` gets the receiver's reason when it stops reading; `onDone` is
 * called once the source is finished with.
 */
export function outgoingStream<T>(
  source: AsyncIterable<T>,
  limits: BridgeLimits,
  onCancel: (reason: StreampathError) => void,
  codec?: BatchCodec<T>,
  onDone?: () => void,
  stamp?: PumpOptions<T>["stamp"],
): OutgoingStream<T> {
  let controller!: ReadableStreamDefaultController<Packet<T>>;
  let open = true;
  /** The stream asked for a chunk (a read is waiting on it) and has not had one since. */
  let wanted = false;
  const sink: PumpSink<T> = {
    room: () => (open ? limits.maxBatch : 0),
    ready: () => wanted,
    emit: (packet, final) => {
      if (!open) return;
      if (final && "error" in final) packet.error = final.error;
      try {
        if (packetCount(packet) > 0 || packet.error || packet.headers || packet.trailers) {
          wanted = false;
          controller.enqueue(packet);
        }
        if (final) {
          open = false;
          controller.close();
        }
      } catch {
        // The stream was canceled or errored meanwhile: nobody is reading.
        open = false;
      }
    },
  };
  // No queue (highWaterMark 0): pull() means the transfer wants a chunk now, and the
  // packet it gets holds everything gathered since the last one. A queue of small
  // packets would cross one per round trip between the threads instead.
  const stream = new ReadableStream<Packet<T>>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => {
        wanted = true;
        pump.demand();
      },
      cancel: (reason) => {
        open = false;
        onCancel(fromWire(reason));
        pump.stop();
      },
    },
    { highWaterMark: 0 },
  );
  const pump = new Pump(source, sink, { maxBatch: limits.maxBatch, gather: codec?.gather(), onDone, stamp });
  return {
    stream,
    fail: (error) => pump.fail(error),
    stop: (reason) => {
      pump.stop();
      if (!open) return;
      open = false;
      try {
        if (reason) controller.error(reason);
        else controller.close();
      } catch {
        // Already closed or errored.
      }
    },
  };
}

/** A peer's `{ code, message }`, not an error of the platform's (a DOMException has a numeric code too). */
function isWire(value: unknown): value is WireError {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as WireError).code === "number" &&
    typeof (value as WireError).message === "string"
  );
}

const END: Packet<never> = Object.freeze({ end: true });

/**
 * Reads packets from the stream the peer transferred (which may still be on
 * its way), one packet ahead: a transferred stream sends a chunk only when
 * asked, so without a read in flight while the reader works through the
 * current packet, every packet would wait a round trip between the threads.
 */
export function streamSource<T>(stream: Promise<ReadableStream<Packet<T>>>): PacketSource<T> {
  const reader = stream.then((s) => s.getReader());
  reader.catch(() => undefined);
  const readOne = async (): Promise<Packet<T>> => {
    try {
      const result = await (await reader).read();
      return result.done ? END : result.value;
    } catch (error) {
      throw isWire(error) ? fromWire(error) : transportError(error);
    }
  };
  let ahead: Promise<Packet<T>> | undefined;
  return {
    read: () => {
      const packet = ahead ?? readOne();
      ahead = undefined;
      return packet.then((p) => {
        if (p !== END) (ahead = readOne()).catch(() => undefined);
        return p;
      });
    },
    cancel: (reason) => {
      reader.then((r) => r.cancel(reason)).catch(() => undefined);
    },
  };
}
