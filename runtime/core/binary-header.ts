/**
 * Binary metadata. gRPC sends the value of a header whose name ends in
 * `-bin` as base64 (padded or not; several values joined by commas), and
 * every protocol streampath speaks carries it that way; headers reach a
 * handler as the strings they were on the wire. These read and write them.
 */
import { fromBase64, toBase64 } from "./error-details.js";

/**
 * The bytes of a `-bin` header, one array per value (`undefined` if the
 * header is absent). Throws InvalidArgument for a value that is not base64.
 */
export function readBinaryHeader(headers: Record<string, string | string[] | undefined>, name: string): Uint8Array[] | undefined {
  const raw = headers[name.toLowerCase()];
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => v.split(","));
  return values.map((v) => fromBase64(v.trim()));
}

/** A value for a `-bin` header (`context.responseHeaders["x-trace-bin"] = binaryHeaderValue(bytes)`). */
export function binaryHeaderValue(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/=+$/, "");
}
