/**
 * protobuf's official conformance suite against streampath-generated codecs:
 * conformance/run.ts generates the testee's code, fetches Debian 13's
 * libraries for the runner the first time (cached in .cache/), and runs
 * every test. Every failure must be one conformance/failing_tests.txt names,
 * and every test it names must still fail: the list only shrinks.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import test from "ava";
import { ROOT } from "./helpers/generated.js";

/** Generation, a first fetch of the libraries (a few MB) and ~6500 tests on 2 cores. */
const TIMEOUT_MS = 8 * 60_000;

function runConformance(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", path.join(ROOT, "conformance/run.ts")], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS - 10_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const count = (output: string, re: RegExp) => {
  const m = re.exec(output);
  return m ? Number(m[1]) : undefined;
};

test("the official conformance suite: every failure is listed, every listed test still fails, every test ran", async (t) => {
  t.timeout(TIMEOUT_MS);
  const { code, output } = await runConformance();
  // Without Debian 13's libraries the runner cannot start: run.ts says how to get them. A failure, never a skip.
  if (output.includes("cannot set up Debian 13's libraries")) return t.fail(output);
  const summary = /conformance total: (\d+) successes, (\d+) skipped, (\d+) expected failures, (\d+) unexpected failures/.exec(output);
  const run = count(output, /conformance tests run: (\d+)/);
  if (code !== 0 || !summary || run === undefined) t.log(output.slice(-20_000));
  t.truthy(summary, "run.ts printed the runner's totals");
  t.not(run, undefined, "run.ts printed how many tests ran");
  if (!summary || run === undefined) return;
  const [successes, skipped, expected, unexpected] = summary.slice(1).map(Number);
  t.log(`${successes} successes, ${skipped} skipped, ${expected} expected failures, ${unexpected} unexpected failures; ${run} run`);
  t.is(unexpected, 0, "no failure that conformance/failing_tests.txt does not name");
  t.is(run, successes + skipped + expected + unexpected, "the testee answered one request for each test the runner counts");
  t.true(run > 5000, "the whole suite ran, not a part of it");
  t.is(code, 0, "run.ts exits 0: no unexpected failure, no listed test that now passes");
});
