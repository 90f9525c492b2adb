/**
 * The committed sample's generated code (every target: messages, host,
 * guest, view) compiles under strict and under each stricter setting
 * applications turn on, one at a time, so a user's tsconfig never has to be
 * loosened for generated code. googleapis' output is checked the same way
 * in googleapis.test.ts.
 */
import path from "node:path";
import test from "ava";
import { ROOT } from "./helpers/generated.js";
import { typeCheckGenerated } from "./helpers/googleapis.js";
import { STRICTER_SETTINGS } from "./helpers/typecheck.js";

const SAMPLE = path.join(ROOT, "generated-sample/gen");

test("the sample's generated code type-checks under strict", (t) => {
  const [check] = typeCheckGenerated(SAMPLE, [{}], 8);
  t.is(check.count, 0, check.first);
});

for (const [name, options] of Object.entries(STRICTER_SETTINGS)) {
  test(`the sample's generated code type-checks under strict + ${name}`, (t) => {
    const [check] = typeCheckGenerated(SAMPLE, [options], 8);
    t.is(check.count, 0, `${check.count} errors ${JSON.stringify(check.codes)}\n${check.first}`);
  });
}
