// What streampath/esbuild prints in esbuild's watch mode, in a real build script's stderr:
// after a schema error is fixed, a line that supersedes it; at "info", one line per generation.
import test from "ava";
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FIXTURES, ROOT } from "./helpers/generated.js";

const ENTRY = `import { Greeting } from "./gen/greet/v1/greet_pb.js";\nconsole.log(Object.keys(Greeting.create()).join(","));\n`;

/** A user's project: the fixture schema, an entry, a build script, and streampath and esbuild installed (links). */
function project(t: { teardown(fn: () => void): void }, logLevel: string | undefined) {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-esbuild-watch-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(FIXTURES, "esbuild/schema"), path.join(dir, "schema"), { recursive: true });
  writeFileSync(path.join(dir, "main.ts"), ENTRY);
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(ROOT, path.join(dir, "node_modules/streampath"), "dir");
  symlinkSync(path.join(ROOT, "node_modules/esbuild"), path.join(dir, "node_modules/esbuild"), "dir");
  const options = { entryPoints: ["main.ts"], outfile: "out/main.js", bundle: true, platform: "node", format: "esm", conditions: ["source"], logLevel };
  writeFileSync(
    path.join(dir, "build.mjs"),
    `import * as esbuild from "esbuild";
import { streampath } from "streampath/esbuild";
const context = await esbuild.context({ ...${JSON.stringify(options)}, absWorkingDir: ${JSON.stringify(dir)}, plugins: [streampath({ files: ["schema"], out: "gen", includePaths: ["schema"] })] });
await context.watch();
`,
  );
  return { dir, greet: path.join(dir, "schema/greet/v1/greet.proto"), bundle: path.join(dir, "out/main.js") };
}

/** Runs the build script in watch mode (through tsx, as streampath is TypeScript here); killed at the end of the test. */
function watchBuild(t: { teardown(fn: () => void): void }, dir: string) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--conditions=source", path.join(dir, "build.mjs")], {
    cwd: ROOT, // where tsx is found
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
  });
  t.teardown(() => void child.kill("SIGKILL"));
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const waitFor = async (what: RegExp | (() => boolean), label: string, timeoutMs = 20_000) => {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      if (typeof what === "function" ? what() : what.test(stderr)) return performance.now() - started;
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${label} within ${timeoutMs} ms (exit code ${child.exitCode}); stderr:\n${stderr}`);
  };
  return { stderr: () => stderr, waitFor };
}

const fixed = /^streampath: errors fixed; regenerated \d+ files \(\d+ written, 0 removed\) in \d+ ms$/m;

test("default logLevel: quiet while all is well; after a schema error, the fix prints a line that supersedes it", async (t) => {
  const p = project(t, undefined);
  const build = watchBuild(t, p.dir);
  await build.waitFor(() => existsSync(p.bundle), "the first bundle");
  const original = readFileSync(p.greet, "utf8");

  writeFileSync(p.greet, original.replace("string text = 2;", "Txt text = 2;"));
  await build.waitFor(/unknown type "Txt" for field greet\.v1\.Greeting\.text \[unknown-type\]/, "the schema error");
  const errorAt = build.stderr().length;

  writeFileSync(p.greet, original.replace("string text = 2;", "string text = 2;\n  bool loud = 3;"));
  const ms = await build.waitFor(() => fixed.test(build.stderr().slice(errorAt)), "the line saying the errors are fixed");
  t.log(`fix → line: ${Math.round(ms)} ms (esbuild polls for changes)`);
  t.regex(readFileSync(path.join(p.dir, "gen/greet/v1/greet_pb.ts"), "utf8"), /loud: boolean/);
  // Nothing else of streampath's, before the error nor after the fix.
  t.deepEqual(build.stderr().split("\n").filter((l) => l.startsWith("streampath:")), [fixed.exec(build.stderr())![0]]);

  // A later edit that succeeds prints nothing at this level.
  const before = build.stderr().length;
  writeFileSync(p.greet, original.replace("string text = 2;", "string text = 2;\n  bool loud = 3;\n  int32 times = 4;"));
  await build.waitFor(() => readFileSync(p.bundle, "utf8").includes("times"), "the rebuild with Greeting.times");
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(build.stderr().slice(before), "");
});

test('logLevel "info": one streampath line per generation', async (t) => {
  const p = project(t, "info");
  const build = watchBuild(t, p.dir);
  const lines = () => build.stderr().split("\n").filter((l) => l.startsWith("streampath:"));
  await build.waitFor(() => lines().length === 1, "the first line");
  t.regex(lines()[0]!, /^streampath: generated 3 files \(3 written, 0 removed\) in \d+ ms$/);
  const original = readFileSync(p.greet, "utf8");
  writeFileSync(p.greet, original.replace("string text = 2;", "string text = 2;\n  bool loud = 3;"));
  await build.waitFor(() => lines().length === 2, "the second line");
  t.regex(lines()[1]!, /^streampath: regenerated 3 files \(1 written, 0 removed\) in \d+ ms$/);
  await build.waitFor(() => existsSync(p.bundle) && readFileSync(p.bundle, "utf8").includes("loud"), "the rebuild");
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(lines().length, 2, "one line per generation");
});
