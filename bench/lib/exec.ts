// Small wrappers around child processes shared by prepare.ts and codegen.ts.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

export const PROTOC_INSTALL_HINT =
  "sudo apt-get update && sudo apt-get install -y protobuf-compiler";

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
