/**
 * The `view` target: views_view.ts of the sample has, per view service, the
 * descriptor, implementation interface, client, dependencies and `defineX`,
 * and compiles under strict settings with code that uses it as the sample
 * app does; `--target view` alone emits what it imports too (another file's
 * _view.ts, the _guest.ts of read/write dependencies and what that needs),
 * and everything it emits is what prettier prints.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import test from "ava";
import * as prettier from "prettier";
import { generateFromModel } from "../generator/generate.js";
import { loadSchema } from "../schema/load.js";
import { runCli } from "./helpers/cli.js";
import { FIXTURES, ROOT, generateFixture } from "./helpers/generated.js";
import { typeCheck, walkTs } from "./helpers/typecheck.js";

const SCHEMA = path.join(ROOT, "generated-sample/schema");
const SAMPLE = ["board.proto", "hosts.proto", "worker.proto", "views.proto"].map((f) => path.join(SCHEMA, "board/v1", f));
const SHELL = path.join(FIXTURES, "view/shell.proto");

/** The window of the sample app, in the test's words: views over the worker's registry, called through serveView. */
const USAGE = `
import { connectGateway, serveWorker } from "streampath/runtime/guest";
import { serveView } from "streampath/runtime/view";
import { defineBoardReader, defineBoardWriter } from "./board/v1/worker_guest.js";
import { createBoardViewClient, createToolbarClient, defineBoardView, defineToolbar } from "./board/v1/views_view.js";

const worker = serveWorker({
  gateway: connectGateway("https://example.test"),
  services: [
    defineBoardReader(({ boardHost }) => ({
      current: (request, context) => boardHost.getBoard(request, { signal: context.signal }),
      updates: (request, context) => boardHost.watch(request, { signal: context.signal }),
    })),
    defineBoardWriter(({ boardHost }) => ({
      submit: (change) => ({ changeId: change.changeId, revision: 0n, rejectedReason: undefined }),
      submitAll: (changes, context) => boardHost.edit(changes, { signal: context.signal }),
    })),
  ],
});
let shown = "";
const views = serveView({
  worker: worker.transport,
  services: [
    defineBoardView(({ boardReader, boardWriter }) => ({
      async show(request, context) {
        const board = await boardReader.current(request, { signal: context.signal });
        shown = board.name;
        return {};
      },
      async focus(move) {
        await boardWriter.submit({ changeId: move.cardId, author: undefined, at: undefined, kind: { case: "moved", value: move } });
        return {};
      },
    })),
    defineToolbar(({ boardView }) => ({
      async filter(update, context) {
        const realm: "window" = context.realm;
        return boardView.show({ boardId: update.boardId + realm });
      },
    })),
  ],
});
export const done: Promise<unknown> = createBoardViewClient(views.transport).show({ boardId: "b1" }).then(() => shown);
export const filtered: Promise<unknown> = createToolbarClient(views.transport).filter({ author: undefined, boardId: "b1", focusCardId: "", left: false });
`;

test("views_view.ts exports, per view service, its descriptor, implementation, client, dependencies and define", async (t) => {
  const out = await generateFixture(`view-target-${process.pid}`, { files: SAMPLE, includePaths: [SCHEMA], strictRoles: true });
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const { text, program } = typeCheck(out, { "usage.ts": USAGE });
  t.is(text, "", "the generated code and the sample's use of it compile");
  const checker = program.getTypeChecker();
  const view = program.getSourceFile(path.join(out, "board/v1/views_view.ts"))!;
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(view)!);
  const exported = exports.map((s) => s.name);
  for (const service of ["BoardView", "Toolbar"]) {
    for (const name of [service, `${service}Implementation`, `${service}Client`, `create${service}Client`, `${service}Dependencies`, `define${service}`]) {
      t.true(exported.includes(name), name);
    }
  }
  t.is(exported.length, 12, exported.join(", "));
  const properties = (name: string) =>
    checker
      .getDeclaredTypeOfSymbol(exports.find((s) => s.name === name)!)
      .getProperties()
      .map((p) => `${p.name}: ${checker.typeToString(checker.getTypeOfSymbol(p))}`);
  t.deepEqual(properties("BoardViewDependencies"), ["boardReader: BoardReaderClient", "boardWriter: BoardWriterClient"]);
  t.deepEqual(properties("ToolbarDependencies"), ["boardView: BoardViewClient", "boardWriter: BoardWriterClient"]);
  // Read/write clients come from their _guest.ts; the window's runtime is runtime/view, never runtime/host.
  t.regex(view.text, /import \{\n {2}BoardReader,\n {2}type BoardReaderClient,\n {2}BoardWriter,\n {2}type BoardWriterClient,\n\} from "\.\/worker_guest\.js";/);
  t.regex(view.text, /import \{\n {2}type ViewContext,\n {2}type ViewService,\n {2}defineViewService,\n\} from "streampath\/runtime\/view";/);
  t.regex(view.text, /show\(request: GetBoardRequest, context: ViewContext\): Promise<Empty> \| Empty;/);
  t.regex(view.text, /boardView: \{ service: BoardView, role: "view" \},\n {4}boardWriter: \{ service: BoardWriter, role: "write" \},/);
  t.notRegex(view.text, /runtime\/host|runtime\/guest/);
});

test("--target view alone also emits another file's _view.ts, the _guest.ts of read/write dependencies and what they import, and compiles", async (t) => {
  const out = path.join(ROOT, "test/.gen", `view-only-${process.pid}`);
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const run = await runCli(["generate", SHELL, "--out", out, "-I", FIXTURES, "--target", "view", "--strict-roles"]);
  t.is(run.code, 0, run.stderr);
  const files = walkTs(out).map((f) => path.relative(out, f)).sort();
  t.deepEqual(files, [
    "guest/worker_guest.ts", // Writer and Reader: Shell's and Panel's read/write dependencies
    "host/echo_host.ts", // Echo: what the Reader and Writer depend on
    "host/echo_pb.ts",
    "view/panel_view.ts", // Panel: a view Shell depends on, declared in panel.proto
    "view/shell_view.ts",
  ]);
  const { text, program } = typeCheck(out);
  t.is(text, "");
  const shell = program.getSourceFile(path.join(out, "view/shell_view.ts"))!.text;
  t.regex(shell, /import \{ Panel, type PanelClient \} from "\.\/panel_view\.js";/);
  t.regex(shell, /import \{ Writer, type WriterClient \} from "\.\.\/guest\/worker_guest\.js";/);
  t.regex(shell, /outline: \{ service: Outline, role: "view" \}/, "a view of the same file is used as it is");
});

test("every file the view target emits is what prettier prints", async (t) => {
  const { model, diagnostics } = loadSchema({ files: [SHELL, path.join(FIXTURES, "view/rules.proto")], includePaths: [FIXTURES], cwd: ROOT });
  t.deepEqual(diagnostics, []);
  const out = generateFromModel(model!, ["view"]);
  t.deepEqual(
    out.map((f) => f.path).filter((p) => p.endsWith("_view.ts")),
    ["view/panel_view.ts", "view/rules_view.ts", "view/shell_view.ts"],
  );
  for (const f of out) t.is(await prettier.format(f.content, { parser: "typescript" }), f.content, f.path);
});
