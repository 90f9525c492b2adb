/**
 * `npx tsx --conditions=source test/faults/run.ts [--full] [--only chaos,load,abuse,fuzz] [--fetch undici|http2] [--seed N]`
 *
 * The fault, load and abuse harness: each part prints its figures and a set
 * of named checks (the name states the expected behaviour); at the end every
 * failed check is printed again with its figures, then one line
 * `faults: N passed, M failed`; the exit code is 1 if any check failed. A
 * global watchdog ends the run (exit 1, printing what it was waiting on) if
 * it exceeds its budget. It measures; it is never tuned to pass.
 */
import { runAbuse } from "./abuse.js";
import { runChaos } from "./chaos.js";
import { formatFailures, runFuzz } from "./fuzz.js";
import { type Check, type FetchKind, Report, activeResources, describe, fetchKind, gc, http2FetchAvailable, progress, setFetchKind, setPhase } from "./common.js";
import { runLoad } from "./load.js";

const PARTS = ["chaos", "load", "abuse", "fuzz"] as const;
type Part = (typeof PARTS)[number];

interface Args {
  full: boolean;
  only: Part[];
  fetch: FetchKind | undefined;
  seed: number;
  budgetMs: number;
}

function parseArgs(argv: string[]): Args {
  let full = false;
  let only: Part[] = [...PARTS];
  let fetch: FetchKind | undefined;
  // Fixed by default, so a CI run is repeatable (timing still varies); --seed or FAULTS_SEED for others.
  let seed = Number(process.env.FAULTS_SEED ?? 42);
  let budgetS: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const eq = arg.indexOf("=");
      if (eq >= 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next!;
    };
    if (arg === "--full") full = true;
    else if (arg.startsWith("--only")) {
      only = value().split(",").map((s) => s.trim()).filter(Boolean) as Part[];
      const unknown = only.filter((p) => !PARTS.includes(p));
      if (unknown.length || only.length === 0) usage(`--only takes some of ${PARTS.join(",")}, got ${unknown.join(",") || "nothing"}`);
    } else if (arg.startsWith("--fetch")) {
      const v = value();
      if (v !== "undici" && v !== "http2") usage(`--fetch is undici or http2, got ${v}`);
      fetch = v as FetchKind;
    } else if (arg.startsWith("--seed")) seed = Number(value());
    else if (arg.startsWith("--budget")) budgetS = Number(value());
    else if (arg === "--help" || arg === "-h") usage();
    else usage(`unknown argument ${arg}`);
  }
  if (!Number.isSafeInteger(seed)) usage("--seed takes an integer");
  // Default: the parts take about 3–4 minutes; the budget leaves room for a slow machine, not for a hang.
  const budgetMs = (budgetS ?? (full ? 90 * 60 : 6 * 60)) * 1000;
  return { full, only, fetch, seed, budgetMs };
}

function usage(problem?: string): never {
  if (problem) console.error(`faults: ${problem}`);
  console.error("usage: npx tsx --conditions=source test/faults/run.ts [--full] [--only chaos,load,abuse,fuzz] [--fetch undici|http2] [--seed N] [--budget SECONDS]");
  process.exit(2);
}

// ------------------------------------------------------------------ fuzz

async function runFuzzPart(report: Report, full: boolean, seed: number): Promise<void> {
  // Cases per target (schema runs a twentieth): default ≈ 26,000 in all, full ≈ 202,000.
  const cases = full ? 40_000 : 5_000;
  const budgetMs = full ? 15 * 60_000 : 20_000;
  report.figure("seed", seed);
  report.figure("cases per target", `${cases} (schema ${Math.ceil(cases / 20)}), time budget ${budgetMs / 1000} s per target`);
  const result = await runFuzz({ seed, cases, budgetMs, log: (line) => report.line(line) });
  let total = 0;
  for (const target of result.targets) {
    total += target.cases;
    const asked = target.name === "schema" ? Math.ceil(cases / 20) : cases;
    const detail = target.failures.length ? formatFailures(target, 4).split("\n").map((l) => l.trim()) : [];
    report.check(`fuzz: ${target.name}: bad input always gets a StreampathError, never another exception, hang or crash`,
      target.failures.length === 0, [`${target.failures.length} failures in ${target.cases} cases (${target.ms} ms)`, ...detail]);
    report.check(`fuzz: ${target.name}: runs the cases asked (${asked}) within its time budget`, target.cases >= asked,
      `${target.cases} of ${asked} in ${target.ms} ms`);
  }
  report.figure("cases run", total);
}

// ------------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  setFetchKind(args.fetch);
  const started = Date.now();
  const reports: Report[] = [];
  const log = (line: string) => console.log(line);
  const harness = new Report("harness", log);
  reports.push(harness);
  const surprises: string[] = [];
  process.on("uncaughtException", (error) => {
    surprises.push(`uncaught exception in phase "${progress.phase}": ${describe(error)}`);
    console.log(`  harness: UNCAUGHT EXCEPTION (${progress.phase}): ${(error as Error)?.stack ?? String(error)}`);
  });
  process.on("unhandledRejection", (error) => {
    surprises.push(`unhandled rejection in phase "${progress.phase}": ${describe(error)}`);
    console.log(`  harness: UNHANDLED REJECTION (${progress.phase}): ${(error as Error)?.stack ?? String(error)}`);
  });

  const finish = (watchdog: string | undefined): never => {
    if (watchdog) harness.check("harness: the run ends within its budget (global watchdog)", false, watchdog);
    harness.check("harness: no uncaught exceptions or unhandled rejections", surprises.length === 0, surprises.length ? surprises.slice(0, 10) : "none");
    const checks: Check[] = reports.flatMap((r) => r.checks);
    const failed = checks.filter((c) => !c.ok);
    console.log("");
    console.log(`faults: took ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${args.seed}, ${args.full ? "full" : "default"} run, guest fetch ${fetchKind()})`);
    if (failed.length) {
      console.log(`faults: ${failed.length} failed checks:`);
      for (const c of failed) {
        console.log(`  FAIL ${c.name}`);
        for (const f of c.figures) console.log(`       ${f}`);
      }
    }
    console.log(`faults: ${checks.length - failed.length} passed, ${failed.length} failed`);
    process.exit(failed.length > 0 ? 1 : 0);
  };

  const watchdog = setTimeout(() => {
    const waits = [...progress.waits.values()].map((w) => `${w.what} (for ${((Date.now() - w.since) / 1000).toFixed(0)} s)`);
    const what = `exceeded its budget of ${args.budgetMs / 1000} s in phase "${progress.phase}"; waiting on: ${waits.join("; ") || "nothing registered"}; active resources: ${JSON.stringify(activeResources())}`;
    console.log(`faults: WATCHDOG: the run ${what}`);
    finish(what);
  }, args.budgetMs);

  console.log(`faults: ${args.full ? "full" : "default"} run of ${args.only.join(", ")}, seed ${args.seed}, guest fetch ${fetchKind()}${http2FetchAvailable() ? "" : " (runtime/guest/node.ts not present: http2Fetch unavailable)"}, budget ${args.budgetMs / 1000} s, gc ${gc() ? "exposed" : "unavailable"}`);
  for (const part of args.only) {
    const report = new Report(part, log);
    reports.push(report);
    const partStart = Date.now();
    console.log(`\n== ${part}`);
    setPhase(`${part}: starting`);
    try {
      if (part === "chaos") await runChaos({ full: args.full, seed: args.seed, report });
      else if (part === "load") await runLoad({ full: args.full, seed: args.seed, report });
      else if (part === "abuse") await runAbuse({ full: args.full, seed: args.seed, report });
      else await runFuzzPart(report, args.full, args.seed);
    } catch (error) {
      report.check(`${part}: the part runs to completion`, false, `threw in phase "${progress.phase}": ${(error as Error)?.stack?.split("\n").slice(0, 6).join(" | ") ?? String(error)}`);
    }
    report.figure("took", `${((Date.now() - partStart) / 1000).toFixed(1)} s`);
  }
  clearTimeout(watchdog);
  setPhase("done");
  finish(undefined);
}

void main();
