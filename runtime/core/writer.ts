import { allocBytes, copyBytes, encodeUtf8Into } from "./bytes.js";
import { Code, StreampathError } from "./error.js";
import { ASCII_IN_JS, SHORT_STRING, writeAscii, writeShortUtf8 } from "./utf8.js";

const TWO_32 = 4294967296;

/** Bytes a varint of the unsigned 32-bit `n` takes. */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/**
 * Room every method leaves free past `pos`: generated code stores a field's
 * tag (at most 5 bytes) straight into `buf` with `tag`/`tag2`, with no
 * capacity check, and the field's value then goes through a method, which
 * makes the room again. Tags through `uint32` instead cost 4–8 % of
 * encoding bench:codec's Small message.
 */
export const HEADROOM = 16;

/**
 * Protobuf binary writer over one growing buffer. Nested messages reserve a
 * one-byte length and shift their bytes right in the rare case the length
 * needs more, so a message is written in a single pass with no per-field
 * allocation, then copied out once by `finish()`. Every method leaves
 * `HEADROOM` bytes free past `pos` for the next tag.
 */
export class BinaryWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  constructor(initialSize = 1024) {
    // Not zero-filled: nothing reads a byte before it is written.
    this.buf = allocBytes(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** A writer that fills `buf` (a plain Uint8Array at offset 0) from its start. */
  static over(buf: Uint8Array): BinaryWriter {
    const w = new BinaryWriter(0);
    w.buf = buf;
    w.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return w;
  }

  /** Makes room for `n` more bytes (and the headroom after them). */
  ensure(n: number): void {
    if (this.pos + n + HEADROOM > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    this.checkEnd();
    let size = Math.max(this.buf.length * 2, 64);
    while (size < this.pos + n + HEADROOM) size *= 2;
    const next = allocBytes(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** The written bytes, copied out so this writer can be reused. */
  finish(): Uint8Array {
    this.checkEnd();
    return copyBytes(this.buf, 0, this.pos);
  }

  /**
   * Throws if a tag was stored past the buffer's end: code writing into this
   * writer did not keep `HEADROOM` (a bug in streampath, never bad input),
   * and the stores there were dropped. Called before the bytes are used.
   */
  checkEnd(): void {
    if (this.pos > this.buf.length)
      throw new StreampathError(Code.Internal, `BinaryWriter: written past its buffer (${this.pos} > ${this.buf.length}): headroom not kept`);
  }

  /** A one-byte tag, into the headroom the last method left. */
  tag(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** A two-byte tag (fields 16 to 2047), into the headroom. */
  tag2(b0: number, b1: number): void {
    const pos = this.pos;
    this.buf[pos] = b0;
    this.buf[pos + 1] = b1;
    this.pos = pos + 2;
  }

  reset(): void {
    this.pos = 0;
  }

  uint32(n: number): void {
    if (this.pos + 5 + HEADROOM > this.buf.length) this.grow(5);
    const buf = this.buf;
    let pos = this.pos;
    n >>>= 0;
    while (n > 127) {
      buf[pos++] = (n & 127) | 128;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  int32(n: number): void {
    if (n >= 0) this.uint32(n);
    else this.varint64(n >>> 0, 0xffffffff);
  }

  sint32(n: number): void {
    this.uint32((n << 1) ^ (n >> 31));
  }

  bool(b: boolean): void {
    if (this.pos + 1 + HEADROOM > this.buf.length) this.grow(1);
    this.buf[this.pos++] = b ? 1 : 0;
  }

  fixed32(n: number): void {
    if (this.pos + 4 + HEADROOM > this.buf.length) this.grow(4);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = n;
    buf[pos + 1] = n >>> 8;
    buf[pos + 2] = n >>> 16;
    buf[pos + 3] = n >>> 24;
    this.pos = pos + 4;
  }

  sfixed32(n: number): void {
    this.fixed32(n);
  }

  float(n: number): void {
    if (this.pos + 4 + HEADROOM > this.buf.length) this.grow(4);
    this.view.setFloat32(this.pos, n, true);
    this.pos += 4;
  }

  double(n: number): void {
    if (this.pos + 8 + HEADROOM > this.buf.length) this.grow(8);
    this.view.setFloat64(this.pos, n, true);
    this.pos += 8;
  }

  /** Writes a 64-bit varint from its low and high 32 bits (unsigned). */
  varint64(lo: number, hi: number): void {
    if (this.pos + 10 + HEADROOM > this.buf.length) this.grow(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi > 0) {
      buf[pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  int64(v: bigint): void {
    const n = Number(v);
    if (n >= 0 && n < TWO_32) this.uint32(n);
    else {
      split64(v, n);
      this.varint64(lo32, hi32);
    }
  }

  uint64(v: bigint): void {
    this.int64(v);
  }

  sint64(v: bigint): void {
    const n = Number(v);
    if (n >= -1073741824 && n < 1073741824) {
      this.uint32((n << 1) ^ (n >> 31));
      return;
    }
    split64(v, n);
    const sign = hi32 >> 31;
    const hi = (((hi32 << 1) | (lo32 >>> 31)) ^ sign) >>> 0;
    const lo = ((lo32 << 1) ^ sign) >>> 0;
    this.varint64(lo, hi);
  }

  fixed64(v: bigint): void {
    split64(v, Number(v));
    const lo = lo32;
    const hi = hi32;
    this.fixed32(lo);
    this.fixed32(hi);
  }

  sfixed64(v: bigint): void {
    this.fixed64(v);
  }

  string(s: string): void {
    const n = s.length;
    if (n <= 42) {
      // At most 126 bytes: the length always fits one byte.
      if (this.pos + 1 + n * 3 + HEADROOM > this.buf.length) this.grow(1 + n * 3);
      const buf = this.buf;
      const start = this.pos;
      let end: number;
      if (n < ASCII_IN_JS) {
        const ascii = writeAscii(buf, start + 1, s);
        if (ascii === n) end = start + 1 + n;
        else if (n < SHORT_STRING) end = writeShortUtf8(buf, start + 1 + ascii, s, ascii);
        else end = start + 1 + encodeUtf8Into(buf, start + 1, s);
      } else {
        end = start + 1 + encodeUtf8Into(buf, start + 1, s);
      }
      buf[start] = end - start - 1;
      this.pos = end;
      return;
    }
    const max = n * 3;
    const reserved = varintSize(max);
    this.ensure(reserved + max);
    const start = this.pos;
    const written = encodeUtf8Into(this.buf, start + reserved, s);
    this.finishLength(start, reserved, written);
  }

  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Bytes written as they are: unknown fields kept from a decode. */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Starts a length-delimited field; pass the result to `join`. */
  fork(): number {
    if (this.pos + 1 + HEADROOM > this.buf.length) this.grow(1);
    return this.pos++;
  }

  /** Ends a length-delimited field started at `start` by `fork`. */
  join(start: number): void {
    const length = this.pos - start - 1;
    if (length < 128) this.buf[start] = length;
    else this.finishLength(start, 1, length);
  }

  /**
   * The bytes at `start + reserved` are `length` long: write the varint
   * length at `start`, moving the bytes if it is not `reserved` bytes long.
   */
  private finishLength(start: number, reserved: number, length: number): void {
    const size = varintSize(length);
    if (size !== reserved) {
      this.ensure(size - reserved);
      this.buf.copyWithin(start + size, start + reserved, start + reserved + length);
    }
    const buf = this.buf;
    let pos = start;
    let n = length;
    while (n > 127) {
      buf[pos++] = (n & 127) | 128;
      n >>>= 7;
    }
    buf[pos] = n;
    this.pos = start + size + length;
  }
}

// split64 results, kept in module scope so the hot path allocates nothing.
let lo32 = 0;
let hi32 = 0;

/** Splits a 64-bit integer into unsigned low/high halves (two's complement). */
function split64(v: bigint, n: number): void {
  if (Number.isSafeInteger(n)) {
    const abs = Math.abs(n);
    let lo = abs >>> 0;
    let hi = Math.floor(abs / TWO_32) >>> 0;
    if (n < 0) {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
      if (++lo > 0xffffffff) {
        lo = 0;
        hi = (hi + 1) >>> 0;
      }
    }
    lo32 = lo;
    hi32 = hi;
    return;
  }
  const u = BigInt.asUintN(64, v);
  lo32 = Number(u & 0xffffffffn);
  hi32 = Number(u >> 32n);
}

let shared: BinaryWriter | undefined;
let sharedBusy = false;

/**
 * Runs `write` against a reusable writer and returns a copy of the bytes.
 * Nested use (an encode inside an encode) gets a writer of its own.
 */
export function encodeWith<T>(message: T, write: (message: T, w: BinaryWriter) => void): Uint8Array {
  if (sharedBusy) {
    const w = new BinaryWriter(256);
    write(message, w);
    return w.finish();
  }
  const w = (shared ??= new BinaryWriter(4096));
  sharedBusy = true;
  try {
    w.pos = 0;
    write(message, w);
    return w.finish();
  } finally {
    sharedBusy = false;
    // Let one huge message's buffer go rather than keeping it forever.
    if (w.buf.length > 1 << 20) shared = undefined;
  }
}
