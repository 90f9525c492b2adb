// Code generation time and memory, streampath versus protoc with
// @bufbuild/protoc-gen-es, on three schemas: the synthetic schema
// (synthetic.ts), the same schema with 40–60 character names, and the
// googleapis set the tests use (npm google-proto-files).
//
//   npm run bench:codegen        (= npm run build && npx tsx bench/codegen.ts)
//
// Per schema: protoc + protoc-gen-es and the streampath CLI as cold
// processes, alternating run by run (protoc, streampath, protoc, …), each
// under GNU time for its peak RSS; then generate() in a fresh process
// (lib/generate-in-process.ts): its first call apart, then warm calls. Medians.
//
// BENCH_CODEGEN_RUNS=3 sets the CLI runs per generator (warm calls: at least
// 5); BENCH_CODEGEN_SCHEMAS=synthetic,long-names,googleapis picks schemas;
// BENCH_KEEP_TMP=1 keeps the temporary directory (schemas and outputs).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_OPTIONS,
  LONG_NAME_OPTIONS,
  describeSchema,
  writeSyntheticSchema,
} from "./synthetic.js";
import {
  GNU_TIME,
  directorySize,
  errorMessage,
  readMaxRss,
  requireGnuTime,
  requireProtoc,
  runMeasured,
  tail,
} from "./lib/exec.js";
import type {
  InProcessInput,
  InProcessOutput,
} from "./lib/generate-in-process.js";
import { benchDir, protocGenEs, repoRoot, streampathCli } from "./lib/paths.js";
import {
  describeMachine,
  formatInteger,
  formatMs,
  formatRatio,
  formatTable,
  installedVersion,
  loud,
} from "./lib/report.js";
import {
  GOOGLEAPIS,
  GOOGLEAPIS_VERSION,
  protoFiles,
} from "../test/helpers/googleapis.js";

const RUNS = Math.max(1, Number(process.env.BENCH_CODEGEN_RUNS) || 3);
/** Warm generate() calls after the first: at least 5. */
// Five warm calls: the JIT is still settling over the first three of a schema this size.
const WARM_CALLS = Math.max(5, RUNS);
const SCHEMA_KINDS = ["synthetic", "long-names", "googleapis"] as const;
type SchemaKind = (typeof SCHEMA_KINDS)[number];
/** Issue 15's targets: CLI ÷ protoc+es and warm generate() ÷ protoc+es. */
const CLI_TARGET = 1.0;
const WARM_TARGET = 0.3;

interface Schema {
  readonly kind: SchemaKind;
  readonly description: string;
  /** The include path (-I); the generators run in it, with `files` relative to it. */
  readonly dir: string;
  readonly files: readonly string[];
}

/** One cold run of a command-line generator. */
interface CliRun {
  readonly ms: number;
  readonly maxRssKiB: number;
  readonly files: number;
  readonly bytes: number;
}

interface CliResult {
  readonly runs: CliRun[];
  /** Set when a run failed or wrote nothing; no further runs are made. */
  error?: string;
}

/** Which process of protoc's tree had the peak RSS GNU time reports. */
interface ProtocPeak {
  readonly largest: "protoc" | "protoc-gen-es";
  readonly protocTreeKiB: number;
  readonly pluginKiB: number;
}

interface SchemaResult {
  readonly schema: Schema;
  readonly protoc: CliResult;
  readonly cli: CliResult;
  readonly protocPeak: ProtocPeak | { error: string };
  readonly inProcess: InProcessOutput | { error: string };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const formatMiB = (kib: number): string => `${formatInteger(kib / 1024)} MiB`;
const cliMedian = (result: CliResult): number =>
  median(result.runs.map((run) => run.ms));
const failed = (result: CliResult): boolean =>
  result.error !== undefined || result.runs.length === 0;

function selectedSchemas(): SchemaKind[] {
  const asked = process.env.BENCH_CODEGEN_SCHEMAS;
  if (!asked) return [...SCHEMA_KINDS];
  const kinds = asked.split(",").map((kind) => kind.trim());
  const unknown = kinds.filter(
    (kind) => !(SCHEMA_KINDS as readonly string[]).includes(kind),
  );
  if (unknown.length > 0)
    throw new Error(
      `BENCH_CODEGEN_SCHEMAS: unknown ${unknown.join(", ")} (known: ${SCHEMA_KINDS.join(", ")})`,
    );
  return kinds as SchemaKind[];
}

function prepareSchema(kind: SchemaKind, tmp: string): Schema {
  if (kind === "googleapis") {
    const files = protoFiles();
    return {
      kind,
      description: `googleapis (google-proto-files ${GOOGLEAPIS_VERSION}): ${files.length} files of ${describeDirs(files)}, as the tests generate`,
      dir: GOOGLEAPIS,
      files,
    };
  }
  const dir = join(tmp, `schema-${kind}`);
  const options = kind === "long-names" ? LONG_NAME_OPTIONS : DEFAULT_OPTIONS;
  const written = writeSyntheticSchema(dir, options);
  const names =
    kind === "long-names"
      ? "names of 40–60 characters"
      : "short names (`Account`, `created_at`)";
  return {
    kind,
    description: `${kind}: ${describeSchema(written)}; ${names}`,
    dir,
    files: written.files,
  };
}

/** "15 directories (google/api, google/rpc, …)". */
function describeDirs(files: readonly string[]): string {
  const dirs = [
    ...new Set(files.map((f) => f.split("/").slice(0, -1).join("/"))),
  ];
  return `${dirs.length} directories (${dirs.slice(0, 3).join(", ")}, …)`;
}

const protocArgs = (schema: Schema, outDir: string, plugin: string) => [
  `-I${schema.dir}`,
  `--plugin=protoc-gen-es=${plugin}`,
  `--es_out=${outDir}`,
  "--es_opt=target=ts",
  ...schema.files,
];

const cliArgs = (schema: Schema, outDir: string) => [
  streampathCli,
  "generate",
  ...schema.files,
  "--out",
  outDir,
  "-I",
  schema.dir,
];

/**
 * One cold run into a fresh folder, checked to have written files; on failure
 * the error is recorded on `result` and false returned.
 */
function coldRun(
  result: CliResult,
  outDir: string,
  rssFile: string,
  cwd: string,
  commandLine: (outDir: string) => readonly [string, readonly string[]],
): boolean {
  if (result.error !== undefined) return false;
  try {
    mkdirSync(outDir, { recursive: true });
    const [command, args] = commandLine(outDir);
    const measured = runMeasured(command, args, { cwd, rssFile });
    const size = directorySize(outDir);
    if (size.files === 0)
      throw new Error(
        `exited 0 but wrote no files into ${outDir}; its output: ${tail(`${measured.stderr}\n${measured.stdout}`.trim(), 10)}`,
      );
    result.runs.push({
      ms: measured.ms,
      maxRssKiB: measured.maxRssKiB,
      ...size,
    });
    return true;
  } catch (error) {
    result.error = errorMessage(error);
    return false;
  } finally {
    // Only sizes are kept; outputs are large (googleapis: ~100 MB per streampath run).
    if (!process.env.BENCH_KEEP_TMP)
      rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * One more, untimed, protoc run with the plugin itself under GNU time (through
 * a shell wrapper): tells whether protoc or protoc-gen-es is the process whose
 * peak the timed runs report.
 */
function protocPeak(
  schema: Schema,
  tmp: string,
): ProtocPeak | { error: string } {
  const wrapper = join(tmp, "protoc-gen-es-measured.sh");
  const pluginRss = join(tmp, "plugin-rss.txt");
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec ${GNU_TIME} --quiet -o "$BENCH_PLUGIN_RSS" -f %M "${protocGenEs}" "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const outDir = join(tmp, `out-${schema.kind}-protoc-peak`);
  try {
    mkdirSync(outDir, { recursive: true });
    const tree = runMeasured("protoc", protocArgs(schema, outDir, wrapper), {
      cwd: schema.dir,
      rssFile: join(tmp, "protoc-tree-rss.txt"),
      env: { ...process.env, BENCH_PLUGIN_RSS: pluginRss },
    });
    const pluginKiB = readMaxRss(pluginRss);
    return {
      largest: pluginKiB >= tree.maxRssKiB ? "protoc-gen-es" : "protoc",
      protocTreeKiB: tree.maxRssKiB,
      pluginKiB,
    };
  } catch (error) {
    return { error: errorMessage(error) };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** generate() in a fresh process (lib/generate-in-process.ts). */
function inProcess(schema: Schema): InProcessOutput | { error: string } {
  const input: InProcessInput = {
    cwd: schema.dir,
    includePaths: [schema.dir],
    files: schema.files,
    warmCalls: WARM_CALLS,
  };
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(benchDir, "lib", "generate-in-process.ts"),
      JSON.stringify(input),
    ],
    { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  if (result.error) return { error: result.error.message };
  if (result.status !== 0)
    return {
      error: `exited with ${result.signal ?? result.status}: ${tail(`${result.stderr}\n${result.stdout}`.trim(), 25)}`,
    };
  const last = result.stdout.trim().split("\n").pop() ?? "";
  try {
    const output = JSON.parse(last) as InProcessOutput;
    if (output.files === 0) return { error: "generate() returned no files" };
    return output;
  } catch {
    return { error: `unreadable output: ${tail(result.stdout, 10)}` };
  }
}

function measureSchema(schema: Schema, tmp: string): SchemaResult {
  const protoc: CliResult = { runs: [] };
  const cli: CliResult = { runs: [] };
  const rssFile = join(tmp, "rss.txt");
  for (let i = 0; i < RUNS; i++) {
    // Alternating, protoc first: machine drift falls on both alike.
    const outDir = (generator: string) =>
      join(tmp, `out-${schema.kind}-${generator}-${i}`);
    coldRun(protoc, outDir("protoc"), rssFile, schema.dir, (out) => [
      "protoc",
      protocArgs(schema, out, protocGenEs),
    ]);
    coldRun(cli, outDir("streampath"), rssFile, schema.dir, (out) => [
      process.execPath,
      cliArgs(schema, out),
    ]);
    const show = (r: CliResult) =>
      r.runs[i] ? formatMs(r.runs[i]!.ms) : "failed";
    console.log(
      `  run ${i + 1}/${RUNS}: protoc+es ${show(protoc)}, streampath CLI ${show(cli)}`,
    );
  }
  const peak = failed(protoc)
    ? { error: "protoc + protoc-gen-es failed" }
    : protocPeak(schema, tmp);
  const generated = inProcess(schema);
  if (!("error" in generated))
    console.log(
      `  generate(): first call ${formatMs(generated.firstMs)}, warm ${generated.warmMs.map((ms) => Math.round(ms)).join(" / ")} ms`,
    );
  return { schema, protoc, cli, protocPeak: peak, inProcess: generated };
}

function schemaTable(result: SchemaResult): string {
  const { protoc, cli, protocPeak: peak, inProcess: generated } = result;
  const baseline = failed(protoc) ? NaN : cliMedian(protoc);
  const ratio = (ms: number) =>
    Number.isNaN(baseline) ? "" : formatRatio(ms / baseline);
  const cliRow = (label: string, r: CliResult, note: string): string[] => {
    if (failed(r)) return [label, "FAILED", "", "", "", "", "", ""];
    const last = r.runs[r.runs.length - 1]!;
    return [
      label,
      formatMs(cliMedian(r)),
      r.runs.map((run) => Math.round(run.ms)).join(" / "),
      ratio(cliMedian(r)),
      formatMiB(Math.max(...r.runs.map((run) => run.maxRssKiB))),
      String(last.files),
      formatInteger(last.bytes),
      note,
    ];
  };
  const peakNote =
    "error" in peak
      ? "largest process: unknown"
      : peak.largest === "protoc-gen-es"
        ? "largest process: protoc-gen-es (node)"
        : `largest process: protoc (protoc-gen-es ${formatMiB(peak.pluginKiB)})`;
  const rows = [
    cliRow("protoc + protoc-gen-es (target=ts)", protoc, peakNote),
    cliRow(
      "streampath CLI (all targets)",
      cli,
      "node bin/streampath.js (dist/)",
    ),
  ];
  if ("error" in generated) {
    rows.push([
      "streampath generate(), first call",
      "FAILED",
      "",
      "",
      "",
      "",
      "",
      "",
    ]);
  } else {
    const warm = median(generated.warmMs);
    rows.push(
      [
        "streampath generate(), first call",
        formatMs(generated.firstMs),
        "",
        ratio(generated.firstMs),
        "",
        String(generated.files),
        formatInteger(generated.bytes),
        `fresh process; import ${formatMs(generated.importMs)}`,
      ],
      [
        `streampath generate(), warm`,
        formatMs(warm),
        generated.warmMs.map((ms) => Math.round(ms)).join(" / "),
        ratio(warm),
        formatMiB(generated.peakRssKiB),
        String(generated.files),
        formatInteger(generated.bytes),
        `RSS before 1st call ${formatMiB(generated.rssBeforeKiB)}`,
      ],
    );
  }
  const header = [
    "generator",
    "median",
    "runs (ms)",
    "÷ protoc+es",
    "peak RSS",
    "files",
    "bytes",
    "note",
  ];
  return formatTable(header, rows);
}

function summaryTable(results: readonly SchemaResult[]): string {
  const verdict = (ratio: number, target: number) =>
    `${formatRatio(ratio)} ${ratio <= target ? "met" : "NOT met"}`;
  const rows = results.map(({ schema, protoc, cli, inProcess: generated }) => {
    const base = failed(protoc) ? NaN : cliMedian(protoc);
    const ok = !Number.isNaN(base);
    const warm = "error" in generated ? NaN : median(generated.warmMs);
    const maxRss = (r: CliResult) =>
      failed(r)
        ? "FAILED"
        : formatMiB(Math.max(...r.runs.map((run) => run.maxRssKiB)));
    return [
      schema.kind,
      ok ? formatMs(base) : "FAILED",
      maxRss(protoc),
      failed(cli) ? "FAILED" : formatMs(cliMedian(cli)),
      failed(cli) || !ok ? "" : verdict(cliMedian(cli) / base, CLI_TARGET),
      maxRss(cli),
      Number.isNaN(warm) ? "FAILED" : formatMs(warm),
      Number.isNaN(warm) || !ok ? "" : verdict(warm / base, WARM_TARGET),
      "error" in generated ? "" : formatMiB(generated.peakRssKiB),
    ];
  });
  return formatTable(
    [
      "schema",
      "protoc+es",
      "RSS",
      "streampath CLI",
      `÷ (≤ ${formatRatio(CLI_TARGET)})`,
      "RSS",
      "generate() warm",
      `÷ (≤ ${formatRatio(WARM_TARGET)})`,
      "RSS",
    ],
    rows,
  );
}

/** Other work on the machine shows in the numbers; say how much there was. */
const describeLoad = (when: string): string =>
  `load average ${when}: ${loadavg()
    .map((load) => load.toFixed(2))
    .join(" / ")} (1 / 5 / 15 min)`;

function describeGenerators(): string {
  const dist = join(repoRoot, "dist", "generator", "cli.js");
  let built = "dist/ missing";
  try {
    built = `dist/ built ${statSync(dist).mtime.toISOString()}`;
  } catch {
    // stays "missing"; the CLI rows will fail loudly
  }
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  const dirty = spawnSync(
    "git",
    ["status", "--porcelain", "--", "generator", "templates", "schema"],
    { cwd: repoRoot, encoding: "utf8" },
  );
  return [
    `commit ${commit.stdout.trim() || "unknown"}${dirty.stdout.trim() ? " (generator/, templates/ or schema/ modified)" : ""}`,
    `streampath CLI: ${streampathCli} (${built}); generate(): the built dist/ as the package exports it`,
  ].join("\n");
}

async function main(): Promise<void> {
  console.log(
    "code generation benchmark — streampath vs. protoc + protoc-gen-es\n",
  );
  console.log(describeMachine());
  const protocVersion = requireProtoc();
  const timeVersion = requireGnuTime();
  console.log(
    `${protocVersion}, @bufbuild/protoc-gen-es ${installedVersion("@bufbuild/protoc-gen-es")}, ${timeVersion}`,
  );
  console.log(describeGenerators());
  console.log(describeLoad("at the start"));
  console.log(
    `${RUNS} cold runs per CLI, alternating; generate(): first call + ${WARM_CALLS} warm calls in a fresh process\n`,
  );

  const tmp = mkdtempSync(join(tmpdir(), "streampath-codegen-"));
  const results: SchemaResult[] = [];
  try {
    for (const kind of selectedSchemas()) {
      const schema = prepareSchema(kind, tmp);
      console.log(`${schema.description}`);
      const result = measureSchema(schema, tmp);
      results.push(result);
      console.log(`\n${schemaTable(result)}\n`);
    }
    console.log(`${describeLoad("at the end")}\n`);
    console.log("summary (issue 15's targets):\n");
    console.log(summaryTable(results));
    console.log(
      [
        "",
        "÷: median time ÷ the median of protoc + protoc-gen-es on the same schema (below 1.00× = faster).",
        "CLIs: wall clock of cold processes, start-up included. generate(): no process start-up, no file writes.",
        "Peak RSS: GNU time's %M, the largest single process of the tree (max over the runs); generate(): its process's peak.",
      ].join("\n"),
    );
  } finally {
    if (process.env.BENCH_KEEP_TMP) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  const failures = results.flatMap(
    ({ schema, protoc, cli, inProcess: generated }) => [
      ...(failed(protoc)
        ? [
            `protoc + protoc-gen-es on ${schema.kind}: ${protoc.error ?? "no runs"}`,
          ]
        : []),
      ...(failed(cli)
        ? [`streampath CLI on ${schema.kind}: ${cli.error ?? "no runs"}`]
        : []),
      ...("error" in generated
        ? [`streampath generate() on ${schema.kind}: ${generated.error}`]
        : []),
    ],
  );
  for (const failure of failures) loud(`generator failed — ${failure}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  loud(errorMessage(error));
  process.exitCode = 1;
});
