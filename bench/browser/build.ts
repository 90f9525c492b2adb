// Generated code and the worker bundle of the browser benchmark.
//
// Our generator writes bench/schema/echo.proto's code into
// bench/gen/browser-echo/ (git-ignored; a folder of its own, so bench:host
// and bench:codec, which regenerate theirs, can run at other times without
// stepping on it). The CLI runs from the TypeScript sources, as the tests run
// it, so the benchmark needs no build of dist/.
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { ServiceDescriptor } from "streampath/runtime/host";
import { bundleForChromium, generateEchoInto } from "../lib/echo-bundle.js";
import { genDirOf, repoRoot } from "../lib/paths.js";

export const browserGenDir = genDirOf("browser-echo");
const workerEntry = join(repoRoot, "bench", "browser", "worker.ts");
/** The bundle, written for the host process to serve (and to read profiles against). */
export const workerBundlePath = join(browserGenDir, "worker.js");

/** Runs `streampath generate` on echo.proto into bench/gen/browser-echo/. */
export const generateEcho = (): void => generateEchoInto(browserGenDir);

/** The generated service descriptor, for the host's `implement(Echo, …)`. */
export async function loadEchoDescriptor(): Promise<ServiceDescriptor> {
  const host = await import(
    pathToFileURL(join(browserGenDir, "echo_host.ts")).href
  );
  return host.Echo as ServiceDescriptor;
}

/**
 * Bundles the worker for Chromium, in memory (bench/lib/echo-bundle.ts), and
 * writes it to `workerBundlePath`.
 */
export async function bundleWorker(): Promise<string> {
  const text = await bundleForChromium(workerEntry, browserGenDir);
  if (!text.includes("bench.echo.Echo"))
    throw new Error("the worker bundle lacks the generated Echo client");
  writeFileSync(workerBundlePath, text);
  return text;
}
