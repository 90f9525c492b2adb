/**
 * Type-level tests of generated code: conformance.proto generated into
 * test/.gen/types compiles cleanly under strict settings; the intended usage
 * (test/fixtures/types/right-types.ts) compiles; and each wrong use in
 * test/fixtures/types/wrong-types.ts is a type error of the expected code.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import test from "ava";
import ts from "typescript";
import { ROOT, generateFixture } from "./helpers/generated.js";

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  exactOptionalPropertyTypes: false,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  customConditions: ["source"],
  skipLibCheck: true,
  noEmit: true,
  verbatimModuleSyntax: true,
};

const FIXTURES = path.join(ROOT, "test/fixtures/types");
const RIGHT = path.join(FIXTURES, "right-types.ts");
const WRONG = path.join(FIXTURES, "wrong-types.ts");
/** `// @ts-expect-error TS2322 why`: the error code expected on the next line. */
const DIRECTIVE = /^(\s*)\/\/ @ts-expect-error TS(\d+)\b/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

/** Parsed files, shared by every program of this test file. */
const parsed = new Map<string, ts.SourceFile | undefined>();

/** A compiler host that reuses parsed files and can serve a file's text from memory. */
function makeHost(overrides: Map<string, string> = new Map()): ts.CompilerHost {
  const host = ts.createCompilerHost(OPTIONS, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, shouldCreate) => {
    const text = overrides.get(path.resolve(fileName));
    if (text !== undefined) return ts.createSourceFile(fileName, text, language, true);
    if (!parsed.has(fileName)) parsed.set(fileName, getSourceFile(fileName, language, onError, shouldCreate));
    return parsed.get(fileName);
  };
  return host;
}

const format = (diagnostics: readonly ts.Diagnostic[]) =>
  ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });

interface Compiled {
  generated: string[];
  /** Diagnostics by file (absolute path; "" for global ones). */
  byFile: Map<string, ts.Diagnostic[]>;
  program: ts.Program;
}

let compiling: Promise<Compiled> | undefined;

/** Generates conformance.proto once and type-checks it with both fixtures in one program. */
function compile(): Promise<Compiled> {
  compiling ??= (async () => {
    const out = await generateFixture("types", { files: ["test/fixtures/conformance/conformance.proto"] });
    const generated = walk(out);
    const program = ts.createProgram([...generated, RIGHT, WRONG], OPTIONS, makeHost());
    const byFile = new Map<string, ts.Diagnostic[]>();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const key = d.file ? path.resolve(d.file.fileName) : "";
      byFile.set(key, [...(byFile.get(key) ?? []), d]);
    }
    return { generated, byFile, program };
  })();
  return compiling;
}

function lineOf(d: ts.Diagnostic): number {
  return d.file!.getLineAndCharacterOfPosition(d.start!).line + 1;
}

test("the generated code for conformance.proto compiles without diagnostics under strict settings", async (t) => {
  const { generated, byFile, program } = await compile();
  t.true(generated.some((f) => f.endsWith("conformance_pb.ts")));
  t.true(generated.some((f) => f.endsWith(path.join("google", "protobuf", "timestamp_pb.ts"))));
  // Everything but the two fixtures: the generated files, the runtime they import, global diagnostics.
  const rest = [...byFile].filter(([file]) => file !== RIGHT && file !== WRONG).flatMap(([, list]) => list);
  t.is(format(rest), "");
  // The generated code resolved the runtime through the package's `source` condition.
  t.truthy(program.getSourceFile(path.join(ROOT, "runtime/core/index.ts")));
});

test("the intended usage (right-types.ts) compiles without diagnostics", async (t) => {
  const { byFile } = await compile();
  t.is(format(byFile.get(RIGHT) ?? []), "");
});

function expectedErrors(source: string): Map<number, number> {
  const expected = new Map<number, number>();
  source.split("\n").forEach((line, i) => {
    const m = DIRECTIVE.exec(line);
    if (m) expected.set(i + 2, Number(m[2]));
  });
  return expected;
}

test("wrong-types.ts: every @ts-expect-error directive is used", async (t) => {
  const { byFile } = await compile();
  const diagnostics = byFile.get(WRONG) ?? [];
  t.deepEqual(
    diagnostics.filter((d) => d.code === 2578).map(lineOf),
    [],
    "Unused '@ts-expect-error' directive: the line after it is not a type error",
  );
  t.is(format(diagnostics), "");
});

test("wrong-types.ts: without the directives, each marked line is exactly the expected error", async (t) => {
  const { generated, program } = await compile();
  const source = readFileSync(WRONG, "utf8");
  const expected = expectedErrors(source);
  t.true(expected.size >= 12, `only ${expected.size} directives found`);
  // Keep line numbers: each directive becomes a plain comment.
  const stripped = source
    .split("\n")
    .map((line) => line.replace(DIRECTIVE, "$1// expected: TS$2"))
    .join("\n");
  const host = makeHost(new Map([[WRONG, stripped]]));
  const second = ts.createProgram([...generated, RIGHT, WRONG], OPTIONS, host, program);
  const diagnostics = ts.getPreEmitDiagnostics(second, second.getSourceFile(WRONG));
  const actual = new Map<number, number[]>();
  for (const d of diagnostics.filter((d) => d.file && path.resolve(d.file.fileName) === WRONG)) {
    actual.set(lineOf(d), [...(actual.get(lineOf(d)) ?? []), d.code]);
  }
  const lines = source.split("\n");
  for (const [line, code] of expected) {
    t.deepEqual(actual.get(line), [code], `line ${line}: ${lines[line - 1].trim()}\n${format(diagnostics.filter((d) => lineOf(d) === line))}`);
  }
  const unexpected = diagnostics.filter((d) => !expected.has(lineOf(d)));
  t.is(format(unexpected), "", "errors on lines without a directive");
});
