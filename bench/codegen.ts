// Code generation time on a synthetic schema (see synthetic.ts): protoc with
// @bufbuild/protoc-gen-es versus our generator, through its CLI and in-process.
//
//   npm run bench:codegen        (= npx tsx bench/codegen.ts)
//
// BENCH_CODEGEN_RUNS=3 sets the runs per generator; BENCH_KEEP_TMP=1 keeps the
// temporary directory (schema and outputs) for inspection.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeSchema, writeSyntheticSchema } from "./synthetic.js";
import { directorySize, errorMessage, requireProtoc, run } from "./lib/exec.js";
import { protocGenEs, streampathCli } from "./lib/paths.js";
import {
  describeMachine,
  formatInteger,
  formatMs,
  formatRatio,
  formatTable,
  installedVersion,
  loud,
} from "./lib/report.js";
import { generate, type GenerateResult } from "../generator/index.js";

interface GeneratorResult {
  readonly label: string;
  /** Wall-clock milliseconds of every run, in run order. */
  readonly runs: number[];
  readonly files: number;
  readonly bytes: number;
  readonly note?: string;
}

type Outcome = GeneratorResult | { label: string; skipped: string };

const RUNS = Math.max(1, Number(process.env.BENCH_CODEGEN_RUNS) || 3);

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Runs a command-line generator RUNS times, each into a fresh output folder. */
function timeCommand(
  label: string,
  outRoot: string,
  command: (outDir: string) => [string, string[]],
): GeneratorResult {
  const runs: number[] = [];
  let size = { files: 0, bytes: 0 };
  for (let i = 0; i < RUNS; i++) {
    const outDir = join(outRoot, `run-${i}`);
    mkdirSync(outDir, { recursive: true });
    const [executable, args] = command(outDir);
    runs.push(run(executable, args).ms);
    size = directorySize(outDir);
  }
  return { label, runs, ...size };
}

function timeProtocEs(
  schemaDir: string,
  files: string[],
  outRoot: string,
): GeneratorResult {
  return timeCommand(
    "protoc + protoc-gen-es (target=ts)",
    outRoot,
    (outDir) => [
      "protoc",
      [
        `-I${schemaDir}`,
        `--plugin=protoc-gen-es=${protocGenEs}`,
        `--es_out=${outDir}`,
        "--es_opt=target=ts",
        ...files,
      ],
    ],
  );
}

function timeStreampathCli(
  schemaDir: string,
  files: string[],
  outRoot: string,
): Outcome {
  const label = "streampath CLI (all targets)";
  if (!existsSync(streampathCli))
    return { label, skipped: `${streampathCli} does not exist yet` };
  try {
    return timeCommand(label, outRoot, (outDir) => [
      process.execPath,
      [streampathCli, "generate", ...files, "--out", outDir, "-I", schemaDir],
    ]);
  } catch (error) {
    return { label, skipped: errorMessage(error) };
  }
}

/**
 * Our generator called as a function: no process start-up, no file writes.
 * The first call also pays for loading and JIT-compiling the generator, so it
 * is reported separately from the median.
 */
async function timeStreampathInProcess(
  schemaDir: string,
  files: string[],
): Promise<Outcome> {
  const label = "streampath generate() in-process";
  const runs: number[] = [];
  let output: GenerateResult = { files: [], diagnostics: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      output = await generate({ files, includePaths: [schemaDir] });
      runs.push(performance.now() - started);
    }
  } catch (error) {
    return { label, skipped: `generate() threw: ${errorMessage(error)}` };
  }
  if (output.diagnostics.length > 0) {
    const shown = output.diagnostics
      .slice(0, 5)
      .map((d) => `  ${d.file}:${d.line}:${d.column} ${d.message}`);
    loud(
      `generate() reported ${output.diagnostics.length} diagnostics on the synthetic schema:\n${shown.join("\n")}`,
    );
  }
  const bytes = output.files.reduce(
    (total, file) => total + Buffer.byteLength(file.content),
    0,
  );
  return {
    label,
    runs,
    files: output.files.length,
    bytes,
    note: `first call ${formatMs(runs[0]!)}`,
  };
}

function resultTable(
  baseline: GeneratorResult,
  outcomes: readonly Outcome[],
): string {
  const rows = outcomes.map((outcome) => {
    if ("skipped" in outcome)
      return [outcome.label, "skipped", "", "", "", "", ""];
    const { label, runs, files, bytes, note } = outcome;
    const ratio = formatRatio(median(runs) / median(baseline.runs));
    return [
      label,
      formatMs(median(runs)),
      runs.map((ms) => Math.round(ms)).join(" / "),
      ratio,
      String(files),
      formatInteger(bytes),
      note ?? "",
    ];
  });
  const header = [
    "generator",
    `median of ${RUNS}`,
    "runs (ms)",
    "time ÷ protoc+es",
    "files",
    "bytes",
    "note",
  ];
  return formatTable(header, rows);
}

async function main(): Promise<void> {
  console.log(
    "code generation benchmark — streampath vs. protoc + protoc-gen-es\n",
  );
  console.log(describeMachine());
  const protocVersion = requireProtoc();
  console.log(
    `${protocVersion}, @bufbuild/protoc-gen-es ${installedVersion("@bufbuild/protoc-gen-es")}\n`,
  );

  const tmp = mkdtempSync(join(tmpdir(), "streampath-codegen-"));
  try {
    const schemaDir = join(tmp, "schema");
    const schema = writeSyntheticSchema(schemaDir);
    console.log(`synthetic schema: ${describeSchema(schema)}`);
    // Absolute paths inside the include path: accepted by protoc and by ours.
    const files = schema.files.map((file) => join(schemaDir, file));

    const baseline = timeProtocEs(schemaDir, files, join(tmp, "out-protoc-es"));
    const outcomes: Outcome[] = [
      baseline,
      timeStreampathCli(schemaDir, files, join(tmp, "out-streampath-cli")),
      await timeStreampathInProcess(schemaDir, files),
    ];
    console.log(`\n${resultTable(baseline, outcomes)}`);
    console.log(
      "time ÷ protoc+es: below 1.00× = faster than protoc + protoc-gen-es. Wall clock, including process start-up for the CLIs.",
    );
    for (const outcome of outcomes) {
      if ("skipped" in outcome)
        loud(
          `streampath generator not available (${outcome.label}): ${outcome.skipped}`,
        );
    }
  } finally {
    if (process.env.BENCH_KEEP_TMP) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
