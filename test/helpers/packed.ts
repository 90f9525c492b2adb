/**
 * streampath as `npm pack` makes it, from this checkout, without touching
 * the checkout: the files package.json ships are copied to a staging
 * folder, dist/ is compiled there from the sources (so it is never stale,
 * and the checkout's dist/, which other tests run, is left alone), and the
 * staging folder is packed.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./generated.js";

const run = promisify(execFile);

/** The environment for npm run inside a test: nothing inherited from an outer `npm test` (its npm_config_local_prefix would point npm at this checkout). */
export function cleanNpmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "INIT_CWD" && key !== "NODE_OPTIONS") env[key] = value;
  }
  return { ...env, FORCE_COLOR: "0", NO_COLOR: "1", ...extra };
}

/** Packs streampath into `into`; resolves with the tarball's file name (`streampath-<version>.tgz`). */
export async function packStreampath(into: string): Promise<string> {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { files: string[]; version: string };
  const staging = mkdtempSync(path.join(tmpdir(), "streampath-pack-"));
  try {
    for (const entry of [...manifest.files.filter((f) => f !== "dist"), "package.json", "README.md", "LICENSE"]) {
      if (!existsSync(path.join(ROOT, entry))) continue;
      mkdirSync(path.dirname(path.join(staging, entry)), { recursive: true });
      cpSync(path.join(ROOT, entry), path.join(staging, entry), { recursive: true });
    }
    const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
    await run(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", path.join(staging, "dist")], {
      cwd: ROOT,
      timeout: 300_000,
    });
    // --ignore-scripts: `prepare` would build again, into the staging folder's own (absent) sources.
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", into], { cwd: staging, env: cleanNpmEnv(), timeout: 120_000 });
    const name = stdout.trim().split("\n").pop()!;
    if (name !== `streampath-${manifest.version}.tgz`) throw new Error(`npm pack wrote ${name}, not streampath-${manifest.version}.tgz`);
    return name;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
