/**
 * String map keys come from a small table of recently decoded keys: a key
 * met again is the same string. The table must never change what a key
 * decodes to: the same bytes give the same string as decoding them afresh,
 * whatever else shared its slot, for valid and malformed UTF-8 and at the
 * length limit; and a decoded map equals the one encoded.
 */
import test from "ava";
import { decodeUtf8 } from "../runtime/core/bytes.js";
import { recentKey } from "../runtime/core/map-keys.js";
import { generateConformance } from "./helpers/conformance-pbjs.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const { C } = await generateConformance("map-keys");

test("a key reads as its bytes decoded afresh, however keys share the table's slots", (t) => {
  const label = "map keys";
  const r = new Rng(seedFor(label));
  // 600 distinct keys over 256 slots, each read several times in a shuffled order: every slot is fought over.
  const keys: Uint8Array[] = [];
  for (let i = 0; i < 600; i++) {
    const n = r.below(40); // past the 32-byte limit too
    const key = new Uint8Array(n);
    for (let j = 0; j < n; j++) key[j] = r.chance(0.9) ? 0x61 + r.below(26) : r.below(256); // some malformed UTF-8
    keys.push(key);
  }
  let checked = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[r.below(keys.length)]!;
      // Inside a bigger buffer, at an offset, as in a message.
      const buf = new Uint8Array(key.length + 7).fill(0xee);
      buf.set(key, 3);
      const want = decodeUtf8(key, 0, key.length);
      const got = recentKey(buf, 3, 3 + key.length);
      if (got !== want) return void t.fail(`key ${JSON.stringify(want)} read as ${JSON.stringify(got)} ${seedInfo(label, 0)}`);
      checked++;
    }
  }
  t.is(checked, 3000);
  // The table keeps its own copy of a key's bytes: the buffer changing afterwards changes nothing.
  const buf = new TextEncoder().encode("region");
  t.is(recentKey(buf, 0, buf.length), "region");
  buf.set(new TextEncoder().encode("regiom"));
  t.is(recentKey(buf, 0, buf.length), "regiom");
});

test("maps with string keys decode to what was encoded, keys repeating across messages", (t) => {
  const { Maps } = C;
  const keys = ["plan", "region", "", "__proto__", "ключ", "x".repeat(33), "a\u{1F600}b"];
  for (let i = 0; i < 50; i++) {
    const mStringString: Record<string, string> = {};
    for (const [j, k] of keys.entries()) if ((i + j) % 3 !== 0) Object.defineProperty(mStringString, k, { value: `${k}=${i}`, enumerable: true, writable: true, configurable: true });
    const message = Maps.create({ mStringString });
    const decoded = Maps.decode(Maps.encode(message));
    t.deepEqual(Object.entries(decoded.mStringString), Object.entries(mStringString), `message ${i}`);
    t.is(Object.getPrototypeOf(decoded.mStringString), Object.prototype, "a __proto__ key stays a key");
  }
});
