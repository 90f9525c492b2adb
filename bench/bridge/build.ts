// Generated code and bundles of the bridge benchmark. bench/schema/echo.proto
// is generated into bench/gen/browser-bridge/ (git-ignored, a folder of its
// own so the other benchmarks can regenerate theirs at any time), and the
// page and worker entries are bundled in memory with esbuild's "source"
// condition, as the tests bundle theirs.
import { join, relative } from "node:path";
import { mkdirSync, rmSync } from "node:fs";
import { build, type Plugin } from "esbuild";
import { run } from "../lib/exec.js";
import { genDirOf, repoRoot, schemaDir, streampathCli } from "../lib/paths.js";

const genDir = genDirOf("browser-bridge");
const rel = (path: string): string => relative(repoRoot, path);

/** Runs `streampath generate` on echo.proto into bench/gen/browser-bridge/. */
export function generateEcho(): void {
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(genDir, { recursive: true });
  run(process.execPath, ["--import", "tsx", "--conditions=source", rel(streampathCli), "generate", rel(join(schemaDir, "echo.proto")), "--out", rel(genDir)]);
}

/** One entry of bench/bridge/, bundled for Chromium with the generated echo module as `streampath-bench-echo`. */
export async function bundle(entry: "page" | "worker"): Promise<string> {
  const generated: Plugin = {
    name: "generated-echo",
    setup(b) {
      b.onResolve({ filter: /^streampath-bench-echo$/ }, () => ({ path: join(genDir, "echo_host.ts") }));
    },
  };
  const result = await build({
    entryPoints: [join(repoRoot, "bench", "bridge", `${entry}.ts`)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    conditions: ["source"],
    plugins: [generated],
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
