// Generated names never collide: nested types joined with `_`, and types
// named like the generated code's own locals or the globals it uses.
import test from "ava";
import path from "node:path";
import { FIXTURES, generateFixture, importGenerated } from "./helpers/generated.js";

test("colliding and reserved names get a $ suffix, and the codecs still work", async (t) => {
  const dir = await generateFixture("names", { files: [path.join(FIXTURES, "names/names.proto")] });
  const mod = await importGenerated(dir, "names_pb.ts");
  t.deepEqual(Object.keys(mod).sort(), ["Order", "Order_Item", "Order_Item$2", "Uses", "e$", "value$"]);
  const { value$, Order_Item, Order_Item$2, Uses, e$ } = mod;
  const v = value$.create({ a: Order_Item.create({ sku: "s" }), b: Order_Item$2.create({ x: 5 }), c: { k: value$.create() } });
  t.deepEqual(value$.decode(value$.encode(v)), v);
  const u = Uses.create({ en: e$.E_ZERO, ens: [0, 3], em: { 1: 3 }, v });
  t.deepEqual(Uses.decode(Uses.encode(u)), u);
  t.deepEqual(Uses.fromJson(Uses.toJson(u)), u);
});
