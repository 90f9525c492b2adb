/**
 * Streams mode: one direction of a call is a transferable ReadableStream of
 * packets. The sender's stream counts its queue in messages (its
 * highWaterMark is the call's window) and is filled by a Pump only while
 * there is room, so a receiver that stops reading stops the source; the
 * receiver's cancel() reaches the sender's cancel callback, with its reason.
 */
import { type BridgeLimits, type Packet, type WireError, fromWire, transportError } from "./bridge.js";
import { type PacketSource } from "./bridge-inbox.js";
import { Pump, type PumpSink } from "./bridge-pump.js";
import type { StreampathError } from "./error.js";

export interface OutgoingStream<T> {
  /** To transfer to the peer. */
  readonly stream: ReadableStream<Packet<T>>;
  /** Ends the direction with `error`: the peer reads it after what was sent. */
  fail(error: unknown): void;
  /** Stops sending: the stream closes, or errors with `reason` (an aborted call, so the peer does not see a clean end). */
  stop(reason?: WireError): void;
}

/** The packets of `source` as a ReadableStream; `onCancel` gets the receiver's reason when it stops reading. */
export function outgoingStream<T>(
  source: AsyncIterable<T>,
  limits: BridgeLimits,
  onCancel: (reason: StreampathError) => void,
): OutgoingStream<T> {
  let controller!: ReadableStreamDefaultController<Packet<T>>;
  let open = true;
  const sink: PumpSink<T> = {
    room: () => (open ? (controller.desiredSize ?? 0) : 0),
    emit: (messages, final) => {
      if (!open) return;
      try {
        if (final && "error" in final) controller.enqueue({ messages, error: final.error });
        else if (messages.length > 0) controller.enqueue({ messages });
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
  const stream = new ReadableStream<Packet<T>>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => pump.wake(),
      cancel: (reason) => {
        open = false;
        onCancel(fromWire(reason));
        pump.stop();
      },
    },
    { highWaterMark: limits.window, size: (packet) => packet.messages?.length ?? 0 },
  );
  const pump = new Pump(source, sink, limits.maxBatch);
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

function isWire(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && typeof (value as WireError).code === "number" && typeof (value as WireError).message === "string";
}

const END: Packet<never> = Object.freeze({ end: true });

/** Reads packets from the stream the peer transferred (which may still be on its way). */
export function streamSource<T>(stream: Promise<ReadableStream<Packet<T>>>): PacketSource<T> {
  const reader = stream.then((s) => s.getReader());
  reader.catch(() => undefined);
  return {
    read: async () => {
      try {
        const result = await (await reader).read();
        return result.done ? END : result.value;
      } catch (error) {
        throw isWire(error) ? fromWire(error) : transportError(error);
      }
    },
    cancel: (reason) => {
      reader.then((r) => r.cancel(reason)).catch(() => undefined);
    },
  };
}
