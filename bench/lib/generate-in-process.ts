// The in-process rows of bench/codegen.ts, run in a fresh process per schema
// so that the first call is cold for every schema (no JIT or caches left by
// the previous one) and the peak RSS is this generator's alone, not the
// benchmark driver's.
//
//   node --import tsx bench/lib/generate-in-process.ts '<InProcessInput JSON>'
//
// Imports generate() from the built package (dist/, what `import { generate }
// from "streampath"` loads; tsx-transformed sources run about a quarter slower),
// calls it once (the first call, reported apart), then `warmCalls` times, and
// prints one line of JSON (InProcessOutput) on stdout. Exits 1 with the error
// on stderr if generate() throws or reports diagnostics.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

export interface InProcessInput {
  /** Base of the relative `files` (GenerateOptions.cwd). */
  readonly cwd: string;
  readonly includePaths: readonly string[];
  readonly files: readonly string[];
  readonly warmCalls: number;
}

export interface InProcessOutput {
  /** Loading the generator's modules, before any call. */
  readonly importMs: number;
  readonly firstMs: number;
  readonly warmMs: number[];
  /** process.memoryUsage().rss after the import, before the first call. */
  readonly rssBeforeKiB: number;
  /** process.resourceUsage().maxRSS after the last call: the process's peak. */
  readonly peakRssKiB: number;
  readonly files: number;
  readonly bytes: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "") as InProcessInput;
  const importStarted = performance.now();
  const { generate, formatDiagnostic } =
    await import("../../dist/generator/index.js");
  const importMs = performance.now() - importStarted;
  const options = {
    cwd: input.cwd,
    includePaths: [...input.includePaths],
    files: [...input.files],
  };
  const rssBeforeKiB = process.memoryUsage().rss / 1024;
  const timings: number[] = [];
  let counts: { files: number; bytes: number } | undefined;
  for (let call = 0; call <= input.warmCalls; call++) {
    const started = performance.now();
    const result = await generate(options);
    timings.push(performance.now() - started);
    if (result.diagnostics.length > 0) {
      const shown = result.diagnostics.slice(0, 10).map(formatDiagnostic);
      throw new Error(
        `generate() reported ${result.diagnostics.length} diagnostics:\n${shown.join("\n")}`,
      );
    }
    const bytes = result.files.reduce(
      (total, file) => total + Buffer.byteLength(file.content),
      0,
    );
    if (
      counts &&
      (counts.files !== result.files.length || counts.bytes !== bytes)
    )
      throw new Error(
        `generate() call ${call + 1} returned ${result.files.length} files, ${bytes} bytes; the first ${counts.files} files, ${counts.bytes} bytes`,
      );
    counts = { files: result.files.length, bytes };
  }
  const output: InProcessOutput = {
    importMs,
    firstMs: timings[0]!,
    warmMs: timings.slice(1),
    rssBeforeKiB,
    peakRssKiB: process.resourceUsage().maxRSS,
    ...counts!,
  };
  console.log(JSON.stringify(output));
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  main().catch((error: unknown) => {
    console.error(
      error instanceof Error ? (error.stack ?? error.message) : error,
    );
    process.exitCode = 1;
  });
}
