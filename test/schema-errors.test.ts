/**
 * Every schema rule the loader checks, each against a fixture under
 * test/fixtures/errors/: the exact file:line:column, the rule, and a message
 * that names what is wrong. Then: all errors at once, sorted; and no output
 * (from `generate()` or from the CLI) when there is any error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { generate } from "../generator/generate.js";
import { formatDiagnostic, type Diagnostic } from "../schema/diagnostics.js";
import { loadSchema } from "../schema/load.js";
import { ROOT } from "./helpers/generated.js";

const DIR = "test/fixtures/errors";

function load(...names: string[]): Diagnostic[] {
  const { model, diagnostics } = loadSchema({ cwd: ROOT, files: names.map((n) => `${DIR}/${n}`) });
  if (diagnostics.length > 0 && model !== undefined) throw new Error("a model was returned along with diagnostics");
  return diagnostics;
}

const where = (d: Diagnostic) => `${d.file}:${d.line}:${d.column}`;

/** Exactly one diagnostic, at `at` (`file:line:col`, file relative to DIR), for `rule`, naming each of `mentions`. */
function expectOne(t: ExecutionContext, diagnostics: Diagnostic[], at: string, rule: string, mentions: string[]): void {
  t.is(diagnostics.length, 1, diagnostics.map(formatDiagnostic).join("\n"));
  const [d] = diagnostics;
  if (!d) return;
  t.is(where(d), `${DIR}/${at}`, formatDiagnostic(d));
  t.is(d.rule, rule, formatDiagnostic(d));
  for (const m of mentions) t.true(d.message.includes(m), `message ${JSON.stringify(d.message)} should name ${m}`);
  t.is(formatDiagnostic(d), `${DIR}/${at}: ${d.message} [${rule}]`);
}

test("syntax: a missing field number points at the offending token", (t) => {
  // line 7: `  int32 x = ;`
  expectOne(t, load("syntax.proto"), "syntax.proto:7:13", "syntax", ["';'"]);
});

test("import: an import that is not found points at the quoted path", (t) => {
  // line 5: `import "does/not/exist.proto";`
  expectOne(t, load("import.proto"), "import.proto:5:8", "import", ["does/not/exist.proto"]);
});

test("unknown-type: an unknown field type points at the type name", (t) => {
  // line 7: `  repeated    Missing items = 2;`
  expectOne(t, load("unknown-type.proto"), "unknown-type.proto:7:15", "unknown-type", ["Missing", "errors.unknown.Order.items"]);
});

test("unknown-type: inside map<> and after a leading dot, the column is still the type name's", (t) => {
  const sources: Record<string, string> = {
    "/virtual/map.proto": 'syntax = "proto3";\npackage p;\nmessage M {\n  map<string, Missing> m = 1;\n}\n',
    "/virtual/dot.proto": 'syntax = "proto3";\npackage q;\nmessage M {\n  .q.Missing m = 1;\n}\n',
  };
  const { diagnostics } = loadSchema({ cwd: "/virtual", files: ["map.proto", "dot.proto"], readFile: (p) => sources[p] });
  t.deepEqual(diagnostics.map(formatDiagnostic), [
    'dot.proto:4:3: unknown type ".q.Missing" for field q.M.m [unknown-type]',
    'map.proto:4:15: unknown type "Missing" for field p.M.m [unknown-type]',
  ]);
});

test("unknown-type: unknown rpc input and output types point at each type name", (t) => {
  const diagnostics = load("unknown-rpc.proto");
  t.deepEqual(
    diagnostics.map((d) => [where(d), d.rule]),
    [
      [`${DIR}/unknown-rpc.proto:8:29`, "unknown-type"], // returns (NoSuchReply)
      [`${DIR}/unknown-rpc.proto:9:19`, "unknown-type"], // (stream NoSuchRequest)
    ],
  );
  t.regex(diagnostics[0].message, /NoSuchReply.*errors\.rpc\.Shop\.Buy/);
  t.regex(diagnostics[1].message, /NoSuchRequest.*errors\.rpc\.Shop\.Sell/);
});

test("missing-import: a type from a file that is loaded but not imported", (t) => {
  // line 6: `  errors.lib.Thing thing = 1;`; lib.proto is loaded, just not imported.
  expectOne(t, load("lib.proto", "uses-lib.proto"), "uses-lib.proto:6:3", "missing-import", ["errors.lib.Thing", "lib.proto"]);
});

test("duplicate-name: the same message twice in one file points at the second", (t) => {
  expectOne(t, load("duplicate-message.proto"), "duplicate-message.proto:9:9", "duplicate-name", ["Twice"]);
});

test("duplicate-name: the same message in two files of one package points at the later one", (t) => {
  expectOne(t, load("dup-pkg-a.proto", "dup-pkg-b.proto"), "dup-pkg-b.proto:7:9", "duplicate-name", ["Same"]);
});

test("duplicate-name: a field name used twice points at the second field", (t) => {
  // line 8: `  string name = 3;`
  expectOne(t, load("duplicate-field.proto"), "duplicate-field.proto:8:10", "duplicate-name", ["'name'", "Person"]);
});

test("duplicate-number: a field number used twice points at the second field", (t) => {
  // line 8: `  bool admin = 2;` in `message Person` of `package errors.dupnum`
  expectOne(t, load("duplicate-number.proto"), "duplicate-number.proto:8:8", "duplicate-number", ["2", "Person"]);
});

test("json-name-conflict: foo_bar and fooBar points at the second field", (t) => {
  // line 7: `  string fooBar = 2;`
  expectOne(t, load("json-name.proto"), "json-name.proto:7:10", "json-name-conflict", ["foo_bar", "fooBar", "errors.json.Clash"]);
});

test("file: a file that does not exist", (t) => {
  expectOne(t, load("no-such-file.proto"), "no-such-file.proto:1:1", "file", ["not found"]);
});

test("missing-import: streampath options without importing streampath/options.proto", (t) => {
  // line 8: `  option (streampath.role) = READ;`
  expectOne(t, load("no-options-import.proto"), "no-options-import.proto:8:10", "missing-import", [
    "streampath/options.proto",
    "errors.noimport.Reader",
  ]);
});

test("unknown-option: an option of streampath's that does not exist", (t) => {
  // line 11: `  option (streampath.colour) = "blue";`
  expectOne(t, load("unknown-option.proto"), "unknown-option.proto:11:10", "unknown-option", ["(streampath.colour)", "errors.option.Reader"]);
});

test("invalid-role: a role that is none of HOST, READ, WRITE, VIEW points at the value", (t) => {
  // line 10: `  option (streampath.role) = ADMIN;`
  expectOne(t, load("invalid-role.proto"), "invalid-role.proto:10:30", "invalid-role", ["ADMIN", "errors.role.Admin"]);
});

const SEVERAL = ["uses-lib.proto", "syntax.proto", "several.proto", "lib.proto", "import.proto"];
const SEVERAL_EXPECTED = [
  [`${DIR}/import.proto:5:8`, "import"],
  [`${DIR}/several.proto:8:30`, "invalid-role"], // BOSS
  [`${DIR}/several.proto:9:30`, "unknown-type"], // returns (Answer)
  [`${DIR}/several.proto:13:3`, "unknown-type"], // Unknown topic
  [`${DIR}/several.proto:15:10`, "json-name-conflict"], // aB
  [`${DIR}/syntax.proto:7:13`, "syntax"],
  [`${DIR}/uses-lib.proto:6:3`, "missing-import"],
];

test("several errors in several files are all reported in one run, sorted by file and line", (t) => {
  const diagnostics = load(...SEVERAL);
  t.deepEqual(
    diagnostics.map((d) => [where(d), d.rule]),
    SEVERAL_EXPECTED,
    diagnostics.map(formatDiagnostic).join("\n"),
  );
});

test("generate() returns no files when the schema has any error", async (t) => {
  for (const names of [["syntax.proto"], ["json-name.proto"], ["invalid-role.proto"], ["lib.proto", "uses-lib.proto"], SEVERAL]) {
    const files = names.map((n) => `${DIR}/${n}`);
    const result = await generate({ cwd: ROOT, files });
    t.deepEqual(result.files, [], names.join(", "));
    t.deepEqual(result.diagnostics, loadSchema({ cwd: ROOT, files }).diagnostics, names.join(", "));
    t.true(result.diagnostics.length > 0, names.join(", "));
  }
  // lib.proto alone is fine, so the files above are empty because of the errors.
  t.not((await generate({ cwd: ROOT, files: [`${DIR}/lib.proto`] })).files.length, 0);
});

test("the CLI prints file:line:col for every error, exits 1 and writes nothing", (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), "streampath-errors-"));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const out = path.join(tmp, "out");
  const args = ["--import", "tsx", "--conditions=source", "bin/streampath.js", "generate"];
  const result = spawnSync(process.execPath, [...args, ...SEVERAL.map((n) => `${DIR}/${n}`), "--out", out], {
    cwd: ROOT,
    encoding: "utf8",
  });
  t.is(result.status, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  const located = lines.filter((l) => l.startsWith(`${DIR}/`));
  t.deepEqual(
    located.map((l) => l.split(": ")[0]),
    SEVERAL_EXPECTED.map(([at]) => at),
  );
  for (const [i, [, rule]] of SEVERAL_EXPECTED.entries()) t.true(located[i]?.endsWith(`[${rule}]`), located[i]);
  t.regex(result.stderr, /7 errors; nothing was written/);
  t.false(existsSync(out));
});

/** Diagnostics of one schema written to a temp dir as a.proto. */
function loadText(t: ExecutionContext, source: string): Diagnostic[] {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-schema-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "a.proto"), source);
  return loadSchema({ cwd: dir, files: ["a.proto"] }).diagnostics;
}

// Found by the schema fuzzer (test/faults/fuzz.ts): each fell back to a.proto:1:1.
for (const [what, source, at] of [
  ["a duplicate rpc name points at the second rpc", 'syntax = "proto3";\nmessage M {}\nservice S {\n  rpc A(M) returns (M);\n  rpc A(M) returns (M);\n}\n', "5:7"],
  ["an error protobufjs gives without a line points at the first line that fails", 'syntax = "proto3";\noption (x) = "a";\noption (x).y = 1;\n', "3:1"],
  ["an import of adjacent strings points at the path", 'syntax = "proto3";\nimport "b.proto" "c.proto";\n', "2:8"],
  ["an unknown type after a malformed option points at the type", 'syntax = "proto3";\nmessage Req {}\nservice S {\n  option {="";\n  rpc M(Req) returns (Res);\n}\n', "5:23"],
] as const) {
  test(`position: ${what}`, (t) => {
    const diagnostics = loadText(t, source);
    t.true(diagnostics.length >= 1);
    t.is(`${diagnostics[0]!.line}:${diagnostics[0]!.column}`, at, diagnostics.map(formatDiagnostic).join("\n"));
  });
}

test("position: after an option with a closing brace in its name, the service's rpcs keep their places", (t) => {
  // The fuzzer's case 390: test/fixtures/guest/worker.proto with `= READ` made `} READ`.
  const fixture = readFileSync(path.join(ROOT, "test/fixtures/guest/worker.proto"), "utf8").split("\n");
  fixture[11] = fixture[11]!.replace("= READ", "} READ");
  const diagnostics = loadText(t, fixture.join("\n").replace('import "host/echo.proto";', ""));
  t.true(diagnostics.length > 0);
  t.deepEqual(diagnostics.filter((d) => d.line === 1 && d.column === 1).map(formatDiagnostic), [], "nothing falls back to 1:1");
  t.true(diagnostics.some((d) => d.line === 15 && d.column === 11), diagnostics.map(formatDiagnostic).join("\n"));
});
