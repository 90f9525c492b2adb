// Small wrappers around child processes shared by prepare.ts and codegen.ts.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, join } from "node:path";
import { repoRoot } from "./paths.js";

export const PROTOC_INSTALL_HINT =
  "sudo apt-get update && sudo apt-get install -y protobuf-compiler";

/** GNU time (Debian package `time`), for the peak RSS of a process tree. */
export const GNU_TIME = "/usr/bin/time";
export const GNU_TIME_INSTALL_HINT =
  "sudo apt-get update && sudo apt-get install -y time";

export interface RunResult {
  /** Wall-clock duration of the child process in milliseconds. */
  readonly ms: number;
  readonly stdout: string;
}

/** Thrown when a command exits non-zero; carries stderr for the loud messages. */
export class CommandError extends Error {}

/**
 * Runs a command synchronously from the repository root (or `options.cwd`)
 * and throws a CommandError carrying its stderr when it fails. Timing the
 * whole spawn is deliberate: process start-up is part of what a user waits
 * for.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): RunResult {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? repoRoot,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const ms = performance.now() - started;
  if (result.error)
    throw new CommandError(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = (result.stderr || result.stdout || "").trim();
    throw new CommandError(
      `${command} ${args.join(" ")} exited with ${result.status}: ${tail(output, 20)}`,
    );
  }
  return { ms, stdout: result.stdout };
}

/** Returns `protoc --version`, or throws with the command that installs it. */
export function requireProtoc(): string {
  const result = spawnSync("protoc", ["--version"], { encoding: "utf8" });
  if (result.error || result.status !== 0) {
    throw new Error(
      `protoc was not found on PATH. Install it with:\n    ${PROTOC_INSTALL_HINT}`,
    );
  }
  return result.stdout.trim();
}

/** Returns GNU time's version line, or throws with the command that installs it. */
export function requireGnuTime(): string {
  const result = existsSync(GNU_TIME)
    ? spawnSync(GNU_TIME, ["--version"], { encoding: "utf8" })
    : undefined;
  const version = `${result?.stdout ?? ""}${result?.stderr ?? ""}`;
  if (!result || result.error || !version.includes("GNU")) {
    throw new Error(
      `GNU time is not installed as ${GNU_TIME}; it measures the generators' peak RSS. ` +
        `Install it (Debian/Ubuntu package \`time\`) with:\n    ${GNU_TIME_INSTALL_HINT}`,
    );
  }
  return version.split("\n")[0]!.trim();
}

export interface MeasuredRun extends RunResult {
  readonly stderr: string;
  /**
   * GNU time's `%M`: the largest maximum resident set size, in KiB, of the
   * command and of every descendant it waited for (the largest single
   * process, not a sum).
   */
  readonly maxRssKiB: number;
}

/**
 * Runs a command under GNU time (see requireGnuTime) and returns its wall
 * clock and peak RSS; throws a CommandError with the tail of its output when
 * it fails. `rssFile` is where GNU time writes, removed afterwards.
 */
export function runMeasured(
  command: string,
  args: readonly string[],
  options: { cwd: string; rssFile: string; env?: NodeJS.ProcessEnv },
): MeasuredRun {
  rmSync(options.rssFile, { force: true });
  const started = performance.now();
  const result = spawnSync(
    GNU_TIME,
    ["--quiet", "-o", options.rssFile, "-f", "%M", command, ...args],
    {
      cwd: options.cwd,
      env: options.env ?? process.env,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    },
  );
  const ms = performance.now() - started;
  const shown = `${basename(command)} ${briefArgs(args)}`;
  if (result.error) throw new CommandError(`${shown}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stderr}\n${result.stdout}`.trim();
    throw new CommandError(
      `${shown} exited with ${result.signal ?? result.status}: ${tail(output, 20)}`,
    );
  }
  const maxRssKiB = readMaxRss(options.rssFile);
  return { ms, stdout: result.stdout, stderr: result.stderr, maxRssKiB };
}

/** The `%M` GNU time wrote to `file` (its last line). */
export function readMaxRss(file: string): number {
  const text = readFileSync(file, "utf8").trim();
  rmSync(file, { force: true });
  const kib = Number(text.split("\n").pop());
  if (!Number.isFinite(kib) || kib <= 0)
    throw new Error(`GNU time wrote no peak RSS to ${file}: ${text}`);
  return kib;
}

/** The first arguments of a long command line, for error messages. */
function briefArgs(args: readonly string[], shown = 6): string {
  return args.length > shown
    ? `${args.slice(0, shown).join(" ")} … (${args.length - shown} more)`
    : args.join(" ");
}

/** Total size and count of the regular files below a directory. */
export function directorySize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, {
    withFileTypes: true,
    recursive: true,
  })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return { files, bytes };
}

/** Last `lines` lines of a text, so error messages stay readable. */
export function tail(text: string, lines: number): string {
  const all = text.split("\n");
  return (all.length > lines ? ["…", ...all.slice(-lines)] : all).join("\n");
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
