/**
 * UTF-8 of short strings, both ways. Most protobuf strings are short, and
 * for them plain JS beats TextEncoder, TextDecoder or Buffer, whose per-call
 * cost dominates below a couple of dozen bytes. (Longer strings: bytes.ts.)
 */

/**
 * Below this many UTF-16 units a JS loop beats a call into native code
 * (about 45 ns) for any text; ASCII text up to `ASCII_IN_JS` units (written
 * four at a time by `writeAscii`) too.
 */
export const SHORT_STRING = 16;

/** Below this many UTF-16 units ASCII is written faster by `writeAscii` than by native code. */
export const ASCII_IN_JS = 28;

/**
 * Writes the ASCII units that `s` starts with at `pos`, four at a time (one
 * check for four units), and returns how many it wrote: `s.length` when all
 * of `s` is ASCII. Room for `s.length` bytes must exist.
 */
export function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = s.charCodeAt(i), c1 = s.charCodeAt(i + 1), c2 = s.charCodeAt(i + 2), c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) break;
    const at = pos + i;
    buf[at] = c0;
    buf[at + 1] = c1;
    buf[at + 2] = c2;
    buf[at + 3] = c3;
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[pos + i] = c;
  }
  return i;
}

/**
 * Writes `s` from its unit `from` on as UTF-8 at `pos` (room for 3 bytes a
 * unit must exist) and returns the new position. Lone surrogates become
 * U+FFFD, as TextEncoder does.
 */
export function writeShortUtf8(buf: Uint8Array, pos: number, s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = (c >> 6) | 0xc0;
      buf[pos++] = (c & 63) | 0x80;
    } else {
      if (c >= 0xd800 && c < 0xe000) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
          c = 0x10000 + ((c & 0x3ff) << 10) + (next & 0x3ff);
          i++;
          buf[pos++] = (c >> 18) | 0xf0;
          buf[pos++] = ((c >> 12) & 63) | 0x80;
          buf[pos++] = ((c >> 6) & 63) | 0x80;
          buf[pos++] = (c & 63) | 0x80;
          continue;
        }
        c = 0xfffd;
      }
      buf[pos++] = (c >> 12) | 0xe0;
      buf[pos++] = ((c >> 6) & 63) | 0x80;
      buf[pos++] = (c & 63) | 0x80;
    }
  }
  return pos;
}

const fromCharCode = String.fromCharCode;

/**
 * `n` (fewer than 24) bytes at `s` as one flat string when they are ASCII,
 * undefined if not: one `String.fromCharCode` call with exactly those bytes
 * (a branch per length, since a call's arity is written in the source). No
 * pieces are joined, so no intermediate strings, and never a cons string
 * that the first use must flatten. In isolation, 9–16 bytes: 21 ns against
 * 33 for pieces of 8, 4 and 1; 24 ns against 49–53 once compared.
 */
export function decodeShortAscii(b: Uint8Array, s: number, n: number): string | undefined {
  switch (n) {
    case 0:
      return "";
    case 1: {
      const c0 = b[s]!;
      return c0 & 0x80 ? undefined : fromCharCode(c0);
    }
    case 2: {
      const c0 = b[s]!, c1 = b[s + 1]!;
      return (c0 | c1) & 0x80 ? undefined : fromCharCode(c0, c1);
    }
    case 3: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!;
      return (c0 | c1 | c2) & 0x80 ? undefined : fromCharCode(c0, c1, c2);
    }
    case 4: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!;
      return (c0 | c1 | c2 | c3) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3);
    }
    case 5: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!;
      return (c0 | c1 | c2 | c3 | c4) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4);
    }
    case 6: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!;
      return (c0 | c1 | c2 | c3 | c4 | c5) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5);
    }
    case 7: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6);
    }
    case 8: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7);
    }
    case 9: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8);
    }
    case 10: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9);
    }
    case 11: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10);
    }
    case 12: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
    }
    case 13: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12);
    }
    case 14: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13);
    }
    case 15: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14);
    }
    case 16: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
    }
    case 17: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16);
    }
    case 18: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!, c17 = b[s + 17]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 | c17) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17);
    }
    case 19: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!, c17 = b[s + 17]!, c18 = b[s + 18]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 | c17 | c18) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18);
    }
    case 20: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!, c17 = b[s + 17]!, c18 = b[s + 18]!, c19 = b[s + 19]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 | c17 | c18 | c19) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19);
    }
    case 21: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!, c17 = b[s + 17]!, c18 = b[s + 18]!, c19 = b[s + 19]!, c20 = b[s + 20]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 | c17 | c18 | c19 | c20) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20);
    }
    case 22: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!, c17 = b[s + 17]!, c18 = b[s + 18]!, c19 = b[s + 19]!, c20 = b[s + 20]!, c21 = b[s + 21]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 | c17 | c18 | c19 | c20 | c21) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21);
    }
    case 23: {
      const c0 = b[s]!, c1 = b[s + 1]!, c2 = b[s + 2]!, c3 = b[s + 3]!, c4 = b[s + 4]!, c5 = b[s + 5]!, c6 = b[s + 6]!, c7 = b[s + 7]!, c8 = b[s + 8]!, c9 = b[s + 9]!, c10 = b[s + 10]!, c11 = b[s + 11]!, c12 = b[s + 12]!, c13 = b[s + 13]!, c14 = b[s + 14]!, c15 = b[s + 15]!, c16 = b[s + 16]!, c17 = b[s + 17]!, c18 = b[s + 18]!, c19 = b[s + 19]!, c20 = b[s + 20]!, c21 = b[s + 21]!, c22 = b[s + 22]!;
      return (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 | c17 | c18 | c19 | c20 | c21 | c22) & 0x80 ? undefined : fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22);
    }
  }
  return undefined;
}
