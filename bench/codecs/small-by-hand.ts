// The Small message encoded and decoded by code written by hand for it
// alone, for bench/codec-floor.ts. Everything a generated codec must stay
// general for is dropped — the position in a local variable, lengths assumed
// to fit one byte where the fixture's do, no bounds checks on writes (one
// 4 KiB buffer), no `$unknown`, no groups, no writer object, nested messages
// written inline — while keeping what every codec owes its caller: the same
// bytes and message shape as the generated code, checks against reading
// past the end, an encoded array of its own, and the runtime's fastest
// primitives (its UTF-8 rules, map-key table and copy pool). As an encoder
// it is the floor: no generated encoder can be faster on this message. As a
// decoder it is only a reference: its position lives in a module variable
// and it measured slower than the generated reader, so it bounds nothing.
import { copyBytes, decodeUtf8 } from "../../runtime/core/bytes.js";
import { recentKey } from "../../runtime/core/map-keys.js";
import type { AttributeData, SmallData } from "../fixtures.js";

interface NodeBufferMethods {
  utf8Write(
    this: Uint8Array,
    s: string,
    offset: number,
    length: number,
  ): number;
}
const utf8Write = (Buffer.prototype as unknown as NodeBufferMethods).utf8Write;
const hasOwn = Object.prototype.hasOwnProperty;
const TWO_32 = 4294967296;

const buf = new Uint8Array(4096);

function varint(p: number, n: number): number {
  while (n > 127) {
    buf[p++] = (n & 127) | 128;
    n >>>= 7;
  }
  buf[p++] = n;
  return p;
}

/** A 64-bit varint of the non-negative safe integer `n`. */
function varintSafe(p: number, n: number): number {
  let lo = n >>> 0;
  let hi = Math.floor(n / TWO_32);
  while (hi > 0) {
    buf[p++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  return varint(p, lo);
}

/** Length and UTF-8 of `s`, which must be at most 42 units (a one-byte length). */
function str(p: number, s: string): number {
  const n = s.length;
  if (n > 42)
    throw new Error("small-by-hand: string too long for a one-byte length");
  let e = p + 1;
  if (n < 16) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        e = -1;
        break;
      }
      buf[e++] = c;
    }
  } else e = -1;
  if (e < 0) e = p + 1 + utf8Write.call(buf, s, p + 1, buf.length - p - 1);
  buf[p] = e - p - 1;
  return e;
}

function attribute(p: number, a: AttributeData): number {
  if (a.value !== "") {
    buf[p++] = 10;
    p = str(p, a.value);
  }
  if (a.weight !== 0) {
    buf[p++] = 16;
    p = a.weight > 0 ? varint(p, a.weight) : varintSafe(p, a.weight + 2 ** 64);
  }
  return p;
}

export function encodeSmall(m: SmallData): Uint8Array {
  let p = 0;
  if (m.id !== "") {
    buf[p++] = 10;
    p = str(p, m.id);
  }
  if (m.displayName !== "") {
    buf[p++] = 18;
    p = str(p, m.displayName);
  }
  if (m.balanceDelta !== 0n) {
    const n = Number(m.balanceDelta);
    buf[p++] = 24;
    p = varintSafe(p, n >= 0 ? n * 2 : -n * 2 - 1);
  }
  const ids = m.sampleIds;
  if (ids.length > 0) {
    buf[p++] = 34;
    p = varint(p, ids.length * 4);
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      buf[p] = v;
      buf[p + 1] = v >>> 8;
      buf[p + 2] = v >>> 16;
      buf[p + 3] = v >>> 24;
      p += 4;
    }
  }
  const attributes = m.attributes;
  for (const k in attributes) {
    if (!hasOwn.call(attributes, k)) continue;
    buf[p++] = 42;
    const entry = p++;
    buf[p++] = 10;
    p = str(p, k);
    buf[p++] = 18;
    const value = p++;
    p = attribute(p, attributes[k]!);
    buf[value] = p - value - 1;
    buf[entry] = p - entry - 1;
  }
  const payload = m.payload;
  if (payload.case === "text") {
    buf[p++] = 50;
    p = str(p, payload.value);
  } else if (payload.case === "code") {
    buf[p++] = 56;
    p = varint(p, payload.value);
  } else if (payload.case === "detail") {
    buf[p++] = 66;
    const start = p++;
    p = attribute(p, payload.value);
    buf[start] = p - start - 1;
  }
  const t = m.createdAt;
  if (t !== undefined) {
    buf[p++] = 74;
    const start = p++;
    if (t.seconds !== 0n) {
      buf[p++] = 8;
      p = varintSafe(p, Number(t.seconds));
    }
    if (t.nanos !== 0) {
      buf[p++] = 16;
      p = varint(p, t.nanos);
    }
    buf[start] = p - start - 1;
  }
  const checksum = m.checksum;
  if (checksum.length > 0) {
    buf[p++] = 82;
    p = varint(p, checksum.length);
    buf.set(checksum, p);
    p += checksum.length;
  }
  return copyBytes(buf, 0, p);
}

// The decoder's position and the halves of its last 64-bit varint.
let pos = 0;
let lo = 0;
let hi = 0;

function truncated(): never {
  throw new Error(`small-by-hand: truncated at byte ${pos}`);
}

function uint32(b: Uint8Array, end: number): number {
  if (pos >= end) truncated();
  const first = b[pos++]!;
  if (first < 0x80) return first;
  let n = first & 127;
  for (let shift = 7; shift < 35; shift += 7) {
    if (pos >= end) truncated();
    const x = b[pos++]!;
    n |= (x & 127) << shift;
    if (x < 0x80) return n >>> 0;
  }
  throw new Error("small-by-hand: varint too long");
}

function varint64(b: Uint8Array, end: number): void {
  let l = 0;
  let h = 0;
  let x = 0x80;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) truncated();
    x = b[pos++]!;
    l |= (x & 127) << shift;
    if (x < 0x80) break;
  }
  if (x >= 0x80) {
    if (pos >= end) truncated();
    x = b[pos++]!;
    l |= (x & 127) << 28;
    h = (x & 127) >> 4;
    for (let shift = 3; x >= 0x80 && shift < 38; shift += 7) {
      if (pos >= end) truncated();
      x = b[pos++]!;
      h |= (x & 127) << shift;
    }
  }
  lo = l >>> 0;
  hi = h >>> 0;
}

/** The end of a length-delimited field starting at `pos`. */
function delimited(b: Uint8Array, end: number): number {
  const n = uint32(b, end);
  if (n > end - pos) truncated();
  return pos + n;
}

function readAttribute(b: Uint8Array, end: number): AttributeData {
  const a: AttributeData = { value: "", weight: 0 };
  while (pos < end) {
    const tag = uint32(b, end);
    if (tag === 10) {
      const e = delimited(b, end);
      a.value = decodeUtf8(b, pos, e);
      pos = e;
    } else if (tag === 16) a.weight = uint32(b, end) | 0;
    else throw new Error(`small-by-hand: unexpected tag ${tag}`);
  }
  return a;
}

export function decodeSmall(b: Uint8Array): SmallData {
  const m: SmallData = {
    id: "",
    displayName: "",
    balanceDelta: 0n,
    sampleIds: [],
    attributes: {},
    payload: { case: undefined },
    createdAt: undefined,
    checksum: new Uint8Array(0),
  };
  pos = 0;
  const end = b.length;
  while (pos < end) {
    const tag = uint32(b, end);
    switch (tag) {
      case 10:
      case 18: {
        const e = delimited(b, end);
        const s = decodeUtf8(b, pos, e);
        pos = e;
        if (tag === 10) m.id = s;
        else m.displayName = s;
        break;
      }
      case 24: {
        varint64(b, end);
        const sign = -(lo & 1);
        const l = (((lo >>> 1) | (hi << 31)) ^ sign) >>> 0;
        const h = ((hi >>> 1) ^ sign) >>> 0;
        m.balanceDelta =
          h < 0x200000 ? BigInt(h * TWO_32 + l) : BigInt((h | 0) * TWO_32 + l);
        break;
      }
      case 34: {
        const e = delimited(b, end);
        if ((e - pos) & 3) truncated();
        const ids = m.sampleIds;
        for (; pos < e; pos += 4)
          ids.push(
            (b[pos]! | (b[pos + 1]! << 8) | (b[pos + 2]! << 16)) +
              b[pos + 3]! * 0x1000000,
          );
        break;
      }
      case 42: {
        const e = delimited(b, end);
        let k = "";
        let v: AttributeData | undefined;
        while (pos < e) {
          const t = uint32(b, e);
          const fe = delimited(b, e);
          if (t === 10) k = recentKey(b, pos, fe);
          else if (t === 18) v = readAttribute(b, fe);
          pos = fe;
        }
        m.attributes[k] = v ?? { value: "", weight: 0 };
        break;
      }
      case 50: {
        const e = delimited(b, end);
        m.payload = { case: "text", value: decodeUtf8(b, pos, e) };
        pos = e;
        break;
      }
      case 56:
        m.payload = { case: "code", value: uint32(b, end) | 0 };
        break;
      case 66:
        m.payload = {
          case: "detail",
          value: readAttribute(b, delimited(b, end)),
        };
        break;
      case 74: {
        const e = delimited(b, end);
        const t = { seconds: 0n, nanos: 0 };
        while (pos < e) {
          const f = uint32(b, e);
          if (f === 8) {
            varint64(b, e);
            t.seconds = BigInt(hi * TWO_32 + lo);
          } else if (f === 16) t.nanos = uint32(b, e) | 0;
          else throw new Error(`small-by-hand: unexpected tag ${f}`);
        }
        m.createdAt = t;
        break;
      }
      case 82: {
        const e = delimited(b, end);
        m.checksum = copyBytes(b, pos, e);
        pos = e;
        break;
      }
      default:
        throw new Error(`small-by-hand: unexpected tag ${tag}`);
    }
  }
  return m;
}
