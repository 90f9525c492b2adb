import { Code, StreampathError } from "./error.js";
import { copyBytes, decodeUtf8 } from "./bytes.js";
import { recentKey } from "./map-keys.js";

const TWO_32 = 4294967296;

/** Wire types of the protobuf binary format. */
export const enum WireType {
  Varint = 0,
  Bit64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Bit32 = 5,
}

/** How deep messages may nest before decoding refuses (as protobuf C++ does). */
export const MAX_DEPTH = 100;

/**
 * Protobuf binary reader. Every read checks the buffer's end, and every
 * length is checked against the bytes that remain before anything is
 * allocated, so malformed input fails with a DecodeError instead of reading
 * garbage, hanging, or allocating what a hostile length prefix asks for.
 */
export class BinaryReader {
  readonly buf: Uint8Array;
  pos: number;
  /** Reading stops here: the end of the buffer, or of the one message in it. */
  readonly len: number;
  /** Where the message starts in `buf`: positions in errors count from here. */
  private readonly start: number;
  private depth = 0;

  /**
   * Reads `buf[start, end)`: a message that lies inside a bigger buffer (one
   * envelope of a chunk) is read in place, without a view made for it.
   */
  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = this.start = start;
    this.len = end;
  }

  /** Throws the decode error, saying where in the message it happened. */
  fail(message: string): never {
    throw new StreampathError(Code.InvalidArgument, `cannot decode protobuf: ${message} at byte ${this.pos - this.start}`);
  }

  // Errors are built out of line: the methods every field calls stay small, so V8
  // inlines more of them into a message's `read` before its inlining budget runs out.
  private failShort(n: number): never {
    this.fail(`${n} bytes expected, ${this.len - this.pos} left`);
  }

  private failLength(n: number): never {
    this.fail(`length ${n} past the end (${this.len - this.pos} bytes left)`);
  }

  private failDepth(): never {
    this.fail(`messages nested deeper than ${MAX_DEPTH}`);
  }

  private failPast(end: number, what: string): never {
    this.fail(`${what} (ends at ${end - this.start})`);
  }

  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.len) {
      const b = buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.varint32Slow();
  }

  private varint32Slow(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.len) this.fail("truncated varint");
      const b = buf[pos++];
      result |= (b & 127) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    // Negative int32 values take ten bytes; the upper five carry only sign bits.
    for (let i = 0; i < 5; i++) {
      if (pos >= this.len) this.fail("truncated varint");
      if (buf[pos++] < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    this.fail("varint longer than 10 bytes");
  }

  int32(): number {
    return this.uint32() | 0;
  }

  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  bool(): boolean {
    const pos = this.pos;
    if (pos < this.len && this.buf[pos] < 0x80) {
      this.pos = pos + 1;
      return this.buf[pos] !== 0;
    }
    // A bool is a full 64-bit varint; any bit set means true.
    this.varint64();
    return this.lo !== 0 || this.hi !== 0;
  }

  // Halves of the last 64-bit varint, kept as fields so reads allocate nothing.
  private lo = 0;
  private hi = 0;

  private varint64(): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let b = 0x80;
    for (; shift < 28; shift += 7) {
      if (pos >= this.len) this.fail("truncated varint");
      b = buf[pos++];
      lo |= (b & 127) << shift;
      if (b < 0x80) break;
    }
    if (b >= 0x80) {
      if (pos >= this.len) this.fail("truncated varint");
      b = buf[pos++];
      lo |= (b & 127) << 28;
      hi = (b & 127) >> 4;
      for (shift = 3; b >= 0x80 && shift < 38; shift += 7) {
        if (pos >= this.len) this.fail("truncated varint");
        b = buf[pos++];
        hi |= (b & 127) << shift;
      }
      if (b >= 0x80) this.fail("varint longer than 10 bytes");
    }
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  // BigInt() of a value the compiler knows is a 32-bit integer (`>>> 0`, `| 0`) is built
  // inline, about three times as fast as of any other number: most 64-bit values are small.
  private toUint64(): bigint {
    const { lo, hi } = this;
    if (hi === 0) return BigInt(lo >>> 0);
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  private toInt64(): bigint {
    const { lo, hi } = this;
    if (hi === 0) return BigInt(lo >>> 0);
    if (hi === 0xffffffff && lo >= 0x80000000) return BigInt(lo | 0);
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    if (hi >= 0xffe00000) return BigInt((hi | 0) * TWO_32 + lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  int64(): bigint {
    this.varint64();
    return this.toInt64();
  }

  uint64(): bigint {
    this.varint64();
    return this.toUint64();
  }

  sint64(): bigint {
    this.varint64();
    const sign = -(this.lo & 1);
    const lo = ((this.lo >>> 1) | (this.hi << 31)) ^ sign;
    const hi = (this.hi >>> 1) ^ sign;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this.toInt64();
  }

  private need(n: number): number {
    const pos = this.pos;
    if (n > this.len - pos) this.failShort(n);
    this.pos = pos + n;
    return pos;
  }

  fixed32(): number {
    const pos = this.need(4);
    const buf = this.buf;
    return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16)) + buf[pos + 3] * 0x1000000;
  }

  sfixed32(): number {
    return this.fixed32() | 0;
  }

  private fixed64Halves(): void {
    this.lo = this.fixed32();
    this.hi = this.fixed32();
  }

  fixed64(): bigint {
    this.fixed64Halves();
    return this.toUint64();
  }

  sfixed64(): bigint {
    this.fixed64Halves();
    return this.toInt64();
  }

  // One DataView per reader, made on the first float: cheaper than copying bytes out.
  private view: DataView | undefined;

  private dataView(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  float(): number {
    return this.dataView().getFloat32(this.need(4), true);
  }

  double(): number {
    return this.dataView().getFloat64(this.need(8), true);
  }

  /** Reads a length prefix and checks the bytes are there; returns the end. */
  private delimited(): number {
    const n = this.uint32();
    if (n > this.len - this.pos) this.failLength(n);
    return this.pos + n;
  }

  string(): string {
    const pos = this.pos;
    const n = pos < this.len ? this.buf[pos] : 0x80;
    // Most strings are shorter than 128 bytes: a one-byte length.
    if (n < 0x80 && n < this.len - pos) {
      this.pos = pos + 1 + n;
      return decodeUtf8(this.buf, pos + 1, pos + 1 + n);
    }
    return this.longString();
  }

  /** A string of 128 bytes or more, or one past the end (which fails): out of line, as errors are. */
  private longString(): string {
    const end = this.delimited();
    const s = decodeUtf8(this.buf, this.pos, end);
    this.pos = end;
    return s;
  }

  /** A string map key: what `string()` reads, the same string as for the same key before (map-keys.ts). */
  mapKey(): string {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    return recentKey(this.buf, start, end);
  }

  /**
   * A `bytes` field at least this long that is also at least half of `buf`
   * is read as a view of `buf` instead of a copy; 0: none is. Set (by
   * `decodeAt`) only for a buffer made for one message alone, which nothing
   * else holds: then no other data can change under the view, and it keeps
   * at most twice its own size alive. 0 rather than Infinity: a field that
   * holds a double costs every reader a heap number (about 3 ns a decode).
   */
  shareFrom = 0;

  /** A plain Uint8Array (a Node Buffer's slice would be a view): a copy, unless `shareFrom` says. */
  bytes(): Uint8Array {
    const end = this.delimited();
    const start = this.pos;
    this.pos = end;
    const n = end - start;
    const shareFrom = this.shareFrom;
    if (shareFrom !== 0 && n >= shareFrom && n * 2 >= this.buf.length) return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, n);
    return copyBytes(this.buf, start, end);
  }

  /** Enters a nested message: returns where it ends. Pair with `leave`. */
  enter(): number {
    const end = this.delimited();
    if (++this.depth > MAX_DEPTH) this.failDepth();
    return end;
  }

  /** Enters the whole buffer as the top-level message. */
  enterAll(): number {
    this.depth++;
    return this.len;
  }

  /**
   * Leaves a message that must end exactly at `end`; a group (`group` is its
   * field number) must have met its end tag instead.
   */
  leave(end: number, group?: number): void {
    if (group !== undefined) this.leaveGroup(group);
    else if (this.pos !== end) this.failPast(end, "field ran past the end of its message");
    this.depth--;
  }

  private leaveGroup(group: number): void {
    if (!this.groupEnded) this.fail(`group ${group} has no end tag`);
    this.groupEnded = false;
  }

  /** Set by `endGroup` until the group's `leave`. */
  private groupEnded = false;

  /** Enters a message written as a group (proto2 group, editions DELIMITED). Pair with `leave(end, field)`. */
  enterGroup(end: number): number {
    if (++this.depth > MAX_DEPTH) this.failDepth();
    return end;
  }

  /** An end-group tag for field `field` was read: it must close the group being read. */
  endGroup(field: number, group: number | undefined, typeName: string): void {
    if (field !== group) this.fail(`end of group ${field} where ${group === undefined ? "no group" : `group ${group}`} is open in ${typeName}`);
    this.groupEnded = true;
  }

  /** The end of a packed repeated field that starts here. */
  packedEnd(): number {
    return this.delimited();
  }

  /** A packed run must end exactly where its length said, not inside its last element. */
  packedDone(end: number): void {
    if (this.pos !== end) this.failPast(end, "packed field element ran past the end of its run");
  }

  /**
   * Skips a field the message does not declare. One it does declare, seen
   * here with an unexpected wire type, is an error, not an unknown field.
   */
  skip(tag: number, type: { readonly typeName: string; readonly fieldNumbers: readonly number[] }): void {
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) this.fail(`field number 0 in ${type.typeName}`);
    if (type.fieldNumbers.includes(field)) {
      this.fail(`wire type ${wireType} is wrong for field ${field} of ${type.typeName}`);
    }
    this.skipValue(wireType, field, type.typeName);
  }

  /** Skips the value of a field with this wire type (a whole group for a start-group tag). */
  skipValue(wireType: number, field: number, typeName: string): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint64();
        return;
      case WireType.Bit64:
        this.need(8);
        return;
      case WireType.LengthDelimited:
        this.pos = this.delimited();
        return;
      case WireType.Bit32:
        this.need(4);
        return;
      case WireType.StartGroup:
        for (;;) {
          if (this.pos >= this.len) this.fail(`unterminated group ${field} in ${typeName}`);
          const tag = this.uint32();
          if ((tag & 7) === WireType.EndGroup) {
            if (tag >>> 3 !== field) this.fail(`group ${field} ended by ${tag >>> 3} in ${typeName}`);
            return;
          }
          if (++this.depth > MAX_DEPTH) this.fail(`groups nested deeper than ${MAX_DEPTH}`);
          this.skipValue(tag & 7, tag >>> 3, typeName);
          this.depth--;
        }
      default:
        this.fail(`invalid wire type ${wireType} for field ${field} of ${typeName}`);
    }
  }
}
