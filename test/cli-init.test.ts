/**
 * `streampath init <dir>`: writes the starter into a new folder, with a
 * package.json that names the app and asks for streampath as told; refuses
 * a folder with files in it and a name npm would refuse, writing nothing.
 * (test/guide.test.ts installs, builds, tests and opens the app it makes.)
 */
import test from "ava";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { starterFiles } from "../generator/init.js";
import { VERSION } from "../generator/version.js";
import { runCli } from "./helpers/cli.js";
import { ROOT } from "./helpers/generated.js";

function temp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-init-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("init writes the starter, says what to run next, and the app asks for this version of streampath", async (t) => {
  const dir = path.join(temp(t), "My-App");
  const run = await runCli(["init", dir]);
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, `Created ${dir}: a notes app with a host, a worker and a window.\n\nNext:\n  cd ${dir}\n  npm install\n  npm run dev\n`);
  const written = (under: string): string[] =>
    readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? written(path.join(under, e.name)) : [path.join(under, e.name)]));
  t.deepEqual(written("").sort(), [
    ".gitignore", "README.md", "build.ts", "package.json", "public/index.html", "public/style.css",
    "schema/notes.proto", "src/host.ts", "src/notes.ts", "src/window.ts", "src/worker.ts", "test/notes.test.ts", "tsconfig.json",
  ]);
  for (const file of ["schema/notes.proto", "src/host.ts", "public/index.html"]) {
    t.is(readFileSync(path.join(dir, file), "utf8"), readFileSync(path.join(ROOT, "starter", file), "utf8"), file);
  }
  const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  t.is(manifest.name, "my-app");
  t.is(manifest.type, "module");
  t.deepEqual(Object.keys(manifest.scripts).sort(), ["build", "dev", "generate", "start", "test"]);
  t.deepEqual(manifest.dependencies, { streampath: `^${VERSION}` });
  const ours = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).devDependencies;
  for (const tool of ["esbuild", "tsx", "typescript", "@types/node"]) t.is(manifest.devDependencies[tool], `^${ours[tool]}`, tool);
});

test("--streampath with a packed file is written as file: relative to the app; --name names it", async (t) => {
  const root = temp(t);
  writeFileSync(path.join(root, "streampath-9.9.9.tgz"), "");
  const run = await runCli(["init", path.join(root, "apps/one"), "--streampath", path.join(root, "streampath-9.9.9.tgz"), "--name", "@me/one"]);
  t.is(run.code, 0, run.stderr);
  const manifest = JSON.parse(readFileSync(path.join(root, "apps/one/package.json"), "utf8"));
  t.is(manifest.name, "@me/one");
  t.deepEqual(manifest.dependencies, { streampath: "file:../../streampath-9.9.9.tgz" });
});

test("a folder with files in it, or a name npm refuses, fails with why and writes nothing", async (t) => {
  const root = temp(t);
  const full = path.join(root, "full");
  mkdirSync(full);
  writeFileSync(path.join(full, "notes.txt"), "mine");
  const refused = await runCli(["init", full]);
  t.is(refused.code, 1);
  t.is(refused.stderr, `streampath: ${full} is not empty: give a new folder's name\n`);
  t.deepEqual(readdirSync(full), ["notes.txt"]);

  const badName = await runCli(["init", path.join(root, "fresh"), "--name", "Has Spaces"]);
  t.is(badName.code, 1);
  t.regex(badName.stderr, /^streampath: "Has Spaces" cannot be a package name: use lowercase letters, digits/);
  t.false(existsSync(path.join(root, "fresh")));

  const noDir = await runCli(["init"]);
  t.is(noDir.code, 2);
  t.regex(noDir.stderr, /Not enough non-option arguments/);
});

test("starterFiles is the whole starter, .gitignore under its own name", (t) => {
  const files = starterFiles({ name: "x" }).map((f) => f.path);
  t.true(files.includes(".gitignore"));
  t.false(files.includes("gitignore"));
  t.is(files[0], "package.json");
});
