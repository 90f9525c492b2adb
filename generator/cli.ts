/**
 * `streampath generate`: a thin shell over `generate()`. It only touches the
 * process: arguments, files on disk, stderr, exit codes, and the watch loop.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import yargs, { type Argv, type Options } from "yargs";
import { hideBin } from "yargs/helpers";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { init } from "./init.js";
import { TARGETS, generate, type Target } from "./generate.js";
import { checkOutput, removeStale, staleFiles, summaryLine, writeOutput } from "./output.js";
import { unknownUsage } from "./suggest.js";
import { VERSION } from "./version.js";
import { watchSchema } from "./watch.js";

interface GenerateArgs {
  files: string[];
  out: string;
  include: string[];
  target: Target[];
  check: boolean;
  watch: boolean;
  strictRoles: boolean;
  verbose: boolean;
}

/** A generation slower than this says that it is under way. */
const PROGRESS_AFTER_MS = 1000;

// The help shows no types or defaults (`[array] [default: []]` says nothing
// to a reader): each description says what is required and what the default is.
const OPTIONS = {
  out: { alias: "o", type: "string", demandOption: true, describe: "Output directory (required)" },
  include: {
    alias: "I",
    type: "string",
    array: true,
    default: [] as string[],
    describe: "Import path, repeatable. Default: each input's directory, then the working directory",
  },
  target: {
    type: "string",
    array: true,
    default: [...TARGETS],
    coerce: (v: string[]) => v.flatMap((s) => s.split(",")),
    describe: `What to generate for the named files: ${TARGETS.join(", ")} (comma-separated or repeated; default: all). What that code imports is generated too`,
  },
  check: { type: "boolean", default: false, describe: "Write nothing; list every missing, changed or stale file and exit 1 if any (for CI)" },
  watch: { alias: "w", type: "boolean", default: false, describe: "Keep running; regenerate after every change to the schema, one line each" },
  "strict-roles": { type: "boolean", default: false, describe: "A service without (streampath.role) is an error (default: a host service)" },
  verbose: { type: "boolean", default: false, describe: "Say what was generated (default: quiet on success)" },
} satisfies Record<string, Options>;

const INIT_OPTIONS = {
  name: { type: "string", describe: "The app's package name. Default: the folder's name" },
  streampath: {
    type: "string",
    describe: "How the app's package.json asks for streampath. Default: ^ this version. A path to a packed .tgz is written as file: (to try a build not on npm)",
  },
} satisfies Record<string, Options>;

const USAGE = {
  commands: ["generate", "init"],
  options: [...Object.keys(OPTIONS), ...Object.keys(INIT_OPTIONS), "help", "version"],
  short: Object.values(OPTIONS).flatMap((o) => ("alias" in o ? [o.alias] : [])),
};

const TARGET_ROWS: [string, string][] = [
  ["messages", "a/b_pb.ts: message and enum types with binary and JSON codecs"],
  ["host", "a/b_host.ts: host services, to implement and to call"],
  ["guest", "a/b_guest.ts: read and write services, run in a browser worker"],
  ["view", "a/b_view.ts: view services, run in a browser window"],
];
const EXIT_STATUS = "Exit status: 0 done; 1 schema errors, or (--check) files out of date; 2 usage error.";
const DOCS = "Docs: README.md, section CLI, in the streampath package (node_modules/streampath/README.md).";

/** Words wrapped to `width`, continued lines indented by `indent`. */
function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The end of `generate --help`, wrapped as yargs wraps the rest (yargs would not indent the table's continued lines). */
function generateEpilogue(width: number): string {
  // yargs trims the first spaces of an epilogue's lines, so the table starts at the margin.
  const table = TARGET_ROWS.flatMap(([name, what]) => wrap(`${name.padEnd(8)}  ${what}`, width, " ".repeat(10)));
  return ["Targets (for a/b.proto):", ...table, "", ...wrap(EXIT_STATUS, width), ...wrap(DOCS, width)].join("\n");
}

/** Directories on the command line stand for the .proto files below them. */
function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".proto")) out.push(p);
    }
  };
  for (const input of inputs) {
    if (existsSync(input) && statSync(input).isDirectory()) walk(input);
    else out.push(input);
  }
  return out;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

interface RunContext {
  /** What the schema is read through (the watch records it). */
  readFile?: (file: string) => string | undefined;
  /** In watch mode: whether this is a rerun, and whether the last run failed. */
  watch?: { again: boolean; failedBefore: boolean };
}

/** Runs one generation; returns the exit code. */
async function runOnce(args: GenerateArgs, log: (line: string) => void, context: RunContext = {}): Promise<number> {
  const started = performance.now();
  const files = expandInputs(args.files);
  // Loading is synchronous, so the progress line is checked at every file read, and by a timer while formatting.
  let announced = false;
  const progress = () => {
    if (announced || performance.now() - started < PROGRESS_AFTER_MS) return;
    announced = true;
    log(`streampath: generating from ${files.length} file${files.length === 1 ? "" : "s"}…`);
  };
  const timer = setInterval(progress, 100);
  // One read per file and run: a file saved while the schema loads is used as one version.
  const reads = new Map<string, string | undefined>();
  const readFile = (file: string) => {
    if (!reads.has(file)) reads.set(file, (context.readFile ?? readOrUndefined)(file));
    return reads.get(file);
  };
  let result;
  try {
    result = await generate({
      files,
      includePaths: args.include,
      targets: args.target,
      strictRoles: args.strictRoles,
      readFile: (file) => {
        const text = readFile(file);
        progress();
        return text;
      },
    });
  } finally {
    clearInterval(timer);
  }
  if (result.diagnostics.length > 0) {
    for (const d of result.diagnostics) log(formatDiagnostic(d));
    const n = result.diagnostics.length;
    log(`streampath: ${n} error${n === 1 ? "" : "s"}; nothing was written.`);
    return 1;
  }
  if (args.check) {
    const { changed, missing } = checkOutput(args.out, result.files);
    const stale = staleFiles(args.out, result.files);
    const problems = [
      ...missing.map((f) => `missing: ${path.join(args.out, f)}`),
      ...changed.map((f) => `changed: ${path.join(args.out, f)}`),
      ...stale.map((f) => `stale:   ${path.join(args.out, f)}`),
    ];
    for (const p of problems) log(p);
    if (problems.length > 0) {
      log(`streampath: ${problems.length} generated file(s) out of date; run streampath generate.`);
      return 1;
    }
    if (args.verbose || announced) log(`streampath: ${result.files.length} generated files are up to date`);
    return 0;
  }
  const written = writeOutput(args.out, result.files);
  const removed = removeStale(args.out, result.files);
  if (args.verbose || announced || context.watch) {
    const { again = false, failedBefore = false } = context.watch ?? {};
    const counts = { files: result.files.length, written: written.length, removed: removed.length };
    log(summaryLine({ ...counts, verb: again ? "regenerated" : "generated", ms: performance.now() - started, fixed: failedBefore }));
  }
  return 0;
}

/** Help without `[array] [default: []]`; yargs 18 has the setting, @types/yargs 17 does not declare it. */
function hideTypes<T>(y: Argv<T>): Argv<T> {
  return (y as Argv<T> & { usageConfiguration(config: { "hide-types": boolean }): Argv<T> }).usageConfiguration({ "hide-types": true });
}

/** Help width: the terminal's, else $COLUMNS, else 80; at most 100 so that lines stay readable on a wide screen. */
function helpWidth(): number {
  const columns = process.stdout.columns || Number(process.env.COLUMNS) || 80;
  return Math.max(40, Math.min(columns, 100));
}

export async function main(argv: string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(line + "\n");
  const unknown = unknownUsage(argv, USAGE);
  if (unknown) throw new UsageError(unknown);
  let exitCode = 0;
  const width = helpWidth();
  await hideTypes(yargs(argv))
    .scriptName("streampath")
    .version("version", "Show the version", VERSION)
    .help("help", "Show this help")
    .strict()
    .wrap(width)
    .demandCommand(1, "name a command: streampath generate <files..> --out DIR, or streampath init <dir>")
    .command(
      "generate <files..>",
      "Generate TypeScript from .proto files, or the .proto files in directories",
      (y) =>
        y
          .usage("$0 generate <files..> --out DIR [options]\n\nGenerate TypeScript from .proto files, or the .proto files in directories (and their subdirectories).")
          .positional("files", { type: "string", array: true, describe: ".proto files, or directories searched for them" })
          .options(OPTIONS)
          .example("$0 generate schema/*.proto --out src/gen", "")
          .example("$0 generate schema --out src/gen --check", "")
          .example("$0 generate schema --out src/gen --watch", "")
          .epilogue(generateEpilogue(width)),
      async (a) => {
        const args: GenerateArgs = {
          files: a.files!,
          out: a.out,
          include: a.include,
          target: a.target as Target[],
          check: a.check,
          watch: a.watch,
          strictRoles: a.strictRoles,
          verbose: a.verbose,
        };
        if (args.check && args.watch) throw new UsageError("--check and --watch cannot be used together");
        const invalid = args.target.filter((t) => !(TARGETS as readonly string[]).includes(t));
        if (invalid.length > 0) throw new UsageError(`unknown target ${invalid.join(", ")} (the targets are ${TARGETS.join(", ")})`);
        if (!args.watch) {
          exitCode = await runOnce(args, log);
          return;
        }
        let runs = 0;
        let failedBefore = false;
        await watchSchema({
          roots: args.files,
          run: async (readFile) => {
            let code = 1;
            try {
              code = await runOnce(args, log, { readFile, watch: { again: runs++ > 0, failedBefore } });
            } catch (error) {
              // An output directory that cannot be written, say: the next change may be the fix.
              log(`streampath: ${error instanceof Error ? error.message : String(error)}`);
            }
            failedBefore = code !== 0;
          },
          log,
        });
      },
    )
    .command(
      "init <dir>",
      "Start a new app in a new folder: schema, host, worker, window, build and test",
      (y) =>
        y
          .usage("$0 init <dir> [options]\n\nStart a new app in a new folder: a schema with a host, a read, a write and a view service; the host serving the page over HTTPS; the worker; the window; an esbuild build; a test.")
          .positional("dir", { type: "string", demandOption: true, describe: "The new app's folder (must not exist, or be empty)" })
          .options(INIT_OPTIONS)
          .example("$0 init my-app", ""),
      (a) => {
        init({ dir: a.dir, ...(a.name === undefined ? {} : { name: a.name }), ...(a.streampath === undefined ? {} : { streampath: a.streampath }) });
        const cd = /\s/.test(a.dir) ? JSON.stringify(a.dir) : a.dir;
        process.stdout.write(
          [`Created ${a.dir}: a notes app with a host, a worker and a window.`, "", "Next:", `  cd ${cd}`, "  npm install", "  npm run dev", ""].join("\n"),
        );
      },
    )
    .epilogue(["Run streampath generate --help for its options, targets and exit status.", DOCS].flatMap((p) => wrap(p, width)).join("\n"))
    .fail((message, error) => {
      // yargs' own complaints (a missing --out, a bad value) are usage errors; the handler's errors stay what they are.
      if (message) throw new UsageError(message);
      throw error?.name === "YError" ? new UsageError(error.message) : error;
    })
    .parseAsync();
  return exitCode;
}

/** A command line that does not say what to do: exit 2, as shells and most CLIs do. */
class UsageError extends Error {}

/**
 * Runs the CLI and sets the exit code: on `process.argv` for `bin/streampath.js`,
 * on `["init", ...]` for create-streampath (`npm create streampath`).
 */
export function run(argv: string[] = hideBin(process.argv)): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`streampath: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof UsageError) process.stderr.write("Run streampath --help for usage.\n");
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
