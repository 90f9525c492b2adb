/**
 * protoc-gen-streampath under Debian's protoc (apt-get install -y
 * protobuf-compiler): for the same inputs it writes exactly what
 * `streampath generate` writes — the sample, googleapis and the fixtures
 * of every feature, file by file — and reports schema errors as the CLI does.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { generate } from "../generator/generate.js";
import { FileDescriptorSet } from "../generator/gen/google/protobuf/descriptor_pb.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { loadDescriptors } from "../schema/load-descriptors.js";
import { isBundledFile, loadSchema } from "../schema/load.js";
import type { SchemaModel } from "../schema/model.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES, ROOT } from "./helpers/generated.js";
import { GOOGLEAPIS, protoFiles } from "./helpers/googleapis.js";
import { OPTIONS_DIR, assertSameFiles, protoc, readTree, requireProtoc, run } from "./helpers/plugin.js";

const SAMPLE = path.join(ROOT, "generated-sample/schema");
const SAMPLE_FILES = ["board/v1/board.proto", "board/v1/hosts.proto", "board/v1/views.proto", "board/v1/worker.proto"];

function workspace(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-protoc-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** protoc's output directory must exist. */
function outDir(dir: string, name: string): string {
  const out = path.join(dir, name);
  mkdirSync(out, { recursive: true });
  return out;
}

test.serial("the sample: protoc + plugin writes what the CLI writes, byte for byte (--strict-roles)", async (t) => {
  t.log(requireProtoc());
  const dir = workspace(t);
  const viaProtoc = await protoc([SAMPLE, OPTIONS_DIR], SAMPLE_FILES, outDir(dir, "protoc"), "strict_roles");
  t.is(viaProtoc.code, 0, viaProtoc.stderr);
  const started = performance.now();
  const viaCli = await runCli(["generate", SAMPLE, "--out", path.join(dir, "cli"), "-I", SAMPLE, "--strict-roles"]);
  const cliMs = Math.round(performance.now() - started);
  t.is(viaCli.code, 0, viaCli.stderr);
  const written = readTree(path.join(dir, "cli"));
  t.true(written.size >= 10, `the sample makes ${written.size} files`);
  assertSameFiles(t, written, readTree(path.join(dir, "protoc")));
  t.log(`protoc + plugin ${viaProtoc.ms} ms, CLI ${cliMs} ms (both from the TypeScript sources, process start included)`);
});

test.serial("googleapis: protoc + plugin writes what generate() writes for the same files", async (t) => {
  requireProtoc();
  let cliMs = 0;
  const dir = workspace(t);
  const files = protoFiles();
  const started = performance.now();
  // Side by side: protoc runs the plugin in its own process.
  const [viaProtoc, viaCli] = await Promise.all([
    protoc([GOOGLEAPIS], files, outDir(dir, "protoc")),
    generate({ cwd: ROOT, files: files.map((f) => path.join(GOOGLEAPIS, f)), includePaths: [GOOGLEAPIS] }).finally(() => (cliMs = Math.round(performance.now() - started))),
  ]);
  t.is(viaProtoc.code, 0, viaProtoc.stderr);
  t.deepEqual(viaCli.diagnostics.map(formatDiagnostic), []);
  assertSameFiles(t, viaCli.files, readTree(path.join(dir, "protoc")));
  t.log(`${files.length} files in, ${viaCli.files.length} out: protoc + plugin ${viaProtoc.ms} ms, generate() ${cliMs} ms, side by side`);
});

/** Fixtures protoc 3.21 compiles (editions are in the buf test): comments, order, groups, extensions, defaults, roles. */
const FIXTURE_SETS: [string, string[]][] = [
  ["plugin", ["comments.proto", "order.proto"]],
  ["proto2", ["closed-enums.proto", "extensions.proto", "groups.proto", "required.proto"]],
  ["proto3", ["open-enums.proto"]],
  ["names-json", ["defaults.proto", "names.proto"]],
  ["conformance", ["conformance.proto", "other.proto"]],
  [".", ["guest/worker.proto", "host/echo.proto", "view/panel.proto", "view/rules.proto", "view/shell.proto"]],
];

for (const [set, files] of FIXTURE_SETS) {
  test.serial(`fixtures ${set}: protoc + plugin writes what generate() writes`, async (t) => {
    requireProtoc();
    const dir = workspace(t);
    const include = path.join(FIXTURES, set);
    const viaProtoc = await protoc([include, OPTIONS_DIR], files, outDir(dir, "protoc"));
    t.is(viaProtoc.code, 0, viaProtoc.stderr);
    const viaCli = await generate({ cwd: ROOT, files: files.map((f) => path.join(include, f)), includePaths: [include] });
    t.deepEqual(viaCli.diagnostics.map(formatDiagnostic), []);
    assertSameFiles(t, viaCli.files, readTree(path.join(dir, "protoc")));
  });
}

test.serial("schema errors come back through protoc as the CLI reports them, at the same file:line:col", async (t) => {
  requireProtoc();
  const dir = workspace(t);
  const schema = path.join(dir, "schema");
  cpSync(SAMPLE, schema, { recursive: true });
  const worker = path.join(schema, "board/v1/worker.proto");
  const text = readFileSync(worker, "utf8");
  const broken = text.replace(
    'option (streampath.depends_on) = "board.v1.BoardHost";',
    'option (streampath.depends_on) = "board.v1.BoardHost";\n  option (streampath.depends_on) = "board.v1.BoardWriter";\n  option (streampath.depends_on) = "board.v1.Nowhere";',
  );
  t.not(broken, text);
  writeFileSync(worker, broken);
  const hosts = path.join(schema, "board/v1/hosts.proto");
  writeFileSync(hosts, readFileSync(hosts, "utf8").replace("option (streampath.role) = HOST;", ""));

  const viaProtoc = await protoc([schema, OPTIONS_DIR], SAMPLE_FILES, outDir(dir, "protoc"), "strict_roles");
  t.is(viaProtoc.code, 1);
  const viaCli = await generate({ cwd: schema, files: SAMPLE_FILES, includePaths: [schema], strictRoles: true });
  const expected = viaCli.diagnostics.map(formatDiagnostic);
  t.deepEqual(
    expected.map((d) => d.replace(/ \[.*$/, "").replace(/:.*/, "")),
    ["board/v1/hosts.proto", "board/v1/worker.proto", "board/v1/worker.proto"],
  );
  t.true(expected.some((d) => d.endsWith("[role-dependency]")) && expected.some((d) => d.endsWith("[unknown-dependency]")));
  // protoc prints the response's error after the flag's name, one diagnostic a line.
  const reported = viaProtoc.stderr.split("\n").map((l) => l.replace(/^--streampath_out: /, "")).filter((l) => / \[[a-z-]+\]$/.test(l));
  t.deepEqual(reported, expected, viaProtoc.stderr);
  t.deepEqual(readTree(path.join(dir, "protoc")), new Map(), "nothing is written");
});

test.serial("an unknown plugin option fails the run with the options there are", async (t) => {
  requireProtoc();
  const dir = workspace(t);
  const bad = await protoc([SAMPLE, OPTIONS_DIR], SAMPLE_FILES, outDir(dir, "protoc"), "target=messages+nope");
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--streampath_out: streampath: unknown target "nope" in option "target=messages\+nope" \(known: messages, host, guest, view/);
  const typo = await protoc([SAMPLE, OPTIONS_DIR], SAMPLE_FILES, outDir(dir, "protoc"), "strict-roles");
  t.is(typo.code, 1);
  t.regex(typo.stderr, /unknown option "strict-roles" \(options: target=messages\+host\+guest\+view \(default: all\), strict_roles\)/);
});

test.serial("target=messages through protoc writes what --target messages writes", async (t) => {
  requireProtoc();
  const dir = workspace(t);
  const viaProtoc = await protoc([SAMPLE, OPTIONS_DIR], SAMPLE_FILES, outDir(dir, "protoc"), "target=messages,strict_roles");
  t.is(viaProtoc.code, 0, viaProtoc.stderr);
  const viaCli = await generate({ cwd: ROOT, files: SAMPLE_FILES.map((f) => path.join(SAMPLE, f)), includePaths: [SAMPLE], targets: ["messages"], strictRoles: true });
  assertSameFiles(t, viaCli.files, readTree(path.join(dir, "protoc")));
  t.true([...readTree(path.join(dir, "protoc")).keys()].every((p) => p.endsWith("_pb.ts")));
});

/**
 * The model as plain data, of the files found in `includes` (and the
 * well-known ones): positions as file (import path), line and column.
 */
function comparable(model: SchemaModel, includes: string[]): unknown {
  const names = new Map(model.files.map((f) => [f.displayPath, f.name]));
  const kept = new Set(model.files.filter((f) => isBundledFile(f.name) || includes.some((dir) => existsSync(path.join(dir, f.name)))).map((f) => f.name));
  const keep = <T extends { file: string }>(map: Map<string, T>) => [...map].filter(([, v]) => kept.has(v.file));
  const data = { files: model.files.filter((f) => kept.has(f.name)), messages: keep(model.messages), enums: keep(model.enums), services: keep(model.services), extensions: keep(model.extensions) };
  return JSON.parse(
    JSON.stringify(data, (key, value) => {
      if (key === "displayPath") return undefined;
      if (value && typeof value === "object" && typeof value.line === "number" && typeof value.column === "number") {
        return { file: names.get(value.file) ?? value.file, line: value.line, column: value.column };
      }
      return value;
    }),
  );
}

const MODEL_SETS: [string, string, string[]][] = [
  ["the sample", SAMPLE, SAMPLE_FILES],
  ["googleapis", GOOGLEAPIS, protoFiles()],
  ["the conformance protos", path.join(FIXTURES, "conformance"), ["conformance.proto", "other.proto"]],
  ["proto2 defaults and names", path.join(FIXTURES, "names-json"), ["defaults.proto", "names.proto"]],
];

for (const [name, include, files] of MODEL_SETS) {
  test.serial(`${name}: the model from protoc's descriptors is the model from the text, positions included`, async (t) => {
    requireProtoc();
    const dir = workspace(t);
    const set = path.join(dir, "set.binpb");
    const compiled = await run("protoc", ["--include_source_info", "--include_imports", `--descriptor_set_out=${set}`, `-I${include}`, `-I${OPTIONS_DIR}`, ...files]);
    t.is(compiled.code, 0, compiled.stderr);
    const fromDescriptors = loadDescriptors({ files: FileDescriptorSet.decode(readFileSync(set)).file, requested: files });
    const fromText = loadSchema({ cwd: include, files, includePaths: [include] });
    t.deepEqual(fromDescriptors.diagnostics, []);
    t.deepEqual(fromText.diagnostics, []);
    t.deepEqual(comparable(fromDescriptors.model!, [include, OPTIONS_DIR]), comparable(fromText.model!, [include, OPTIONS_DIR]));
  });
}
