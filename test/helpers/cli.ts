/** Runs the real CLI (bin/streampath.js) from the TypeScript sources, as a user's shell would. */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./generated.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const NODE_ARGS = ["--import", "tsx", "--conditions=source", "bin/streampath.js"];

/** A copy of the sample schema in a temp dir (removed at the end of the test), and where to generate it. */
export function workspace(t: { teardown(fn: () => void): void }): { dir: string; schema: string; out: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const schema = path.join(dir, "schema");
  cpSync(path.join(ROOT, "generated-sample/schema"), schema, { recursive: true });
  return { dir, schema, out: path.join(dir, "gen") };
}

export interface CliOptions {
  /** Added to the environment (after FORCE_COLOR=0). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0", ...options.env } });
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const { timeoutMs = 60_000 } = options;
  return new Promise((resolve, reject) => {
    const child = startCli(args, options);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`streampath ${args.join(" ")} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `streampath generate --watch` child, its stderr collected; killed at the end of the test. */
export interface WatchingCli {
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Waits (bounded) until `what` holds; returns how long that took in ms. */
  waitFor(what: RegExp | (() => boolean), label: string, timeoutMs?: number): Promise<number>;
  /** Ctrl-C; resolves with the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

export async function watchCli(t: { teardown(fn: () => void): void }, args: string[]): Promise<WatchingCli> {
  const child = startCli([...args, "--watch"]);
  t.teardown(() => void child.kill("SIGKILL"));
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const watching: WatchingCli = {
    stderr: () => stderr,
    async waitFor(what, label, timeoutMs = 10_000) {
      const started = performance.now();
      while (performance.now() - started < timeoutMs) {
        if (typeof what === "function" ? what() : what.test(stderr)) return performance.now() - started;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`no ${label} within ${timeoutMs} ms (exit code ${child.exitCode}); stderr:\n${stderr}`);
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  await watching.waitFor(/streampath: watching/, "start of the watch", 30_000);
  return watching;
}

/** The `streampath: … generated|regenerated …` summary lines in `stderr`. */
export function summaryLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /^streampath: (errors fixed; )?(re)?generated \d+ files? /.test(line));
}
