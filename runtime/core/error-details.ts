/**
 * Error details as the wire carries them: `google.rpc.Status` in gRPC's
 * `grpc-status-details-bin`, and Connect's JSON `details` array. The three
 * messages involved (Status, Any) are tiny, so they are read and written here
 * by hand rather than generated: the runtime must not depend on a schema.
 */
import { type ErrorDetail, Code, StreampathError } from "./error.js";
import type { MessageCodec } from "./message.js";
import { BinaryReader } from "./reader.js";
import { BinaryWriter } from "./writer.js";

const TYPE_URL_PREFIX = "type.googleapis.com/";

/** A detail carrying `message`, for `new StreampathError(code, text, { details: [...] })`. */
export function errorDetail<T>(codec: MessageCodec<T>, message: T): ErrorDetail {
  return { type: codec.typeName, value: codec.encode(message) };
}

/** The details of `error` that are `codec`'s type, decoded (none if `error` is no StreampathError). */
export function findDetails<T>(error: unknown, codec: MessageCodec<T>): T[] {
  if (!(error instanceof StreampathError)) return [];
  return error.details.filter((d) => d.type === codec.typeName).map((d) => codec.decode(d.value));
}

/** `google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; }` */
export function encodeStatus(error: StreampathError): Uint8Array {
  const w = new BinaryWriter(64);
  if (error.code !== Code.Ok) {
    w.uint32((1 << 3) | 0);
    w.int32(error.code);
  }
  if (error.message) {
    w.uint32((2 << 3) | 2);
    w.string(error.message);
  }
  for (const detail of error.details) {
    w.uint32((3 << 3) | 2);
    const start = w.fork();
    w.uint32((1 << 3) | 2);
    w.string(TYPE_URL_PREFIX + detail.type);
    w.uint32((2 << 3) | 2);
    w.bytes(detail.value);
    w.join(start);
  }
  return w.finish();
}

/** The details of an encoded `google.rpc.Status`; unknown fields are skipped. */
export function decodeStatusDetails(bytes: Uint8Array): ErrorDetail[] {
  const r = new BinaryReader(bytes);
  const details: ErrorDetail[] = [];
  r.enterAll();
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((3 << 3) | 2)) {
      const end = r.enter();
      let type = "";
      let value: Uint8Array = new Uint8Array(0);
      while (r.pos < end) {
        const inner = r.uint32();
        if (inner === ((1 << 3) | 2)) type = r.string();
        else if (inner === ((2 << 3) | 2)) value = r.bytes();
        else r.skipValue(inner & 7, inner >>> 3, "google.protobuf.Any");
      }
      r.leave(end);
      details.push({ type: type.slice(type.lastIndexOf("/") + 1), value });
    } else r.skipValue(tag & 7, tag >>> 3, "google.rpc.Status");
  }
  return details;
}

/** Connect's JSON form: `{ type, value }` with `value` in base64 without padding. */
export function detailsToJson(details: readonly ErrorDetail[]): { type: string; value: string }[] {
  return details.map((d) => ({ type: d.type, value: toBase64(d.value).replace(/=+$/, "") }));
}

/** Connect's JSON details back; entries that are not `{ type, value }` strings are dropped. */
export function detailsFromJson(json: unknown): ErrorDetail[] {
  if (!Array.isArray(json)) return [];
  const details: ErrorDetail[] = [];
  for (const item of json) {
    if (typeof item !== "object" || item === null) continue;
    const { type, value } = item as { type?: unknown; value?: unknown };
    if (typeof type === "string" && typeof value === "string") details.push({ type, value: fromBase64(value) });
  }
  return details;
}

/** Standard base64 with padding (browsers and Node both have btoa). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Standard or URL-safe base64, padded or not. Throws InvalidArgument on anything else. */
export function fromBase64(text: string): Uint8Array {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  let binary: string;
  try {
    binary = atob(standard + "===".slice((standard.length + 3) % 4));
  } catch {
    throw new StreampathError(Code.InvalidArgument, "invalid base64");
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
