/**
 * UTF-8 encoding of short strings. Most protobuf strings are short, and for
 * them a plain loop beats TextEncoder or Buffer, whose per-call cost
 * dominates below a couple of dozen bytes. (Longer strings: bytes.ts.)
 */

/** Below this many UTF-16 units a JS loop beats a call into native code. */
export const SHORT_STRING = 16;

/**
 * Writes `s` as UTF-8 at `pos` (room for 3 bytes a unit must exist) and
 * returns the new position. Lone surrogates become U+FFFD, as TextEncoder does.
 */
export function writeShortUtf8(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
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
