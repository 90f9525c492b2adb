/**
 * A short fixed-seed pass of the parser and schema fuzzers (test/faults/fuzz.ts):
 * bad input to the envelope decoder, pair control and end payloads, window
 * headers, generated message codecs and the schema loader gets a
 * StreampathError (or diagnostics), never another exception, a hang or a crash.
 * Longer runs: `npx tsx --conditions=source test/faults/fuzz.ts 20000 [seed]`.
 */
import test from "ava";
import { TARGET_NAMES, formatFailures, runFuzz } from "./faults/fuzz.js";

const SEED = 0x5eed;
/** Cases per target (the schema target runs 1/20 of them): a few seconds on 2 cores. */
const CASES = 1000;

const lines: string[] = [];
// One run for all targets, started at once; each test below reads its target's part.
const report = runFuzz({ seed: SEED, cases: CASES, budgetMs: 1500, log: (line) => lines.push(line) });

for (const name of TARGET_NAMES) {
  test(`fuzz ${name}: no failures (seed 0x${SEED.toString(16)})`, async (t) => {
    const target = (await report).targets.find((x) => x.name === name)!;
    t.log(`${target.cases} cases, ${target.ms} ms`);
    t.true(target.cases > 0, `${name}: no case ran`);
    t.is(
      target.failures.length,
      0,
      `fuzz ${name}: ${target.failures.length} failures in ${target.cases} cases (seed 0x${SEED.toString(16)}):\n${formatFailures(target)}`,
    );
  });
}

test.after.always("fuzz log", () => {
  if (lines.length > 0) console.log(lines.join("\n"));
});
