/**
 * docs/guide.md is real: every code block with `file=PATH` is written into a
 * fresh project (streampath and the guide's other packages linked from this
 * checkout), the guide's own `npx streampath generate` command generates,
 * tsc type-checks, and the host, its clients and the worker's services run.
 */
import test, { type ExecutionContext } from "ava";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { http2Fetch } from "../runtime/guest/node.js";
import { createHost, implement } from "../runtime/host/index.js";
import { ROOT } from "./helpers/generated.js";
import { selfSigned } from "./helpers/tls.js";

const GUIDE = readFileSync(path.join(ROOT, "docs/guide.md"), "utf8");
const TSX = import.meta.resolve("tsx");
/** What the guide installs, linked from this checkout's node_modules. */
const PACKAGES = ["@grpc/grpc-js", "@grpc/proto-loader", "@types/node", "esbuild", "tsx"];
/** The window side and the build that bundles it, checked in their own test. */
const WINDOW_FILES = ["src/worker.ts", "src/main.ts"];

function guideFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of GUIDE.matchAll(/^```\w+ file=(\S+)\n([\s\S]*?)^```$/gm)) files.set(m[1]!, m[2]!);
  return files;
}

/** The guide's shell commands `npx streampath ...`, as arguments. */
function streampathCommands(): string[][] {
  return [...GUIDE.matchAll(/^npx streampath (.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
}

/**
 * streampath as installed, but from this checkout's TS sources: every
 * export's `default` is its `source`, so node, tsc and esbuild (whose
 * conditions the guide's build.ts does not set) all use them, never a stale dist/.
 */
function installStreampath(at: string): void {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const exports = Object.fromEntries(
    Object.entries(manifest.exports as Record<string, string | { source: string }>).map(([key, target]) => [
      key,
      typeof target === "string" ? target : target.source,
    ]),
  );
  mkdirSync(at);
  writeFileSync(path.join(at, "package.json"), JSON.stringify({ name: manifest.name, version: manifest.version, type: "module", exports }));
  for (const dir of ["bin", "generator", "runtime", "schema", "templates"]) symlinkSync(path.join(ROOT, dir), path.join(at, dir), "dir");
}

function project(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-guide-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "my-app", type: "module", private: true }));
  mkdirSync(path.join(dir, "node_modules/@grpc"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules/@types"), { recursive: true });
  installStreampath(path.join(dir, "node_modules/streampath"));
  for (const p of PACKAGES) symlinkSync(path.join(ROOT, "node_modules", p), path.join(dir, "node_modules", p), "dir");
  for (const [file, content] of guideFiles()) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node` with tsx and the `source` condition (streampath from its TS sources), in the project. */
function run(dir: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", TSX, "--conditions=source", ...args],
      { cwd: dir, env: { ...process.env, ...env, FORCE_COLOR: "0" }, timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const streampath = (dir: string, args: string[]) => run(dir, [path.join(ROOT, "bin/streampath.js"), ...args]);

async function typecheck(t: ExecutionContext, dir: string, files: string[]): Promise<void> {
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        customConditions: ["source"],
        lib: ["ES2022", "DOM"],
        types: ["node"],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
      },
      files,
    }),
  );
  const tsc = await run(dir, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {}, 180_000);
  t.is(tsc.code, 0, `tsc:\n${tsc.stdout}${tsc.stderr}`);
}

async function generateAsTheGuideSays(t: ExecutionContext, dir: string): Promise<void> {
  const [generateCommand, checkCommand] = streampathCommands();
  t.deepEqual(generateCommand, ["generate", "schema", "--out", "src/gen"]);
  const generated = await streampath(dir, generateCommand!);
  t.is(generated.code, 0, generated.stderr);
  t.deepEqual(checkCommand, [...generateCommand!, "--check"]);
  const check = await streampath(dir, checkCommand!);
  t.is(check.code, 0, check.stderr);
}

function startServer(t: ExecutionContext, dir: string): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, ["--import", TSX, "--conditions=source", "src/server.ts"], {
    cwd: dir,
    env: { ...process.env, PORT: "0" },
  });
  t.teardown(() => child.kill("SIGKILL"));
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`src/server.ts did not listen within 30 s:\n${output}`)), 30_000);
    const read = (d: Buffer) => {
      output += d;
      const url = /todo host listening on (\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.on("exit", () => reject(new Error(`src/server.ts exited:\n${output}`)));
  });
}

test("the guide's host and clients generate, type-check and run", async (t) => {
  const dir = project(t);
  await generateAsTheGuideSays(t, dir);
  for (const f of ["todo_pb.ts", "todo_host.ts", "todo_guest.ts"]) t.true(existsSync(path.join(dir, "src/gen", f)), f);
  const files = [...guideFiles().keys()].filter((f) => f.endsWith(".ts") && !WINDOW_FILES.includes(f));
  t.deepEqual(files.sort(), ["build.ts", "scripts/generate.ts", "src/client.ts", "src/grpc-client.ts", "src/server.ts", "src/worker-services.ts"]);
  await typecheck(t, dir, files);

  // The programmatic generate() agrees with the CLI: nothing left to write.
  const script = await run(dir, ["scripts/generate.ts"]);
  t.is(script.code, 0, script.stderr);
  t.regex(script.stdout, /^0 of \d+ files written\n$/);

  const url = await startServer(t, dir);
  const client = await run(dir, ["src/client.ts"], { TODO_URL: url });
  t.is(client.code, 0, client.stderr);
  t.is(client.stdout, "added #1\n#1 Write a .proto\n");
  const grpcClient = await run(dir, ["src/grpc-client.ts"], { PORT: new URL(url).port });
  t.is(grpcClient.code, 0, grpcClient.stderr);
  t.is(grpcClient.stdout, "grpc-js added #2\n");
});

test("the guide's worker services run against a host (in Node, as the worker's self and fetch)", async (t) => {
  const dir = project(t);
  await generateAsTheGuideSays(t, dir);
  const gen = pathToFileURL(path.join(dir, "src/gen/")).href;
  const { TodoHost } = await import(gen + "todo_host.ts");
  const { createTodoReaderClient, createTodoWriterClient } = await import(gen + "todo_guest.ts");
  const titles: string[] = [];
  const host = await createHost({
    tls: selfSigned(),
    services: [
      implement(TodoHost, {
        // The generated module is imported at run time, so its types are not known here.
        async add(request: unknown) {
          const { title } = request as { title: string };
          titles.push(title);
          return { id: String(titles.length), title, done: false };
        },
        async *list() {
          for (const [i, title] of titles.entries()) yield { id: String(i + 1), title, done: false };
        },
      }),
    ],
  });
  t.teardown(() => host.close());
  // What a worker has: its origin, and a fetch that multiplexes HTTP/2 as a browser does (Node's own speaks only HTTP/1.1).
  const h2fetch = http2Fetch({ ca: selfSigned().cert });
  t.teardown(() => h2fetch.close());
  const realFetch = globalThis.fetch;
  Object.assign(globalThis, { self: { location: { origin: host.url } }, fetch: h2fetch });
  t.teardown(() => Object.assign(globalThis, { fetch: realFetch, self: undefined }));

  const { registry } = await import(pathToFileURL(path.join(dir, "src/worker-services.ts")).href);
  t.teardown(() => registry.close());
  const writer = createTodoWriterClient(registry.transport);
  const reader = createTodoReaderClient(registry.transport);
  t.like(await writer.add({ title: "from the worker" }), { id: "1", title: "from the worker" });
  await writer.add({ title: "and again" });
  const listed: string[] = [];
  for await (const todo of reader.open({})) listed.push(todo.title);
  t.deepEqual(listed, ["from the worker", "and again"]);
});

test("the guide's window side type-checks and its esbuild build bundles it", async (t) => {
  const dir = project(t);
  await generateAsTheGuideSays(t, dir);
  t.true(existsSync(path.join(dir, "src/gen/todo_view.ts")), "todo_view.ts generated");
  await typecheck(t, dir, [...guideFiles().keys()].filter((f) => f.endsWith(".ts")));
  rmSync(path.join(dir, "src/gen"), { recursive: true });
  const build = await run(dir, ["build.ts"]);
  t.is(build.code, 0, build.stderr);
  t.true(existsSync(path.join(dir, "src/gen/todo_view.ts")), "the plugin generated");
  for (const f of ["main.js", "worker.js"]) t.true(existsSync(path.join(dir, "public", f)), f);
  t.regex(readFileSync(path.join(dir, "public/main.js"), "utf8"), /todo\.v1\.TodoList/);
});
