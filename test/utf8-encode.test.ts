/**
 * UTF-8 encoding of string fields (runtime/core/writer.ts `string`): below
 * 28 units, ASCII is written four units at a time in JS (utf8.ts
 * `writeAscii`); at the first non-ASCII unit a string under 16 units goes
 * on unit by unit (`writeShortUtf8`) and a longer one is written again by
 * the platform's encoder. Whatever the path, the bytes must be what
 * TextEncoder makes (lone surrogates as U+FFFD), after a one-byte length,
 * for every length around those bounds, with a non-ASCII unit at every
 * position, wherever the writer stands.
 */
import test from "ava";
import { BinaryWriter } from "../runtime/core/index.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const reference = new TextEncoder();

/** `s` written as a string field after `offset` bytes of something else. */
function written(s: string, offset: number): Uint8Array {
  const w = new BinaryWriter(8);
  for (let i = 0; i < offset; i++) w.tag(0x7f);
  w.string(s);
  return w.finish().subarray(offset);
}

/** A one-byte length and TextEncoder's bytes: what `written` must return. */
function expected(s: string): Uint8Array {
  const utf8 = reference.encode(s);
  return Uint8Array.of(utf8.length, ...utf8);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

test("ASCII of every length from 0 to 42 is written as itself, after its length, at any offset", (t) => {
  for (let n = 0; n <= 42; n++) {
    const text = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7) % 95))).join("");
    for (const offset of [0, 1, 3]) {
      const got = written(text, offset);
      t.true(same(got, expected(text)), `length ${n} at offset ${offset}: ${Array.from(got)}`);
    }
  }
});

test("one non-ASCII unit or pair at any position of any length to 32 is written as TextEncoder writes it", (t) => {
  // Two-, three- and four-byte UTF-8, U+0080 and U+FFFF at the edges, a lone
  // high and a lone low surrogate, and a BOM.
  const insertions = ["\u0080", "é", "€", "\uffff", "😀", "\ud800", "\udc00", "\ufeff"];
  let checked = 0;
  for (let n = 1; n <= 32; n++) {
    for (let at = 0; at < n; at++) {
      for (const insertion of insertions) {
        const text = "a".repeat(at) + insertion + "b".repeat(n - at - 1);
        const got = written(text, 2);
        if (!same(got, expected(text))) return void t.fail(`${JSON.stringify(text)}: ${Array.from(got)}, not ${Array.from(expected(text))}`);
        checked++;
      }
    }
  }
  t.is(checked, 8 * ((32 * 33) / 2));
});

test("random strings, mostly ASCII, of random lengths to 42 units are written as TextEncoder writes them", (t) => {
  const label = "utf8 encode";
  const r = new Rng(seedFor(label));
  const others = ["ü", "ж", "中", "😀", "\ud83d", "\ude00"];
  for (let i = 0; i < 5000; i++) {
    const n = r.below(43);
    let text = "";
    while (text.length < n) text += r.chance(0.95) ? String.fromCharCode(r.below(128)) : others[r.below(others.length)]!;
    text = text.slice(0, n);
    const got = written(text, r.below(4));
    if (!same(got, expected(text))) return void t.fail(`${JSON.stringify(text)}: ${Array.from(got)}, not ${Array.from(expected(text))} ${seedInfo(label, i)}`);
  }
  t.pass();
});
