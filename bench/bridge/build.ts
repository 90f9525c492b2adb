// Generated code and bundles of the bridge benchmark: bench/schema/echo.proto
// is generated into bench/gen/browser-bridge/ (a folder of its own, so the
// other benchmarks can regenerate theirs at any time), and the page and
// worker entries are bundled in memory (bench/lib/echo-bundle.ts).
import { join } from "node:path";
import { bundleForChromium, generateEchoInto } from "../lib/echo-bundle.js";
import { genDirOf, repoRoot } from "../lib/paths.js";

const genDir = genDirOf("browser-bridge");

/** Runs `streampath generate` on echo.proto into bench/gen/browser-bridge/. */
export const generateEcho = (): void => generateEchoInto(genDir);

/** One entry of bench/bridge/, bundled for Chromium with the generated echo module as `streampath-bench-echo`. */
export const bundle = (entry: "page" | "worker"): Promise<string> =>
  bundleForChromium(join(repoRoot, "bench", "bridge", `${entry}.ts`), genDir);
