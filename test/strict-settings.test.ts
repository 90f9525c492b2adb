/**
 * The committed sample's generated code (every target: messages, host,
 * guest, view) compiles under strict and under each stricter setting
 * applications turn on, one at a time, so a user's tsconfig never has to be
 * loosened for generated code. googleapis' output is checked the same way
 * in googleapis.test.ts.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import test from "ava";
import { generate } from "../generator/generate.js";
import { writeOutput } from "../generator/output.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { FIXTURES, ROOT } from "./helpers/generated.js";
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

/** The long-names fixture: every line of it goes through generator/print, so its output must compile too. */
async function generateLongNames(): Promise<string> {
  // Inside the project, where `streampath/runtime/*` resolves and files are ES modules.
  const dir = path.join(ROOT, "test/.gen/long-names");
  rmSync(dir, { recursive: true, force: true });
  const files = ["common", "messages", "hosts", "workers", "views"].map((f) => path.join(FIXTURES, `long-names/${f}.proto`));
  const { files: out, diagnostics } = await generate({ files, includePaths: [FIXTURES], strictRoles: true });
  if (diagnostics.length) throw new Error(diagnostics.map(formatDiagnostic).join("\n"));
  writeOutput(dir, out);
  return dir;
}

test("the long-names fixture's generated code type-checks under strict and each stricter setting", async (t) => {
  const dir = await generateLongNames();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const settings = [{}, ...Object.values(STRICTER_SETTINGS)];
  const checks = typeCheckGenerated(dir, settings, 5);
  checks.forEach((check, i) => t.is(check.count, 0, `${["strict", ...Object.keys(STRICTER_SETTINGS)][i]}: ${check.first}`));
});
