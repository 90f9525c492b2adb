/**
 * protoc-gen-streampath as a local plugin of `buf generate` (npm
 * @bufbuild/buf): buf compiles the module itself, editions included, and the
 * plugin writes what `streampath generate` writes for the same files.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { generate } from "../generator/generate.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { FIXTURES, ROOT } from "./helpers/generated.js";
import { OPTIONS_DIR, PLUGIN, assertSameFiles, readTree, run } from "./helpers/plugin.js";

const BUF = path.join(ROOT, "node_modules/.bin/buf");
const SAMPLE = path.join(ROOT, "generated-sample/schema");

/** A buf workspace in a temporary directory, `buf.gen.yaml` running the plugin with `opt`. */
function bufWorkspace(t: ExecutionContext, modules: string[], opt: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-buf-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "buf.yaml"), ["version: v2", "modules:", ...modules.map((m) => `  - path: ${m}`), ""].join("\n"));
  writeFileSync(
    path.join(dir, "buf.gen.yaml"),
    ["version: v2", "plugins:", `  - local: ${JSON.stringify(PLUGIN)}`, "    out: gen", `    opt: ${JSON.stringify(opt)}`, ""].join("\n"),
  );
  return dir;
}

/** `buf generate input`, its cache kept in the workspace. */
async function bufGenerate(t: ExecutionContext, dir: string, input: string) {
  const result = await run(BUF, ["generate", input], { cwd: dir, env: { BUF_CACHE_DIR: path.join(dir, ".cache") } });
  t.is(result.code, 0, result.stderr);
  return result;
}

test("the sample through buf generate: what the CLI writes, byte for byte (strict_roles)", async (t) => {
  // As the README has it: streampath/options.proto in a module of its own, the schema's module generated.
  const dir = bufWorkspace(t, ["schema", "streampath-proto"], ["target=messages+host+guest+view", "strict_roles"]);
  cpSync(SAMPLE, path.join(dir, "schema"), { recursive: true });
  cpSync(OPTIONS_DIR, path.join(dir, "streampath-proto"), { recursive: true });
  const viaBuf = await bufGenerate(t, dir, "schema");
  const viaCli = await generate({ cwd: ROOT, files: ["board.proto", "hosts.proto", "views.proto", "worker.proto"].map((f) => path.join(SAMPLE, "board/v1", f)), includePaths: [SAMPLE], strictRoles: true });
  t.deepEqual(viaCli.diagnostics.map(formatDiagnostic), []);
  assertSameFiles(t, viaCli.files, readTree(path.join(dir, "gen")));
  t.log(`buf generate + plugin ${viaBuf.ms} ms`);
});

test("editions 2023 and 2024, comments and declaration order through buf generate: what generate() writes", async (t) => {
  const dir = bufWorkspace(t, ["."], []);
  // 2025 is no edition buf or streampath supports.
  const files = [
    ...readdirSync(path.join(FIXTURES, "editions")).filter((f) => f !== "edition-2025.proto").map((f) => path.join(FIXTURES, "editions", f)),
    ...readdirSync(path.join(FIXTURES, "plugin")).map((f) => path.join(FIXTURES, "plugin", f)),
  ].filter((f) => f.endsWith(".proto"));
  for (const f of files) cpSync(f, path.join(dir, path.basename(f)));
  await bufGenerate(t, dir, ".");
  const names = files.map((f) => path.basename(f)).sort();
  const viaCli = await generate({ cwd: dir, files: names, includePaths: [dir] });
  t.deepEqual(viaCli.diagnostics.map(formatDiagnostic), []);
  assertSameFiles(t, viaCli.files, readTree(path.join(dir, "gen")));
  t.true(viaCli.files.some((f) => f.path === "edition-2024_pb.ts"));
});
