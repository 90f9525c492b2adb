/**
 * Generates a fixture schema into `test/.gen/<name>/` (inside the package, so
 * generated code resolves `streampath/runtime/core` to this checkout) and
 * imports generated modules from there.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generate, type GenerateOptions } from "../../generator/generate.js";
import { writeOutput } from "../../generator/output.js";
import { formatDiagnostic } from "../../schema/diagnostics.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = path.join(ROOT, "test/fixtures");

/** Generates `options.files` into a fresh `test/.gen/<name>`; throws on schema errors. */
export async function generateFixture(name: string, options: GenerateOptions): Promise<string> {
  const out = path.join(ROOT, "test/.gen", name);
  const result = await generate({ cwd: ROOT, ...options });
  if (result.diagnostics.length > 0) {
    throw new Error("fixture schema has errors:\n" + result.diagnostics.map(formatDiagnostic).join("\n"));
  }
  rmSync(out, { recursive: true, force: true });
  writeOutput(out, result.files);
  return out;
}

/** Imports a generated module (`.ts`, run through tsx like the tests). */
export async function importGenerated<T = Record<string, any>>(dir: string, file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(dir, file)).href)) as T;
}

/**
 * Generates into test/.gen/<prefix>-<pid> (test files run in parallel
 * processes), after removing what dead processes left; removed at exit.
 */
export async function generateForThisProcess(prefix: string, options: GenerateOptions): Promise<string> {
  const gen = path.join(ROOT, "test/.gen");
  for (const name of existsSync(gen) ? readdirSync(gen) : []) {
    const pid = new RegExp(`^${prefix}-(\\d+)$`).exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !alive(Number(pid))) rmSync(path.join(gen, name), { recursive: true, force: true });
  }
  const dir = await generateFixture(`${prefix}-${process.pid}`, options);
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
