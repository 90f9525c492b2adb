/**
 * The `guest` target: worker_guest.ts of the sample has, per read/write
 * service, the descriptor, implementation interface, client, dependencies
 * and `defineX`, and compiles under strict settings with code that uses it
 * as intended (and rejects code that does not); `--target guest` alone
 * emits what it imports too (a dependency's _host.ts, the messages), so its
 * output compiles on its own.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import test from "ava";
import { runCli } from "./helpers/cli.js";
import { ROOT, generateFixture } from "./helpers/generated.js";
import { typeCheck, walkTs } from "./helpers/typecheck.js";

const SCHEMA = path.join(ROOT, "generated-sample/schema");
const SAMPLE = ["board.proto", "hosts.proto", "worker.proto", "views.proto"].map((f) => path.join(SCHEMA, "board/v1", f));

/** How a worker uses the generated code; each `@ts-expect-error` marks a misuse that must not compile. */
const USAGE = `
import { connectGateway, serveWorker } from "streampath/runtime/guest";
import type { ChangeAck } from "./board/v1/board_pb.js";
import { createBoardWriterClient, defineBoardReader, defineBoardWriter } from "./board/v1/worker_guest.js";

const reader = defineBoardReader(({ boardHost }) => ({
  current: (request, context) => boardHost.getBoard(request, { signal: context.signal }),
  async *updates(request, context) {
    yield* boardHost.watch(request, { signal: context.signal, timeoutMs: context.deadline });
  },
}));
const writer = defineBoardWriter(({ boardHost, boardReader }) => ({
  async submit(change) {
    const board = await boardReader.current({ boardId: "b1" });
    return { changeId: change.changeId, revision: board.revision, rejectedReason: undefined };
  },
  submitAll: (changes, context) => boardHost.edit(changes, { signal: context.signal }),
}));
const registry = serveWorker({ gateway: connectGateway("https://example.test"), services: [reader, writer] });
export const ack: Promise<ChangeAck> = createBoardWriterClient(registry.transport).submit({ changeId: "c1", author: undefined, at: undefined, kind: { case: undefined } });

// @ts-expect-error a read service gets no client of a write service
defineBoardReader(({ boardWriter }) => boardWriter);
// @ts-expect-error every method must be implemented
defineBoardReader(() => ({ current: () => ({ id: "", name: "", cards: {}, revision: 0n, present: {} }) }));
defineBoardReader(() => ({
  current: () => ({ id: "", name: "", cards: {}, revision: 0n, present: {} }),
  // @ts-expect-error a guest context has no principal: the worker's caller is the worker
  updates: (_request, context) => context.principal,
}));
`;

test("worker_guest.ts exports, per service, its descriptor, implementation, client, dependencies and define", async (t) => {
  const out = await generateFixture(`guest-target-${process.pid}`, { files: SAMPLE, includePaths: [SCHEMA], strictRoles: true });
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const { text, program } = typeCheck(out, { "usage.ts": USAGE });
  t.is(text, "", "the generated code and its intended use compile; each misuse is an error");
  const checker = program.getTypeChecker();
  const guest = program.getSourceFile(path.join(out, "board/v1/worker_guest.ts"))!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(guest)!).map((s) => s.name);
  for (const service of ["BoardReader", "BoardWriter"]) {
    for (const name of [service, `${service}Implementation`, `${service}Client`, `create${service}Client`, `${service}Dependencies`, `define${service}`]) {
      t.true(exported.includes(name), name);
    }
  }
  t.is(exported.length, 12, exported.join(", "));
  const deps = checker.getDeclaredTypeOfSymbol(checker.getExportsOfModule(checker.getSymbolAtLocation(guest)!).find((s) => s.name === "BoardWriterDependencies")!);
  t.deepEqual(
    deps.getProperties().map((p) => `${p.name}: ${checker.typeToString(checker.getTypeOfSymbol(p))}`),
    ["boardHost: BoardHostClient", "boardReader: BoardReaderClient"],
  );
  // Host services' clients come from their _host.ts, which only type-imports runtime/host: the worker stays browser-only.
  t.regex(guest.text, /import \{ BoardHost, type BoardHostClient \} from "\.\/hosts_host\.js";/);
  t.notRegex(guest.text, /runtime\/host/);
});

test("--target guest alone also emits the _host.ts and messages it imports, and compiles", async (t) => {
  const out = path.join(ROOT, "test/.gen", `guest-only-${process.pid}`);
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const run = await runCli(["generate", path.join(SCHEMA, "board/v1/worker.proto"), "--out", out, "-I", SCHEMA, "--target", "guest"]);
  t.is(run.code, 0, run.stderr);
  const files = walkTs(out).map((f) => path.relative(out, f)).sort();
  t.true(files.includes("board/v1/worker_guest.ts"));
  t.true(files.includes("board/v1/hosts_host.ts"), "the host module of the dependency BoardHost");
  t.true(files.includes("board/v1/board_pb.ts"));
  t.false(files.includes("board/v1/views_guest.ts") || files.some((f) => f.startsWith("board/v1/views")), "views.proto was not asked for");
  t.is(typeCheck(out).text, "");
});
