/**
 * The window ↔ worker bridge's wire, shared by both sides: the messages that
 * cross an endpoint (a Worker, a MessagePort, a worker's global scope), the
 * packets that carry a call's messages, and how errors cross.
 *
 * A call opens with one message on the endpoint. In "streams" mode it carries
 * a transferable ReadableStream of request packets and the worker answers
 * with a ReadableStream of response packets; in "port" mode it carries a
 * MessagePort over which both directions send packets within credit. Either
 * way a packet holds many messages: per-chunk cost dominates in browsers.
 */
import type { ConnectionState } from "./connection-state.js";
import { type ErrorDetail, Code, StreampathError } from "./error.js";

/** The key every bridge message on an endpoint carries, so an endpoint can carry other traffic too. */
export const BRIDGE_TAG = "streampath-bridge";

/**
 * Anything with postMessage and message events: a Worker, a MessagePort, a
 * worker's global scope. One abstraction, so each is an adapter, not a branch.
 */
export interface BridgeEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  /** A MessagePort delivers nothing to addEventListener listeners until started. */
  start?(): void;
}

/** An error as it crosses: a status code and a message (a StreampathError on the other side). */
export interface WireError {
  code: number;
  message: string;
  /** The error's details, when it has any (structured clone keeps the bytes). */
  details?: ErrorDetail[];
}

/**
 * What one chunk (streams) or one postMessage (port) carries for one
 * direction of one call.
 */
export interface Packet<T = unknown> {
  /** Messages, in order. */
  messages?: T[];
  /** Binary calls: `count` messages, length-delimited protobuf (see bridge-codec.ts), instead of `messages`. */
  bytes?: Uint8Array;
  count?: number;
  /** Port mode: the sender's stream ends after `messages` (streams mode closes the stream instead). */
  end?: true;
  /** The sender's stream fails after `messages`. */
  error?: WireError;
  /** Port mode: the receiver of this packet may send this many more messages. */
  credit?: number;
  /** Responses: the handler's response headers, with the first packet that carries messages (or the last). */
  headers?: Record<string, string>;
  /** Responses: the handler's response trailers, with the last packet. */
  trailers?: Record<string, string>;
  /** Port mode: the sender of this packet stops reading what its peer sends. */
  cancel?: WireError;
}

/** Window → worker: open a call. */
export interface OpenMessage {
  [BRIDGE_TAG]: "open";
  id: number;
  path: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Messages either side may have in flight per direction: the stream's queue, or the initial credit. */
  window: number;
  /** The most messages one packet carries. */
  maxBatch: number;
  /** Both directions cross as binary batches: the worker announced it has this method's codecs. */
  binary?: boolean;
  /** Streams mode: the request packets. */
  requests?: ReadableStream<Packet>;
  /** Port mode: the call's own port. */
  port?: MessagePort;
}

/** Worker → window, streams mode: the response packets of call `id`. */
export interface ReplyMessage {
  [BRIDGE_TAG]: "reply";
  id: number;
  responses: ReadableStream<Packet>;
}

/** Window → worker "are you there", worker → window "serving": no call is posted before the worker serves. */
export interface HelloMessage {
  [BRIDGE_TAG]: "hello" | "ready";
  /** With "ready": the paths whose codecs the worker has, so their calls may cross as binary batches. */
  binary?: string[];
  /** With "ready": the state of the worker's connection to its host, if it relays one (serveBridge's `connection`). */
  state?: WireConnectionState;
}

/** Worker → window: the state of the worker's connection to its host changed. */
export interface StateMessage {
  [BRIDGE_TAG]: "state";
  state: WireConnectionState;
}

export type BridgeMessage = OpenMessage | ReplyMessage | HelloMessage | StateMessage;

/** A ConnectionState as it crosses: its error as a WireError. */
export type WireConnectionState =
  | { kind: "connecting" | "live" }
  | { kind: "reconnecting"; attempt: number; error: WireError; since: number }
  | { kind: "offline"; error: WireError; since: number };

export function connectionStateToWire(state: ConnectionState): WireConnectionState {
  if (state.kind === "connecting" || state.kind === "live") return { kind: state.kind };
  const error = toWire(state.error);
  return state.kind === "reconnecting" ? { kind: state.kind, attempt: state.attempt, error, since: state.since } : { kind: state.kind, error, since: state.since };
}

/** A peer's state; undefined if it is not a well-formed one. */
export function connectionStateFromWire(wire: unknown): ConnectionState | undefined {
  const w = wire as Partial<{ kind: string; attempt: number; error: unknown; since: number }> | null;
  if (typeof w !== "object" || w === null) return undefined;
  if (w.kind === "connecting" || w.kind === "live") return { kind: w.kind };
  if ((w.kind !== "reconnecting" && w.kind !== "offline") || typeof w.since !== "number") return undefined;
  const error = fromWire(w.error);
  if (w.kind === "offline") return { kind: "offline", error, since: w.since };
  return Number.isSafeInteger(w.attempt) && w.attempt! >= 1 ? { kind: "reconnecting", attempt: w.attempt!, error, since: w.since } : undefined;
}

export interface BridgeLimits {
  window: number;
  maxBatch: number;
}

export const DEFAULT_LIMITS: BridgeLimits = { window: 4096, maxBatch: 512 };
/** Bounds on what a window may ask a worker to buffer per call. */
export const MAX_WINDOW = 1 << 20;

/** Messages in a packet, whichever way they are carried. */
export function packetCount(packet: Packet<unknown>): number {
  return packet.count ?? packet.messages?.length ?? 0;
}

/** The bridge message in `data`, or undefined for other traffic on the endpoint. */
export function bridgeMessage(data: unknown): BridgeMessage | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  return typeof (data as Record<string, unknown>)[BRIDGE_TAG] === "string" ? (data as BridgeMessage) : undefined;
}

/** Checks window and batch sizes (the window's options, or what an open message asks for). */
export function checkLimits(limits: Partial<BridgeLimits>): BridgeLimits {
  const window = limits.window ?? DEFAULT_LIMITS.window;
  const maxBatch = limits.maxBatch ?? Math.min(DEFAULT_LIMITS.maxBatch, window);
  if (!Number.isInteger(window) || window < 1 || window > MAX_WINDOW) {
    throw new StreampathError(Code.InvalidArgument, `bridge window must be an integer from 1 to ${MAX_WINDOW}, got ${window}`);
  }
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > window) {
    throw new StreampathError(Code.InvalidArgument, `bridge maxBatch must be an integer from 1 to the window (${window}), got ${maxBatch}`);
  }
  return { window, maxBatch };
}

export function toWire(error: unknown): WireError {
  const e = StreampathError.from(error);
  return e.details.length > 0 ? { code: e.code, message: e.message, details: [...e.details] } : { code: e.code, message: e.message };
}

/** A peer's error; anything that is not a well-formed one becomes Internal, saying so. */
export function fromWire(wire: unknown): StreampathError {
  const w = wire as Partial<WireError> | null;
  if (typeof w === "object" && w !== null && Number.isInteger(w.code) && typeof w.message === "string") {
    const code = w.code! >= Code.Canceled && w.code! <= Code.Unauthenticated ? (w.code as Code) : Code.Unknown;
    const details = Array.isArray(w.details)
      ? w.details.filter((d): d is ErrorDetail => typeof d?.type === "string" && d.value instanceof Uint8Array)
      : [];
    return new StreampathError(code, w.message, { details });
  }
  return new StreampathError(Code.Internal, `the bridge peer sent a malformed error: ${String(wire).slice(0, 80)}`);
}

/** A failure of the channel itself (a message that cannot be cloned, a realm that went away). */
export function transportError(error: unknown): StreampathError {
  if (error instanceof StreampathError) return error;
  if (error instanceof Error && error.name === "DataCloneError") {
    return new StreampathError(Code.InvalidArgument, `a message could not cross the bridge: ${error.message}`, { cause: error });
  }
  return StreampathError.from(error, Code.Unavailable);
}

let transferable: boolean | undefined;

/** Whether this realm can transfer a ReadableStream through postMessage (tested once). */
export function canTransferStreams(): boolean {
  if (transferable !== undefined) return transferable;
  try {
    const stream = new ReadableStream();
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(stream, [stream as unknown as Transferable]);
      transferable = true;
    } finally {
      port1.close();
      port2.close();
    }
  } catch {
    transferable = false;
  }
  return transferable;
}

/** The string-valued entries of `value` (headers or trailers a peer sent), or undefined if it is no object. */
export function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === "string") out[key] = v;
  return out;
}
