// Generated code is what prettier would print, for names of any length,
// without prettier on the generate path (issue 15): formatting every file
// that generate() returns again changes nothing. prettier stays here, as the
// oracle, over the sample, the test fixtures, the bench's synthetic schema
// (with its usual and with long names), googleapis and a schema of absurdly
// long names (test/fixtures/long-names). A failure lists, per schema, the
// files prettier changes and where, generated line against prettier's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import * as prettier from "prettier";
import { LONG_NAME_OPTIONS, writeSyntheticSchema } from "../bench/synthetic.js";
import { type GenerateOptions, type GeneratedFile, generate, generateFromModel } from "../generator/generate.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { loadSchema } from "../schema/load.js";
import { FIXTURES, ROOT } from "./helpers/generated.js";
import { GOOGLEAPIS, protoFiles } from "./helpers/googleapis.js";

/** Files formatted at once: enough to overlap prettier's async steps, few enough to keep memory flat on googleapis. */
const BATCH = 16;
/** Files whose differences the failure message shows, and differing places (hunks) per file. */
const SHOW_FILES = 5;
const SHOW_HUNKS = 3;
/** Unchanged lines shown around each difference. */
const CONTEXT = 3;

const LONG_NAMES = ["common", "messages", "hosts", "workers", "views"].map((f) => path.join(FIXTURES, `long-names/${f}.proto`));

interface Schema {
  name: string;
  /** Options for generate(); may write a schema into a temp dir (removed at the end of the test). */
  options(t: ExecutionContext): GenerateOptions;
  /** At least this many generated files: a schema that silently generates less is caught. */
  minFiles: number;
  /**
   * Large schemas: formatting is CPU-bound on this one thread, so they run
   * one after another (ava runs serial tests first), each timed on its own,
   * rather than stalling every other test of the file.
   */
  large?: boolean;
  timeoutMs?: number;
}

/** A temp dir removed when the test ends, passed or not. */
function tempDir(t: ExecutionContext, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `streampath-${prefix}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SAMPLE_FILES = ["hosts", "worker", "views"].map((f) => `generated-sample/schema/board/v1/${f}.proto`);

const SCHEMAS: Schema[] = [
  { name: "sample", options: () => ({ files: SAMPLE_FILES, includePaths: ["generated-sample/schema"], strictRoles: true }), minFiles: 4 },
  { name: "guest", options: () => ({ files: [path.join(FIXTURES, "guest/worker.proto")], includePaths: [FIXTURES] }), minFiles: 2 },
  { name: "names", options: () => ({ files: [path.join(FIXTURES, "names/names.proto")] }), minFiles: 1 },
  { name: "conformance", options: () => ({ files: [path.join(FIXTURES, "conformance/conformance.proto")] }), minFiles: 1 },
  {
    name: "bench synthetic schema",
    options: (t) => {
      const dir = tempDir(t, "synthetic");
      const { files } = writeSyntheticSchema(dir);
      return { files: files.map((f) => path.join(dir, f)), includePaths: [dir] };
    },
    minFiles: 40,
    large: true,
    timeoutMs: 4 * 60_000,
  },
  {
    name: "bench synthetic schema, long names",
    options: (t) => {
      const dir = tempDir(t, "synthetic-long");
      const { files } = writeSyntheticSchema(dir, LONG_NAME_OPTIONS);
      return { files: files.map((f) => path.join(dir, f)), includePaths: [dir] };
    },
    minFiles: 40,
    large: true,
    timeoutMs: 4 * 60_000,
  },
  {
    name: "googleapis",
    options: () => ({ files: protoFiles().map((f) => path.join(GOOGLEAPIS, f)), includePaths: [GOOGLEAPIS] }),
    minFiles: 100,
    large: true,
    timeoutMs: 4 * 60_000,
  },
  { name: "long names", options: () => ({ files: LONG_NAMES, includePaths: [FIXTURES], strictRoles: true }), minFiles: 5 },
];

for (const schema of SCHEMAS) {
  (schema.large ? test.serial : test)(`${schema.name}: every file generate() returns is unchanged by prettier`, async (t) => {
    t.timeout(schema.timeoutMs ?? 2 * 60_000);
    const started = Date.now();
    let result: Awaited<ReturnType<typeof generate>>;
    try {
      result = await generate({ cwd: ROOT, ...schema.options(t) });
    } catch (error) {
      // A printer that throws, or (while generate() still formats long lines) prettier that cannot parse the emitters' output.
      t.fail(`generate() threw: ${(error as Error).stack ?? error}`);
      return;
    }
    t.deepEqual(result.diagnostics.map(formatDiagnostic), [], "the schema generates without diagnostics");
    t.true(result.files.length >= schema.minFiles, `${result.files.length} files generated, expected at least ${schema.minFiles}`);
    const generated = Date.now();
    const report = await prettierReport(schema.name, result.files);
    t.log(`${result.files.length} files: generated in ${generated - started} ms, checked with prettier in ${Date.now() - generated} ms`);
    if (report) t.fail(report);
    else t.pass();
  });
}

// The emitters alone (generateFromModel), as before issue 15: stricter than
// the generate() tests above while generate() formats files with long lines
// (formatLongLines), the same check once it no longer does.
const CORE: [string, string[], string[]][] = [
  ["sample", SAMPLE_FILES, ["generated-sample/schema"]],
  ["guest", [path.join(FIXTURES, "guest/worker.proto")], [FIXTURES]],
  ["names", [path.join(FIXTURES, "names/names.proto")], []],
  ["conformance", [path.join(FIXTURES, "conformance/conformance.proto")], []],
];

for (const [name, files, includePaths] of CORE) {
  test(`${name}: every file the emitters print (generateFromModel) is unchanged by prettier`, async (t) => {
    const { model, diagnostics } = loadSchema({ files, includePaths, cwd: ROOT });
    t.deepEqual(diagnostics.map(formatDiagnostic), []);
    const out = generateFromModel(model!);
    t.true(out.length > 0);
    const report = await prettierReport(`${name} (emitters alone)`, out);
    if (report) t.fail(report);
    else t.pass();
  });
}

test("a file with names too long for one line still comes out prettier-clean from generate()", async (t) => {
  const long = "a_field_name_so_long_that_no_generated_line_holding_it_fits_in_eighty_columns";
  const source = `syntax = "proto3";\npackage p;\nmessage M { repeated string ${long} = 1; map<string, M> ${long}_by_key = 2; }\n`;
  const { files, diagnostics } = await generate({ files: ["/virtual/long.proto"], readFile: (f) => (f === "/virtual/long.proto" ? source : undefined) });
  t.deepEqual(diagnostics, []);
  const report = await prettierReport("virtual long.proto", files);
  if (report) t.fail(report);
  else t.pass();
});

// --- The oracle and its report ---------------------------------------------

interface Difference {
  path: string;
  /** prettier's output, or undefined when prettier could not parse the file. */
  expected?: string;
  actual: string;
  error?: string;
}

/**
 * Formats every file with prettier, BATCH at a time, and describes the files
 * prettier changes; undefined when it changes none.
 */
async function prettierReport(schema: string, files: readonly GeneratedFile[]): Promise<string | undefined> {
  const differences: Difference[] = [];
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const results = await Promise.all(
      batch.map(async (f): Promise<Difference | undefined> => {
        try {
          const formatted = await prettier.format(f.content, { parser: "typescript" });
          return formatted === f.content ? undefined : { path: f.path, expected: formatted, actual: f.content };
        } catch (error) {
          return { path: f.path, actual: f.content, error: String((error as Error).message ?? error) };
        }
      }),
    );
    for (const d of results) if (d) differences.push(d);
  }
  if (differences.length === 0) return undefined;
  const shown = differences.slice(0, SHOW_FILES).map(describe);
  const more = differences.length > SHOW_FILES ? `\n\n… and ${differences.length - SHOW_FILES} more: ${differences.slice(SHOW_FILES).map((d) => d.path).join(", ")}` : "";
  return (
    `${schema}: ${differences.length} of ${files.length} generated files differ from prettier ` +
    `(lines marked "-" are generated, "+" what prettier prints instead; line numbers: generated/prettier)\n\n` +
    shown.join("\n\n") +
    more
  );
}

function describe(d: Difference): string {
  if (d.expected === undefined) return `${d.path}: prettier cannot parse it (the generated code is not valid TypeScript):\n${indent(d.error ?? "", "    ")}`;
  const actual = d.actual.split("\n");
  const expected = d.expected.split("\n");
  const hunks = diffHunks(actual, expected);
  const body = hunks.slice(0, SHOW_HUNKS).map((h) => showHunk(h, actual, expected));
  const more = hunks.length > SHOW_HUNKS ? `\n  … ${hunks.length > 50 ? "more than 50" : hunks.length - SHOW_HUNKS} more differing places` : "";
  return `${d.path} (${actual.length} lines generated, ${expected.length} from prettier):\n${body.join("\n")}${more}`;
}

const indent = (text: string, by: string) => text.split("\n").map((l) => by + l).join("\n");

/** Lines a[a0, a1) of the generated file are b[b0, b1) in prettier's output. */
interface Hunk {
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

/** Equal lines that end a difference, unless one of them says something (`}` or an empty line often agrees by chance). */
const RESYNC = 3;
/** How far ahead to look for agreement, in lines of both files together. */
const WINDOW = 600;
/** Lines shown per side of one difference. */
const SHOW_LINES = 8;

/** A line that rarely agrees by chance: more than punctuation. */
const telling = (line: string) => /[\w$"'`]/.test(line) && line.trim().length >= 4;

/**
 * The places where two files differ, in order, found greedily: after a
 * difference, the nearest point where a telling line (or RESYNC lines) agree
 * again. Enough for a formatter's changes (a line broken or joined), and
 * cheap on googleapis' largest files. At most 51 are collected.
 */
function diffHunks(a: string[], b: string[]): Hunk[] {
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  const agree = (x: number, y: number) => {
    if (x >= a.length || y >= b.length) return x >= a.length && y >= b.length;
    if (a[x] !== b[y]) return false;
    if (telling(a[x])) return true;
    for (let k = 1; k < RESYNC; k++) {
      if (x + k >= a.length && y + k >= b.length) return true;
      if (a[x + k] !== b[y + k]) return false;
    }
    return true;
  };
  while (hunks.length <= 50) {
    while (i < a.length && j < b.length && a[i] === b[j]) i++, j++;
    if (i >= a.length && j >= b.length) break;
    let found: [number, number] | undefined;
    for (let d = 1; d <= WINDOW && !found; d++) {
      for (let x = 0; x <= d; x++) {
        if (agree(i + x, j + d - x)) {
          found = [i + x, j + d - x];
          break;
        }
      }
    }
    const [ni, nj] = found ?? [a.length, b.length];
    hunks.push({ a0: i, a1: Math.min(ni, a.length), b0: j, b1: Math.min(nj, b.length) });
    i = ni;
    j = nj;
  }
  return hunks;
}

function showHunk(h: Hunk, a: string[], b: string[]): string {
  const lines = [`  @@ line ${h.a0 + 1}/${h.b0 + 1}`];
  for (let k = Math.max(0, h.a0 - CONTEXT); k < h.a0; k++) lines.push(`    ${a[k]}`);
  const side = (sign: string, from: string[], start: number, end: number) => {
    for (let k = start; k < Math.min(end, start + SHOW_LINES); k++) lines.push(`  ${sign} ${visible(from[k])}`);
    if (end - start > SHOW_LINES) lines.push(`  ${sign} … ${end - start - SHOW_LINES} more lines`);
  };
  side("-", a, h.a0, h.a1);
  side("+", b, h.b0, h.b1);
  for (let k = h.a1; k < Math.min(a.length, h.a1 + CONTEXT); k++) lines.push(`    ${a[k]}`);
  return lines.join("\n");
}

/** A changed line as it is, unless only whitespace tells it apart from another. */
function visible(line: string): string {
  if (line === "") return "(empty line)";
  return /^\s*$|\s$/.test(line) ? `${JSON.stringify(line)} (whitespace shown quoted)` : line;
}
