/**
 * What run.ts prints from a runner's output: the suites' summary lines, the
 * classes of the failure list, the runner's lists of names to add or remove,
 * and a split by message type and input format. The runner names failures
 * only, so the split counts tests from the requests the testee answered
 * (one request a test) and failures from the names.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

export interface Summary {
  passed: boolean;
  successes: number;
  skipped: number;
  expected: number;
  unexpected: number;
}

/** `CONFORMANCE SUITE PASSED: 1 successes, 2 skipped, 3 expected failures, 4 unexpected failures.`, in order. */
export function summaries(output: string): Summary[] {
  const re = /CONFORMANCE SUITE (PASSED|FAILED): (\d+) successes, (\d+) skipped, (\d+) expected failures, (\d+) unexpected failures/g;
  return [...output.matchAll(re)].map((m) => {
    const [successes, skipped, expected, unexpected] = m.slice(2).map(Number);
    return { passed: m[1] === "PASSED", successes, skipped, expected, unexpected };
  });
}

/**
 * The classes of a failure list: the block of `#` lines right before a run of
 * test names names their class (a header block followed by a blank line names
 * nothing). A test line is `Name # the runner's failure message`.
 */
export function failureClasses(text: string): { name: string; tests: string[] }[] {
  const classes: { name: string; tests: string[] }[] = [];
  let block: string[] = [];
  let inBlock = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#")) {
      if (!inBlock) block = [];
      block.push(line.replace(/^#+\s*/, ""));
      inBlock = true;
      continue;
    }
    if (line && (inBlock || classes.length === 0)) classes.push({ name: inBlock ? block.join(" ") : "(no class)", tests: [] });
    if (line) classes[classes.length - 1].tests.push(testName(line));
    inBlock = false;
  }
  return classes;
}

const testName = (line: string) => line.split("#")[0].trim();

/** Test names in a list file of the runner's output dir (`Name # message` lines); none if it is absent. */
export function namesIn(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map(testName) : [];
}

/**
 * The testee's stats files (`stats-<pid>.json`): requests by "<package>
 * <payload> -> <output>", then by answer. The runner exits without waiting for
 * its testee, so this waits (bounded) until each testee has written its final
 * counts or is gone.
 */
export async function readStats(dir: string, timeoutMs = 30_000): Promise<Map<string, Record<string, number>>> {
  const files = readdirSync(dir).filter((n) => /^stats-\d+\.json$/.test(n));
  const read = (f: string) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as StatsFile;
  const deadline = Date.now() + timeoutMs;
  const settled = (f: string) => read(f).done || !running(Number(/\d+/.exec(f)![0]));
  while (!files.every(settled) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const all = new Map<string, Record<string, number>>();
  for (const f of files) {
    for (const [key, byAnswer] of Object.entries(read(f).requests)) {
      const into = all.get(key) ?? {};
      for (const [answer, n] of Object.entries(byAnswer)) into[answer] = (into[answer] ?? 0) + n;
      all.set(key, into);
    }
  }
  return all;
}

interface StatsFile {
  done: boolean;
  requests: Record<string, Record<string, number>>;
}

/** Is `pid` running? A zombie is not (the runner's exit may leave its testee unreaped). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The name part the runner gives each test message type: `Required.Editions_Proto3.JsonInput.…`. */
const SUITE_OF_PACKAGE: Record<string, string> = {
  "protobuf_test_messages.proto3": "Proto3",
  "protobuf_test_messages.proto2": "Proto2",
  "protobuf_test_messages.editions.proto3": "Editions_Proto3",
  "protobuf_test_messages.editions.proto2": "Editions_Proto2",
  "protobuf_test_messages.editions": "Editions",
};
const INPUT_OF_PAYLOAD: Record<string, string> = {
  protobufPayload: "ProtobufInput",
  jsonPayload: "JsonInput",
  textPayload: "TextFormatInput",
};

export interface SplitRow {
  group: string;
  tests: number;
  passed: number;
  skipped: number;
  listed: number;
  recommended: number;
  unexpected: number;
}

/**
 * Tests by message type and input format. `failing` are the tests that failed
 * as listed, `unexpected` those that failed unlisted; `recommended` counts the
 * failing ones of the Recommended level (the rest are Required).
 */
export function split(stats: Map<string, Record<string, number>>, failing: string[], unexpected: string[]): SplitRow[] {
  const rows = new Map<string, SplitRow>();
  for (const [key, byAnswer] of stats) {
    const [pkg, payload] = key.split(" ");
    const group = `${SUITE_OF_PACKAGE[pkg] ?? pkg}.${INPUT_OF_PAYLOAD[payload] ?? payload}`;
    const row = rows.get(group) ?? { group, tests: 0, passed: 0, skipped: 0, listed: 0, recommended: 0, unexpected: 0 };
    row.tests += Object.values(byAnswer).reduce((a, b) => a + b, 0);
    row.skipped += byAnswer.skipped ?? 0;
    rows.set(group, row);
  }
  const groupOf = (name: string) => name.split(".").slice(1, 3).join(".");
  for (const name of failing) {
    const row = rows.get(groupOf(name));
    if (row) row.listed++;
    if (row && name.startsWith("Recommended.")) row.recommended++;
  }
  for (const name of unexpected) {
    const row = rows.get(groupOf(name));
    if (row) row.unexpected++;
    if (row && name.startsWith("Recommended.")) row.recommended++;
  }
  for (const row of rows.values()) row.passed = row.tests - row.skipped - row.listed - row.unexpected;
  return [...rows.values()].sort((a, b) => (a.group < b.group ? -1 : 1));
}

export function printSplit(rows: SplitRow[]): void {
  const cols = ["tests", "passed", "skipped", "failed (listed)", "of them Recommended", "failed (unlisted)"];
  console.log(`\n${"by message type and input".padEnd(34)}${cols.map((c) => c.padStart(c.length + 2)).join("")}`);
  for (const r of rows) {
    const values = [r.tests, r.passed, r.skipped, r.listed, r.recommended, r.unexpected];
    console.log(`  ${r.group.padEnd(32)}${values.map((v, i) => String(v).padStart(cols[i].length + 2)).join("")}`);
  }
}

/** Prints one of the runner's name lists (in its output dir), the first `show` names and where the rest are. */
export function printList(file: string, title: string, show = 40): void {
  const names = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.trim()) : [];
  if (names.length === 0) return;
  console.log(`\n${title} (${names.length}; all in ${file}):`);
  for (const n of names.slice(0, show)) console.log(`  ${n}`);
  if (names.length > show) console.log(`  … ${names.length - show} more`);
}
