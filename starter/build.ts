/**
 * Bundles the window and the worker into public/build/, regenerating
 * src/gen/ from schema/ first (the streampath esbuild plugin). With
 * `--watch` (`npm run dev`): rebuilds on every change, schema included,
 * and runs the host, restarted when its code changes.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";
import { streampath } from "streampath/esbuild";

const watch = process.argv.includes("--watch");

const context = await esbuild.context({
  entryPoints: { window: "src/window.ts", worker: "src/worker.ts" },
  outdir: "public/build",
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "info",
  plugins: [streampath({ files: ["schema"], out: "src/gen" })],
});

const first = await context.rebuild().catch(() => undefined); // esbuild has printed why
if (!watch) {
  await context.dispose();
  process.exit(first ? 0 : 1);
}
await context.watch();
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
const host = spawn(process.execPath, [tsx, "watch", "--clear-screen=false", "src/host.ts"], { stdio: "inherit" });
host.once("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => host.kill(signal));
