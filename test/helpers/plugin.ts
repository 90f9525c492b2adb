/**
 * protoc-gen-streampath as protoc and buf run it: a real process over real
 * files, from the TypeScript sources; and the comparison of what it writes
 * with what the CLI writes, file by file.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { ExecutionContext } from "ava";
import type { GeneratedFile } from "../../generator/generate.js";
import { ROOT } from "./generated.js";

export const PLUGIN = path.join(ROOT, "bin/protoc-gen-streampath.js");
/** Where `streampath/options.proto` lives, for protoc's and buf's include paths. */
export const OPTIONS_DIR = path.join(ROOT, "schema/proto");

/**
 * The plugin's environment: protoc and buf start it as `node bin/…js`, which
 * then loads the sources through tsx (absolute: buf runs it from elsewhere).
 */
export const PLUGIN_ENV = {
  ...process.env,
  NODE_OPTIONS: `--conditions=source --import=${import.meta.resolve("tsx")}`,
};

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(command: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...PLUGIN_ENV, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not exit within ${options.timeoutMs ?? 120_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

/** protoc must be there: a missing compiler fails the test with the command that installs it. */
export function requireProtoc(): string {
  const version = spawnSync("protoc", ["--version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    throw new Error("protoc is not installed; install Debian's compiler: apt-get install -y protobuf-compiler");
  }
  return version.stdout.trim();
}

/** protoc with the plugin: `--streampath_out` into `out`, `opt` as `--streampath_opt`. */
export function protoc(includes: string[], files: string[], out: string, opt?: string): Promise<Run> {
  return run("protoc", [
    `--plugin=protoc-gen-streampath=${PLUGIN}`,
    `--streampath_out=${out}`,
    ...(opt ? [`--streampath_opt=${opt}`] : []),
    ...includes.map((dir) => `-I${dir}`),
    ...files,
  ]);
}

/** Every file under `dir`, by `/`-separated relative path. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else out.set(rel, readFileSync(path.join(dir, rel), "utf8"));
    }
  };
  if (existsSync(dir)) walk("");
  return out;
}

/** Asserts the same paths with byte-identical contents; names what differs, and where. */
export function assertSameFiles(t: ExecutionContext, expected: GeneratedFile[] | Map<string, string>, actual: Map<string, string>): void {
  const want = expected instanceof Map ? expected : new Map(expected.map((f) => [f.path, f.content]));
  t.deepEqual([...actual.keys()].sort(), [...want.keys()].sort(), "the same files");
  const differing = [...want].filter(([p, content]) => actual.has(p) && actual.get(p) !== content).map(([p, content]) => {
    const a = content.split("\n");
    const b = actual.get(p)!.split("\n");
    const line = a.findIndex((l, i) => l !== b[i]);
    return `${p}:${line + 1}\n  CLI:    ${a[line]}\n  plugin: ${b[line]}`;
  });
  t.deepEqual(differing, [], "byte-identical contents");
}
