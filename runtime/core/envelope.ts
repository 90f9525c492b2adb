/**
 * The length-prefixed envelope that gRPC and Connect frame every message in:
 * `flags:u8 | length:u32be | payload`. One format for every HTTP/2 stream
 * streampath speaks (see DESIGN.md, Wire).
 */
import { allocBytes } from "./bytes.js";
import { Code, StreampathError } from "./error.js";

/** Flag bits of the first header byte. The decoder passes flags through; callers interpret them. */
export const EnvelopeFlag = {
  /** The payload is compressed with the stream's negotiated encoding. */
  Compressed: 0x01,
  /** Connect: the last envelope of a response, carrying JSON trailers. */
  EndStream: 0x02,
} as const;

/** Bytes of the `flags | length` header. */
export const ENVELOPE_HEADER_BYTES = 5;

/** The largest payload the 32-bit length field can describe. */
const MAX_LENGTH = 0xffffffff;

export interface Envelope {
  flags: number;
  data: Uint8Array;
}

/**
 * One envelope's payload, `bytes[start, end)`, valid while the visitor runs,
 * unless `owned`: then `bytes` is a buffer the decoder made for this envelope
 * alone (it arrived split across chunks) and forgets at once, so what is read
 * from it may keep views of it (see `decodeAt`).
 */
export type EnvelopeVisitor = (flags: number, bytes: Uint8Array, start: number, end: number, owned: boolean) => void;

/**
 * Writes the 5-byte header at `offset` (room must exist). Shared with
 * EnvelopeBatch, which writes headers in place into its own buffer.
 */
export function writeEnvelopeHeader(target: Uint8Array, offset: number, flags: number, length: number): void {
  if ((flags & 0xff) !== flags) {
    throw new StreampathError(Code.Internal, `envelope flags must fit in one byte, got ${flags}`);
  }
  if (length > MAX_LENGTH) {
    throw new StreampathError(
      Code.ResourceExhausted,
      `message of ${length} bytes exceeds the envelope limit of ${MAX_LENGTH} bytes`,
    );
  }
  target[offset] = flags;
  target[offset + 1] = length >>> 24;
  target[offset + 2] = length >>> 16;
  target[offset + 3] = length >>> 8;
  target[offset + 4] = length;
}

/** One envelope in a fresh buffer. To write many at once, use EnvelopeBatch. */
export function encodeEnvelope(flags: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + data.length);
  writeEnvelopeHeader(out, 0, flags, data.length);
  out.set(data, ENVELOPE_HEADER_BYTES);
  return out;
}

/** `buf[at, at + 4)` as an unsigned big-endian integer (multiplying keeps it unsigned): an envelope's length at its header + 1. */
export function readLength(buf: Uint8Array, at: number): number {
  return buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}

/**
 * Incremental decoder: feed the chunks of a stream as they arrive, of any
 * size and split anywhere, and get back the envelopes they complete, in order.
 *
 * Memory: an envelope that lies whole inside one chunk is returned as a view
 * of that chunk (no copy), so the chunk must not be reused or overwritten
 * while the envelope's data is in use; Node streams and fetch body readers
 * hand out a fresh chunk per read, so this holds for them, but a caller that
 * recycles buffers (a BYOB reader, a pool) must copy. Such a view also keeps
 * the whole chunk alive. An envelope split across chunks is copied into one
 * buffer of exactly its size, allocated when its header is complete, which
 * it hands over (an `owned` visit, or its `data`). The
 * decoder keeps no reference to a chunk after `decode()` returns. Returned
 * data is always a plain Uint8Array, never a Node Buffer, whose `slice`
 * would share memory where Uint8Array's copies.
 *
 * A declared length above `maxMessageBytes` throws ResourceExhausted as soon
 * as its header is complete, before anything of that size is allocated. A
 * fault throws at once: envelopes completed earlier in the same chunk are
 * dropped with it, since the stream is unusable from there on. After a fault
 * every call throws the same error.
 */
export class EnvelopeDecoder {
  private readonly maxMessageBytes: number;
  /** A header split across chunks; `headerFilled` bytes of it are known. */
  private header: Uint8Array | undefined; // made when a header first splits: an idle stream holds none
  private headerFilled = 0;
  /** The payload of an envelope split across chunks, once its header is complete. */
  private body: Uint8Array | undefined;
  private bodyFilled = 0;
  private bodyFlags = 0;
  private failure: StreampathError | undefined;

  constructor(options: { maxMessageBytes: number }) {
    const max = options.maxMessageBytes;
    if (!Number.isInteger(max) || max < 0) {
      throw new StreampathError(Code.InvalidArgument, `maxMessageBytes must be a non-negative integer, got ${max}`);
    }
    this.maxMessageBytes = max;
  }

  /** Bytes received that belong to an envelope not yet complete. */
  get buffered(): number {
    return this.body !== undefined ? ENVELOPE_HEADER_BYTES + this.bodyFilled : this.headerFilled;
  }

  /** The envelopes `chunk` completes, in stream order; often none, possibly many. */
  decode(chunk: Uint8Array): Envelope[] {
    const out: Envelope[] = [];
    this.each(chunk, (flags, bytes, start, end) => {
      const data = start === 0 && end === bytes.length ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
      out.push({ flags, data });
    });
    return out;
  }

  /**
   * Calls `visit` for each envelope `chunk` completes, in stream order, with
   * where its payload lies: `bytes[start, end)`, which is the chunk itself
   * for an envelope whole inside it. Read it before `visit` returns (decode
   * it in place with `new BinaryReader(bytes, start, end)`): no view or
   * object is made per envelope, which for small messages costs as much as
   * decoding them. A fault, or an error `visit` throws, ends the decoder as
   * in `decode`, but envelopes visited before it stay visited.
   */
  each(chunk: Uint8Array, visit: EnvelopeVisitor): void {
    if (this.failure !== undefined) throw this.failure;
    // A Node Buffer is read through a plain view of it, one per chunk: copying a field out
    // of a Buffer takes 2–3× as long (its subarray builds another Buffer), per field.
    if (chunk.constructor !== Uint8Array) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = chunk.length;
    let pos = 0;
    try {
      while (pos < end) {
        if (this.body !== undefined) {
          pos = this.continueBody(chunk, pos, visit);
          continue;
        }
        let flags: number;
        let length: number;
        if (this.headerFilled === 0 && end - pos >= ENVELOPE_HEADER_BYTES) {
          // The common case: the header lies whole in this chunk.
          flags = chunk[pos];
          length = readLength(chunk, pos + 1);
          pos += ENVELOPE_HEADER_BYTES;
        } else {
          const header = (this.header ??= new Uint8Array(ENVELOPE_HEADER_BYTES));
          while (this.headerFilled < ENVELOPE_HEADER_BYTES && pos < end)
            header[this.headerFilled++] = chunk[pos++];
          if (this.headerFilled < ENVELOPE_HEADER_BYTES) break;
          this.headerFilled = 0;
          flags = header[0];
          length = readLength(header, 1);
        }
        if (length > this.maxMessageBytes) {
          throw new StreampathError(
            Code.ResourceExhausted,
            `message of ${length} bytes exceeds the limit of ${this.maxMessageBytes} bytes`,
          );
        }
        if (end - pos >= length) {
          pos += length;
          visit(flags, chunk, pos - length, pos, false);
        } else {
          this.body = allocBytes(length);
          this.bodyFilled = 0;
          this.bodyFlags = flags;
        }
      }
    } catch (error) {
      throw (this.failure = StreampathError.from(error, Code.Internal));
    }
  }

  /** Copies what `chunk` holds of the split envelope; returns the new position. */
  private continueBody(chunk: Uint8Array, pos: number, visit: EnvelopeVisitor): number {
    const body = this.body!;
    const n = Math.min(body.length - this.bodyFilled, chunk.length - pos);
    body.set(chunk.subarray(pos, pos + n), this.bodyFilled);
    this.bodyFilled += n;
    if (this.bodyFilled === body.length) {
      this.body = undefined;
      this.bodyFilled = 0;
      visit(this.bodyFlags, body, 0, body.length, true);
    }
    return pos + n;
  }

  /** Call at the end of the stream: throws if it ended inside an envelope. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    const got = this.buffered;
    if (got === 0) return;
    const want = this.body !== undefined ? ENVELOPE_HEADER_BYTES + this.body.length : ENVELOPE_HEADER_BYTES;
    this.body = undefined;
    throw (this.failure = new StreampathError(
      Code.Internal,
      `stream ended inside an envelope: got ${got} of ${want} bytes`,
    ));
  }
}
