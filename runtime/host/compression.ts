/**
 * Message compression (gzip and br, with node:zlib), and the limit on what a
 * compressed message may expand to: checked while inflating, so a small body
 * that would inflate to gigabytes stops at the limit, never allocated whole.
 */
import zlib from "node:zlib";
import { Code, StreampathError } from "../core/error.js";
import { Slots } from "../core/slots.js";

export type Encoding = "gzip" | "br";

/** What a host accepts, for `grpc-accept-encoding` and Connect's accept headers (no spaces: grpc-js splits on "," alone). */
export const ACCEPTED_ENCODINGS = "gzip,br";

/**
 * Messages inflated at once, in this process. Each holds up to the message
 * limit of output and its decoder's window (br: up to 16 MiB, chosen by the
 * sender), so without a bound a client's many small bombs at once would add
 * those up; more wait their turn. zlib's work runs on libuv's 4 threads anyway.
 */
const INFLATING = new Slots(4);

/**
 * The encoding a request's header names: `identity` (or none) is undefined;
 * one the host cannot read throws Unimplemented, naming those it can.
 */
export function requestEncoding(header: string | string[] | undefined, name: string): Encoding | undefined {
  const value = typeof header === "string" ? header.trim().toLowerCase() : undefined;
  if (!value || value === "identity") return undefined;
  if (value === "gzip" || value === "br") return value;
  throw new StreampathError(Code.Unimplemented, `${name} ${value} is not supported: use one of identity, gzip, br`);
}

/** The first encoding of an accept header (`gzip, br;q=0.5`) this host can write, if any. */
export function acceptedEncoding(header: string | string[] | undefined): Encoding | undefined {
  if (typeof header !== "string") return undefined;
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    if (name === "gzip" || name === "br") return name;
  }
  return undefined;
}

const inflate = (encoding: Encoding, bytes: Uint8Array, maxOutputLength: number) =>
  new Promise<Buffer>((resolve, reject) => {
    const done = (error: Error | null, out: Buffer) => (error ? reject(error) : resolve(out));
    if (encoding === "gzip") zlib.gunzip(bytes, { maxOutputLength }, done);
    else zlib.brotliDecompress(bytes, { maxOutputLength }, done);
  });

/**
 * `bytes` decompressed, once one of the INFLATING slots is free (or the
 * call's `signal` aborts). More than `limit` bytes out fails ResourceExhausted
 * as soon as inflating passes the limit; bytes that are not `encoding` fail
 * InvalidArgument.
 */
export async function decompress(encoding: Encoding, bytes: Uint8Array, limit: number, signal: AbortSignal): Promise<Uint8Array> {
  const release = await INFLATING.acquire(signal);
  try {
    const out = await inflate(encoding, bytes, Math.max(1, limit));
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new StreampathError(Code.ResourceExhausted, `message decompresses to more than the limit of ${limit} bytes`);
    }
    throw new StreampathError(Code.InvalidArgument, `cannot decompress ${encoding}: ${(error as Error).message}`);
  } finally {
    release();
  }
}

export function compress(encoding: Encoding, bytes: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, out: Buffer) =>
      error ? reject(error) : resolve(new Uint8Array(out.buffer, out.byteOffset, out.length));
    if (encoding === "gzip") zlib.gzip(bytes, done);
    else zlib.brotliCompress(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }, done);
  });
}
