/**
 * UTF-8 decoding (runtime/core/bytes.ts `decodeUtf8`): below 24 bytes ASCII
 * is built by one String.fromCharCode call with exactly its bytes, one
 * branch per length (utf8.ts); anything else goes to the platform's
 * decoder. Whatever the path, the result must be what TextDecoder makes
 * (malformed sequences as U+FFFD, a BOM kept): for every length around the
 * switch's, with a non-ASCII byte at every position, at any offset.
 */
import test from "ava";
import { decodeUtf8 } from "../runtime/core/bytes.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const reference = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** `bytes` inside a bigger buffer, at an offset, as in a message. */
function decodeInside(bytes: Uint8Array, offset: number): string {
  const buf = new Uint8Array(bytes.length + offset + 5).fill(0x41);
  buf.set(bytes, offset);
  return decodeUtf8(buf, offset, offset + bytes.length);
}

test("ASCII of every length from 0 to 40 decodes to itself, at any offset", (t) => {
  for (let n = 0; n <= 40; n++) {
    const text = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7) % 95))).join("");
    const bytes = new TextEncoder().encode(text);
    for (const offset of [0, 1, 3]) t.is(decodeInside(bytes, offset), text, `length ${n} at offset ${offset}`);
  }
});

test("one non-ASCII byte or sequence at any position of any length to 30 decodes as TextDecoder does", (t) => {
  const insertions = [[0x80], [0xff], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf]];
  let checked = 0;
  for (let n = 1; n <= 30; n++) {
    for (let at = 0; at < n; at++) {
      for (const insertion of insertions) {
        const bytes = new Uint8Array(n + insertion.length - 1).fill(0x61);
        bytes.set(insertion, at);
        const want = reference.decode(bytes);
        const got = decodeInside(bytes, 2);
        if (got !== want) return void t.fail(`length ${bytes.length}, ${JSON.stringify(insertion)} at ${at}: ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
        checked++;
      }
    }
  }
  t.is(checked, 7 * ((30 * 31) / 2));
});

test("random bytes, mostly ASCII, of random lengths to 48 decode as TextDecoder does", (t) => {
  const label = "utf8 decode";
  const r = new Rng(seedFor(label));
  for (let i = 0; i < 5000; i++) {
    const n = r.below(49);
    const bytes = new Uint8Array(n);
    for (let j = 0; j < n; j++) bytes[j] = r.chance(0.95) ? r.below(128) : r.below(256);
    const want = reference.decode(bytes);
    const got = decodeInside(bytes, r.below(4));
    if (got !== want) return void t.fail(`${JSON.stringify(Array.from(bytes))}: ${JSON.stringify(got)}, not ${JSON.stringify(want)} ${seedInfo(label, i)}`);
  }
  t.pass();
});
