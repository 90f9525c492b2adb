/**
 * `streampath/esbuild`: regenerates code from .proto files at the start of
 * every esbuild build, a thin adapter over `generate()`. Only types come from
 * esbuild, so streampath never needs esbuild at run time (it is the user's).
 *
 * In `context().watch()` mode every .proto the schema read (imports too, and
 * the places a missing import was looked for) is a watch file, so an edit
 * regenerates and rebuilds; a schema error fails the build with its location
 * and the watch goes on. The first generation that succeeds after one that
 * failed says so in a line (unless esbuild's logLevel is "silent"), so that
 * the error on screen is not taken for the current state; at logLevel
 * "info" and above every generation has its line.
 */
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { OnResolveResult, PartialMessage, Plugin, PluginBuild } from "esbuild";
import type { Diagnostic } from "../schema/diagnostics.js";
import { generate, type Target } from "./generate.js";
import { removeStale, summaryLine, writeOutput, type Summary } from "./output.js";

export interface StreampathPluginOptions {
  /** .proto files, or directories searched for them (a file added there is picked up in watch mode). */
  files: string[];
  /** Output directory; files whose content is unchanged are not touched. */
  out: string;
  /** Import paths (`-I`); default: each input's directory, then the working directory. */
  includePaths?: string[];
  /** What to generate for the named files; default: every target. What that imports is generated too. */
  targets?: readonly Target[];
  /** A service without `(streampath.role)` is an error. */
  strictRoles?: boolean;
  /** Base of relative paths; default: esbuild's `absWorkingDir`, else `process.cwd()`. */
  cwd?: string;
}

/** What the last generation read and wrote: watched by every later build. */
interface Generation {
  watchFiles: string[];
  watchDirs: string[];
  /** Each file read (undefined: absent) with the text the code was generated from. */
  read: Map<string, string | undefined>;
  /** The .proto files found in the directories given. */
  inputs: string[];
}

const PLUGIN_NAME = "streampath";
/** Marks the plugin's own resolution of an entry point, so that it is not intercepted again. */
const INNER = { streampath: "inner resolve" };
let instances = 0;

export function streampath(options: StreampathPluginOptions): Plugin {
  return {
    name: PLUGIN_NAME,
    setup(build) {
      const cwd = path.resolve(options.cwd ?? build.initialOptions.absWorkingDir ?? process.cwd());
      const out = path.resolve(cwd, options.out);
      let last: Generation = { watchFiles: [], watchDirs: [], read: new Map(), inputs: [] };
      // esbuild takes its own copy of the watch files when onResolve returns
      // them, after the generation read them: a save in between would be its
      // baseline, and that save would never be built. So the end of a build
      // compares the disk with what was generated from and, if they differ,
      // creates this file, a watch file that did not exist: esbuild builds again.
      const changed = path.join(tmpdir(), `streampath-esbuild-${process.pid}-${instances++}.changed`);
      let removeAtExit = false;
      let firstResolve = true;
      // esbuild's JS API logs warnings and errors by default; info-level lines only when asked.
      const level = build.initialOptions.logLevel ?? "warning";
      let generations = 0;
      let failedBefore = false;
      /** The line for this build's generation, printed at its end (after esbuild's own messages of the build). */
      let summary: Summary | undefined;

      // esbuild awaits every onStart before it resolves anything, so the
      // build reads the code generated here.
      build.onStart(async () => {
        firstResolve = true;
        summary = undefined;
        const started = performance.now();
        rmSync(changed, { force: true });
        const read = new Map<string, string | undefined>();
        const { files: inputs, dirs } = protoInputs(options.files.map((f) => path.resolve(cwd, f)));
        const result = await generate({
          files: inputs,
          includePaths: options.includePaths,
          targets: options.targets,
          strictRoles: options.strictRoles,
          cwd,
          readFile: (file) => {
            if (!read.has(file)) read.set(file, readOrUndefined(file));
            return read.get(file);
          },
        });
        last = { watchFiles: [...read.keys(), changed], watchDirs: dirs, read, inputs };
        if (result.diagnostics.length > 0) {
          failedBefore = true;
          return { errors: result.diagnostics.map((d) => toMessage(d, cwd)) };
        }
        const written = writeOutput(out, result.files).length;
        const removed = removeStale(out, result.files).length;
        const verb = generations++ > 0 ? "regenerated" : "generated";
        summary = { verb, files: result.files.length, written, removed, ms: performance.now() - started, fixed: failedBefore };
        failedBefore = false;
        return undefined;
      });

      build.onEnd(() => {
        if (changedSince(last, options.files.map((f) => path.resolve(cwd, f)))) {
          writeFileSync(changed, "");
          if (!removeAtExit) process.once("exit", () => rmSync(changed, { force: true }));
          removeAtExit = true;
        }
        if (!summary || level === "silent") return;
        if (summary.fixed || level === "info" || level === "debug" || level === "verbose") process.stderr.write(summaryLine(summary) + "\n");
      });

      // onStart cannot add watch files, and esbuild ignores those of a
      // resolution without a path: so the plugin resolves each entry point
      // itself (through esbuild, so other plugins still apply) and returns
      // that result with the watch files added. Without entry points (stdin)
      // the first resolution of a build does it.
      build.onResolve({ filter: entryPointFilter(build) }, async (args): Promise<OnResolveResult | undefined> => {
        if (args.pluginData === INNER || (args.kind !== "entry-point" && !firstResolve)) return undefined;
        firstResolve = false;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          namespace: args.namespace,
          resolveDir: args.resolveDir,
          with: args.with,
          pluginData: INNER,
        });
        const { errors, warnings, external, sideEffects, suffix, namespace } = resolved;
        const pluginData = resolved.pluginData === INNER ? undefined : resolved.pluginData;
        const { watchFiles, watchDirs } = last;
        return { path: resolved.path, namespace, external, sideEffects, suffix, pluginData, errors, warnings, watchFiles, watchDirs };
      });
    },
  };
}

/** Matches the entry points exactly, so imports do not pay a round trip to JS; everything when they cannot be listed. */
function entryPointFilter(build: PluginBuild): RegExp {
  const entries = build.initialOptions.entryPoints;
  const names = Array.isArray(entries)
    ? entries.map((e) => (typeof e === "string" ? e : e.in))
    : entries
      ? Object.values(entries)
      : [];
  if (names.length === 0) return /.*/;
  // esbuild hands a relative entry point to plugins with a leading "./".
  const escape = (s: string) => s.replace(/^\.\//, "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`^(?:\\./)?(?:${names.map(escape).join("|")})$`);
}

/** Whether the schema on disk differs from what `generation` was made from. */
function changedSince(generation: Generation, inputs: string[]): boolean {
  for (const [file, text] of generation.read) if (readOrUndefined(file) !== text) return true;
  try {
    const now = protoInputs(inputs).files;
    return now.length !== generation.inputs.length || now.some((f, i) => f !== generation.inputs[i]);
  } catch {
    return true; // a directory removed while walking it: a change
  }
}

/** Directories stand for the .proto files below them; they are watched for files added or removed. */
function protoInputs(inputs: string[]): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = (dir: string) => {
    dirs.push(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".proto")) files.push(p);
    }
  };
  for (const input of inputs) {
    if (isDirectory(input)) walk(input);
    else files.push(input);
  }
  return { files, dirs };
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * A diagnostic as an esbuild message. esbuild counts columns from 0 in
 * bytes (and prints them so, as for its own errors); streampath counts
 * characters from 1.
 */
function toMessage(d: Diagnostic, cwd: string): PartialMessage {
  const file = path.resolve(cwd, d.file);
  const lineText = readOrUndefined(file)?.split(/\r?\n/)[d.line - 1] ?? "";
  const before = lineText.slice(0, d.column - 1);
  const word = /^[\w.]+/.exec(lineText.slice(d.column - 1))?.[0] ?? "";
  return {
    pluginName: PLUGIN_NAME,
    text: `${d.message} [${d.rule}]`,
    location: {
      file,
      line: d.line,
      column: Buffer.byteLength(before),
      length: Buffer.byteLength(word),
      lineText,
    },
  };
}
