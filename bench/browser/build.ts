// Generated code and the worker bundle of the browser benchmark.
//
// Our generator writes bench/schema/echo.proto's code into
// bench/gen/browser-echo/ (git-ignored; a folder of its own, so bench:host
// and bench:codec, which regenerate theirs, can run at other times without
// stepping on it). The CLI runs from the TypeScript sources, as the tests run
// it, so the benchmark needs no build of dist/.
import { join, relative } from "node:path";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import type { ServiceDescriptor } from "streampath/runtime/host";
import { run } from "../lib/exec.js";
import { genDirOf, repoRoot, schemaDir, streampathCli } from "../lib/paths.js";

export const echoProto = join(schemaDir, "echo.proto");
export const browserGenDir = genDirOf("browser-echo");
const workerEntry = join(repoRoot, "bench", "browser", "worker.ts");
/** The bundle, written for the host process to serve (and to read profiles against). */
export const workerBundlePath = join(browserGenDir, "worker.js");

const rel = (path: string): string => relative(repoRoot, path);

/** Runs `streampath generate` on echo.proto into bench/gen/browser-echo/. */
export function generateEcho(): void {
  rmSync(browserGenDir, { recursive: true, force: true });
  mkdirSync(browserGenDir, { recursive: true });
  run(process.execPath, [
    "--import",
    "tsx",
    "--conditions=source",
    rel(streampathCli),
    "generate",
    rel(echoProto),
    "--out",
    rel(browserGenDir),
  ]);
}

/** The generated service descriptor, for the host's `implement(Echo, …)`. */
export async function loadEchoDescriptor(): Promise<ServiceDescriptor> {
  const host = await import(
    pathToFileURL(join(browserGenDir, "echo_host.ts")).href
  );
  return host.Echo as ServiceDescriptor;
}

/**
 * Bundles the worker for Chromium, in memory, as test/helpers/browser.ts
 * does: the "source" condition makes `streampath/runtime/...` resolve to the
 * TypeScript sources, and the generated client comes from
 * bench/gen/browser-echo/. Also written to `workerBundlePath`.
 */
export async function bundleWorker(): Promise<string> {
  const generated: Plugin = {
    name: "generated-echo",
    setup(b) {
      b.onResolve({ filter: /^streampath-bench-echo$/ }, () => ({
        path: join(browserGenDir, "echo_host.ts"),
      }));
    },
  };
  const result = await build({
    entryPoints: [workerEntry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    conditions: ["source"],
    plugins: [generated],
    logLevel: "silent",
  });
  const text = result.outputFiles[0]!.text;
  if (!text.includes("bench.echo.Echo"))
    throw new Error("the worker bundle lacks the generated Echo client");
  writeFileSync(workerBundlePath, text);
  return text;
}
