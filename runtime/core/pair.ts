/**
 * The pair protocol's wire vocabulary (docs/protocol.md, "The pair"):
 * headers, envelope kinds, control and end payloads, and the windows the
 * headers announce. The two ends of one direction, which number, keep,
 * count and acknowledge envelopes, are in pair-window.ts. Host and guest
 * use both.
 */
import { encodeEnvelope } from "./envelope.js";
import { Code, StreampathError, codeFromName, codeName } from "./error.js";
import { detailsFromJson, detailsToJson } from "./error-details.js";

export const PAIR_CONTENT_TYPE = "application/streampath-pair+proto";

export const PairHeader = {
  /** `down`, `up` or `batch`. */
  half: "streampath-half",
  id: "streampath-pair-id",
  /** The sender of this header's receive window, in data envelopes. */
  window: "streampath-window",
  /** The same in bytes of numbered envelopes (headers included); absent: no byte limit. */
  windowBytes: "streampath-window-bytes",
  /** Data envelopes received so far from the other side (resume). */
  received: "streampath-received",
  /** An up request or a fallback batch: sequence number of its first numbered envelope. */
  firstSeq: "streampath-first-seq",
  /** On a down response: the longest the host stays silent on it, in ms (it sends an empty control then). */
  heartbeat: "streampath-heartbeat",
} as const;

/** Envelope flags on pair streams. Data envelopes have none. */
export const PairFlag = {
  /** The last numbered envelope of a direction; JSON payload. */
  End: 0x02,
  /** Acknowledgement and credit; not numbered; JSON payload. */
  Control: 0x04,
} as const;

/**
 * What a control envelope says: `ack` envelopes received; send up to
 * sequence number `limit`, and start no envelope once the bytes of numbered
 * envelopes sent reach `limitBytes`.
 */
export interface Control {
  ack?: number;
  limit?: number;
  limitBytes?: number;
  /** Host to guest: an up stream (or batch) of this pair reached the host since the down opened. */
  joined?: boolean;
}

/**
 * Throws unless `flags` is one of the pair's envelope kinds: data (0), end or
 * control. Compression is refused (internal, as on every streampath stream);
 * any other bit is a protocol error, not data.
 */
export function checkPairFlags(flags: number): void {
  if (flags === 0 || flags === PairFlag.End || flags === PairFlag.Control) return;
  if (flags & 0x01) throw new StreampathError(Code.Internal, "pair: compressed envelopes are not supported (identity only)");
  throw new StreampathError(Code.InvalidArgument, `pair: envelope flags 0x${flags.toString(16).padStart(2, "0")} are none of data, end (0x02) or control (0x04)`);
}

const text = new TextEncoder();
const untext = new TextDecoder();

function count(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new StreampathError(Code.InvalidArgument, `pair control: ${what} must be a non-negative integer`);
  }
  return value;
}

export function encodeControl(control: Control): Uint8Array {
  return encodeEnvelope(PairFlag.Control, text.encode(JSON.stringify(control)));
}

export function parseControl(payload: Uint8Array): Control {
  let json: { ack?: unknown; limit?: unknown; limitBytes?: unknown; joined?: unknown };
  try {
    json = JSON.parse(untext.decode(payload));
  } catch {
    throw new StreampathError(Code.InvalidArgument, "pair control: payload is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new StreampathError(Code.InvalidArgument, "pair control: not an object");
  if (json.joined !== undefined && typeof json.joined !== "boolean") throw new StreampathError(Code.InvalidArgument, "pair control: joined must be a boolean");
  const control: Control = { ack: count(json.ack, "ack"), limit: count(json.limit, "limit"), limitBytes: count(json.limitBytes, "limitBytes") };
  if (json.joined) control.joined = true;
  return control;
}

/** The end of a direction: Connect's end-stream JSON, `{}` for success. */
export function endPayload(error?: StreampathError, metadata: Record<string, string> = {}): Uint8Array {
  const entries = Object.entries(metadata);
  return text.encode(
    JSON.stringify({
      ...(error ? { error: { code: codeName(error.code), message: error.message, ...(error.details.length ? { details: detailsToJson(error.details) } : {}) } } : {}),
      ...(entries.length ? { metadata: Object.fromEntries(entries.map(([k, v]) => [k, [v]])) } : {}),
    }),
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The error an end payload carries, if any, and its metadata. Anything but
 * Connect's end-stream shape (an object; `error` an object with a string
 * `code`; `metadata` an object of string arrays) is refused as `internal`.
 */
export function parseEnd(payload: Uint8Array): { error?: StreampathError; metadata: Record<string, string[]> } {
  if (payload.length === 0) return { metadata: {} };
  let json: unknown;
  try {
    json = JSON.parse(untext.decode(payload));
  } catch {
    throw new StreampathError(Code.Internal, "pair end: payload is not JSON");
  }
  if (!isRecord(json)) throw new StreampathError(Code.Internal, "pair end: payload is not a JSON object");
  const metadata = json.metadata ?? {};
  if (!isRecord(metadata) || !Object.values(metadata).every((v) => Array.isArray(v) && v.every((s) => typeof s === "string"))) {
    throw new StreampathError(Code.Internal, "pair end: metadata must be an object of string arrays");
  }
  const error = json.error;
  if (error === undefined || error === null) return { metadata: metadata as Record<string, string[]> };
  if (!isRecord(error)) throw new StreampathError(Code.Internal, "pair end: error must be an object");
  const code = typeof error.code === "string" ? codeFromName(error.code) : undefined;
  const message = typeof error.message === "string" ? error.message : "";
  return { error: new StreampathError(code ?? Code.Unknown, message, { details: detailsFromJson(error.details) }), metadata: metadata as Record<string, string[]> };
}

/** A direction's credit limits, in envelopes and in bytes (Infinity: none). */
export interface PairWindow {
  readonly messages: number;
  readonly bytes: number;
}

/** The headers announcing a window (the byte limit only when there is one). */
export function windowHeaders(window: PairWindow): Record<string, string> {
  const headers: Record<string, string> = { [PairHeader.window]: String(window.messages) };
  if (Number.isFinite(window.bytes)) headers[PairHeader.windowBytes] = String(window.bytes);
  return headers;
}

/** The window announced in headers; undefined if malformed. No byte header: no byte limit. */
export function windowOf(header: (name: string) => string | undefined): PairWindow | undefined {
  // Digits only: Number() would also take "Infinity", "1e400", " 0x10 " and the like.
  const count = (value: string | undefined) => (value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : NaN);
  const messages = count(header(PairHeader.window));
  const bytesHeader = header(PairHeader.windowBytes);
  const bytes = bytesHeader === undefined ? Infinity : count(bytesHeader);
  if (!(messages >= 1) || !(bytes >= 1)) return undefined;
  return { messages, bytes };
}
