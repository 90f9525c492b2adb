// BENCH_BASELINE=<git rev>: an earlier streampath revision benchmarked in the
// same run as the working tree, as one more row of the codec benchmark.
//
// prepare.ts extracts that revision's tree (`git archive <rev> | tar -x`) into
// bench/gen/baseline-<rev>/, links node_modules to ours, builds its dist/ and
// runs ITS generator on OUR bench/schema/bench.proto into
// bench/gen/baseline-<rev>/bench/gen/streampath/. The generated code sits
// inside the extracted tree, so its `streampath/runtime/...` imports resolve
// (package self-reference, nearest package.json) to that revision's runtime;
// a probe written next to it lets codec.ts check where they really resolve.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { run } from "./exec.js";
import { benchProto, genDir, genDirOf, repoRoot } from "./paths.js";
import { formatTable } from "./report.js";

/** The revision asked for, or undefined when BENCH_BASELINE is unset. */
export const baselineRev = (): string | undefined =>
  process.env.BENCH_BASELINE?.trim() || undefined;

/** Row label of the baseline in the tables. */
export const baselineLabel = (rev: string): string => `streampath @${rev}`;

/** bench/gen/baseline-<rev>/: the extracted tree (rev made a safe file name). */
export const baselineTreeOf = (rev: string): string =>
  genDirOf(`baseline-${rev.replace(/[^\w.-]/g, "_")}`);

/** Where that revision's generator writes the bench codec, inside its tree. */
export const baselineGenDirOf = (rev: string): string =>
  join(baselineTreeOf(rev), "bench", "gen", "streampath");

/** Next to the generated code: where its runtime imports resolve. */
export const RUNTIME_PROBE = "runtime-probe.mjs";

/**
 * Writes a module next to `bench_pb.*` in `dir` that resolves, from there,
 * every `streampath/...` specifier the generated module imports. The codec
 * adapter imports it in the benchmark's own process, so the answer is the
 * resolution the timed code got, not a guess.
 */
export function writeRuntimeProbe(dir: string): void {
  const generated = ["bench_pb.ts", "bench_pb.js"]
    .map((name) => join(dir, name))
    .find((path) => existsSync(path));
  if (!generated) throw new Error(`no bench_pb.ts or bench_pb.js in ${dir}`);
  const specifiers = [
    ...new Set(
      [
        ...readFileSync(generated, "utf8").matchAll(
          /from "(streampath[^"]*)"/g,
        ),
      ].map((match) => match[1]!),
    ),
  ];
  const lines = specifiers.map(
    (s) => `  ${JSON.stringify(s)}: import.meta.resolve(${JSON.stringify(s)}),`,
  );
  writeFileSync(
    join(dir, RUNTIME_PROBE),
    `// Written by bench/prepare.ts: where ${relative(dir, generated)} finds streampath.\n` +
      `export const resolved = {\n${lines.join("\n")}\n};\n`,
  );
}

/** Resolves the revision to a commit and prepares its tree and codec. */
export function prepareBaseline(rev: string): string {
  const git = (args: string[]): string => run("git", args).stdout.trim();
  const commit = git(["rev-parse", "--verify", `${rev}^{commit}`]);
  const subject = git(["log", "-1", "--format=%s", commit]);
  const tree = baselineTreeOf(rev);
  mkdirSync(tree, { recursive: true });

  // git archive <commit> | tar -x -C <tree>
  const archive = spawnSync("git", ["archive", "--format=tar", commit], {
    cwd: repoRoot,
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0)
    throw new Error(`git archive ${commit}: ${String(archive.stderr)}`);
  const untar = spawnSync("tar", ["-x", "-C", tree], { input: archive.stdout });
  if (untar.status !== 0)
    throw new Error(`tar -x -C ${tree}: ${String(untar.stderr)}`);
  symlinkSync(
    relative(tree, join(repoRoot, "node_modules")),
    join(tree, "node_modules"),
  );

  // Its generated code imports its runtime through its package.json exports,
  // whose default condition (the one the benchmark runs with) is dist/, as
  // for the working tree, which `npm run bench:codec` builds first.
  if (existsSync(join(tree, "tsconfig.build.json")))
    run(
      process.execPath,
      [
        join(repoRoot, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
      ],
      { cwd: tree },
    );

  // ITS generator (its sources, as the tests run them), OUR schema.
  const out = baselineGenDirOf(rev);
  run(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=source",
      "bin/streampath.js",
      "generate",
      relative(tree, benchProto),
      "--out",
      relative(tree, out),
    ],
    { cwd: tree },
  );
  writeRuntimeProbe(out);
  return `${commit.slice(0, 12)} "${subject.length > 72 ? `${subject.slice(0, 71)}…` : subject}"`;
}

/**
 * Throws unless every runtime import of a streampath row resolved below
 * `root` (and, for the working tree, outside the extracted baselines).
 */
export function checkRuntime(
  name: string,
  resolved: Record<string, string> | undefined,
  root: string,
): string {
  const entries = Object.entries(resolved ?? {});
  if (entries.length === 0)
    throw new Error(`${name}: no runtime probe (did prepare.ts run?)`);
  const rootUrl = pathToFileURL(root).href.replace(/\/?$/, "/");
  const genUrl = pathToFileURL(genDir).href.replace(/\/?$/, "/");
  const inBaseline = root.startsWith(genDir);
  for (const [specifier, url] of entries) {
    if (!url.startsWith(rootUrl) || (!inBaseline && url.startsWith(genUrl)))
      throw new Error(
        `${name}: ${specifier} resolved to ${url}, not below ${rootUrl}`,
      );
  }
  return entries
    .map(([s, url]) => `${s} → ${relative(repoRoot, new URL(url).pathname)}`)
    .join(", ");
}

/**
 * Ratio current ÷ baseline per column (ops/s; above 1.00 = the working tree
 * is faster) and the columns where it is slower by more than `tolerance`.
 */
export function baselineComparison(
  columns: readonly string[],
  ops: (codec: string, column: string) => number,
  current: string,
  baseline: string,
  tolerance = 0.05,
): string {
  const ratios = columns.map(
    (column) => ops(current, column) / ops(baseline, column),
  );
  const percent = (r: number): string =>
    `${r >= 1 ? "+" : "−"}${(Math.abs(r - 1) * 100).toFixed(1)} %`;
  const table = formatTable(
    [`${current} ÷ ${baseline}`, ...columns],
    [
      ["ops/s ratio", ...ratios.map((r) => `${r.toFixed(3)}×`)],
      ["change", ...ratios.map(percent)],
    ],
  );
  const slower = columns
    .map((column, i) => ({ column, ratio: ratios[i]! }))
    .filter(({ ratio }) => !(ratio >= 1 - tolerance));
  const verdict =
    slower.length === 0
      ? `no column slower than ${baseline} by more than ${tolerance * 100} %`
      : `slower than ${baseline} by more than ${tolerance * 100} %: ` +
        slower
          .map(({ column, ratio }) => `${column} (${percent(ratio)})`)
          .join(", ");
  return `${table}\n(above 1.00× = the working tree is faster)\n${verdict}`;
}
