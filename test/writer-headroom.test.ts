/**
 * Generated `write`s store tags straight into the room the writer keeps past
 * its position (writer.ts HEADROOM), with no capacity check of their own. A
 * writer that starts tiny grows at every point of a message, so seeded
 * random messages of every shape, written into writers of 1 to 48 bytes,
 * must come out byte for byte as `encode` makes them; and a store past the
 * end, which a typed array drops silently, must fail loudly instead.
 */
import test from "ava";
import { BinaryWriter, StreampathError } from "../runtime/core/index.js";
import { generateConformance, hex } from "./helpers/conformance-pbjs.js";
import { wellKnown } from "./helpers/conformance-random-wkt.js";
import * as random from "./helpers/random-message.js";
import { type Msg, Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const { C } = await generateConformance("writer-headroom");

const SHAPES: [string, (r: Rng) => Msg][] = [
  ["Scalars", random.scalars],
  ["Optionals", random.optionals],
  ["Repeated", random.repeated],
  ["Maps", random.maps],
  ["Choice", random.choice],
  ["Nested", random.nested],
  ["WellKnown", wellKnown],
  ["Everything", (r) => random.everything(r)],
];

for (const [name, make] of SHAPES) {
  test(`${name}: written into writers of 1 to 48 bytes, as encode writes it (40 messages)`, (t) => {
    const X = C[name];
    const label = `headroom ${name}`;
    const r = new Rng(seedFor(label));
    for (let i = 0; i < 40; i++) {
      const m = make(r);
      const expected = hex(X.encode(m));
      for (let size = 1; size <= 48; size++) {
        const w = new BinaryWriter(size);
        X.write(m, w);
        const got = hex(w.finish());
        if (got !== expected) {
          t.fail(`${name} written into a ${size}-byte writer differs from encode ${seedInfo(label, i)}`);
          return;
        }
      }
    }
    t.pass();
  });
}

test("a tag stored past the writer's end fails the encode instead of being dropped", (t) => {
  const w = new BinaryWriter(4);
  w.uint32(1);
  // Nothing keeps room now (a 4-byte writer grew to 64); fill it to the end, then store past it.
  while (w.pos < w.buf.length) w.tag(8);
  w.tag(8);
  const error = t.throws(() => w.finish(), { instanceOf: StreampathError });
  t.regex(error!.message, /written past its buffer \(65 > 64\)/);
  t.throws(() => w.uint32(1), { message: /written past its buffer/ });
});
