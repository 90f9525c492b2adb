/**
 * `streampath generate`: a thin shell over `generate()`. It only touches the
 * process: arguments, files on disk, stderr, exit codes, and the watch loop.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { TARGETS, generate, type GenerateOptions, type Target } from "./generate.js";
import { checkOutput, removeStale, staleFiles, writeOutput } from "./output.js";
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

/** Runs one generation; returns the exit code. */
async function runOnce(args: GenerateArgs, log: (line: string) => void): Promise<number> {
  const files = expandInputs(args.files);
  const options: GenerateOptions = {
    files,
    includePaths: args.include,
    targets: args.target,
    strictRoles: args.strictRoles,
  };
  const progress = files.length >= 20;
  const started = Date.now();
  if (progress) log(`streampath: generating from ${files.length} files…`);
  const result = await generate(options);
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
    return 0;
  }
  const written = writeOutput(args.out, result.files);
  const removed = removeStale(args.out, result.files);
  if (progress || args.watch) {
    const ms = Date.now() - started;
    log(`streampath: ${result.files.length} files generated, ${written.length} written, ${removed.length} removed (${ms} ms)`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(line + "\n");
  let exitCode = 0;
  await yargs(argv)
    .scriptName("streampath")
    .version(VERSION)
    .strict()
    .demandCommand(1, "Name a command: streampath generate <files..> --out DIR")
    .command(
      "generate <files..>",
      "Generate TypeScript from .proto files (or directories of them)",
      (y) =>
        y
          .positional("files", { type: "string", array: true, demandOption: true, describe: ".proto files or directories" })
          .option("out", { alias: "o", type: "string", demandOption: true, describe: "Output directory" })
          .option("include", {
            alias: "I",
            type: "string",
            array: true,
            default: [] as string[],
            describe: "Import path (repeatable); default: each input file's directory, then the working directory",
          })
          .option("target", {
            type: "string",
            array: true,
            choices: TARGETS,
            default: [...TARGETS],
            coerce: (v: string[]) => v.flatMap((s) => s.split(",")) as Target[],
            describe: "What to generate for the named files; the modules it imports come too",
          })
          .option("check", { type: "boolean", default: false, describe: "Write nothing; exit 1 listing every file that would change (for CI)" })
          .option("watch", { alias: "w", type: "boolean", default: false, describe: "Regenerate whenever a .proto file changes" })
          .option("strict-roles", { type: "boolean", default: false, describe: "A service without (streampath.role) is an error" })
          .example("$0 generate schema/*.proto --out src/gen", "generate code for every schema")
          .example("$0 generate schema --out src/gen --check", "fail CI when src/gen is out of date"),
      async (a) => {
        const args: GenerateArgs = {
          files: a.files as string[],
          out: a.out,
          include: a.include as string[],
          target: a.target as Target[],
          check: a.check,
          watch: a.watch,
          strictRoles: a.strictRoles,
        };
        if (args.check && args.watch) throw new UsageError("--check and --watch cannot be used together");
        const invalid = args.target.filter((t) => !(TARGETS as readonly string[]).includes(t));
        if (invalid.length > 0) {
          log(`streampath: unknown target ${invalid.join(", ")} (known: ${TARGETS.join(", ")})`);
          exitCode = 1;
          return;
        }
        exitCode = await runOnce(args, log);
        if (args.watch) {
          await watchSchema({
            files: () => expandInputs(args.files),
            includePaths: args.include,
            run: () => runOnce(args, log),
            log,
          });
        }
      },
    )
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .help()
    .parseAsync();
  return exitCode;
}

class UsageError extends Error {}

/** Runs the CLI on `process.argv` and sets the exit code; what `bin/streampath.js` calls. */
export function run(): void {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`streampath: ${error instanceof Error ? error.message : String(error)}\n`);
      process.stderr.write("Run streampath --help for usage.\n");
      process.exitCode = 1;
    },
  );
}
