// `generate --watch` against files and folders deleted and created again.
import test from "ava";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { summaryLines, watchCli, workspace, type WatchingCli } from "./helpers/cli.js";

const LIMIT_MS = 1000;

/** Does `change`, waits for `done` and one summary line; returns the time to `done` (asserted under 1 s) and the text printed. */
async function step(t: { log(...v: unknown[]): void; true(v: boolean, m?: string): void }, cli: WatchingCli, what: string, change: () => void, done: () => boolean): Promise<string> {
  const before = cli.stderr().length;
  change();
  const ms = await cli.waitFor(done, what);
  t.log(`${what}: ${Math.round(ms)} ms`);
  t.true(ms < LIMIT_MS, `${what}: ${Math.round(ms)} ms`);
  await cli.waitFor(() => summaryLines(cli.stderr().slice(before)).length > 0 || /nothing was written/.test(cli.stderr().slice(before)), `a line after ${what}`);
  return cli.stderr().slice(before);
}

test.serial("a deleted file's output goes, and comes back within 1 s when the file does; later edits too", async (t) => {
  const { schema, out } = workspace(t);
  const cli = await watchCli(t, ["generate", schema, "--out", out, "-I", schema]);
  const views = path.join(schema, "board/v1/views.proto");
  const generated = path.join(out, "board/v1/views_view.ts");
  const text = readFileSync(views, "utf8");

  let printed = await step(t, cli, "views.proto deleted", () => rmSync(views), () => !existsSync(generated));
  t.regex(printed, /^streampath: regenerated 10 files \(0 written, 1 removed\) in \d+ ms\n$/);
  printed = await step(t, cli, "views.proto created again", () => writeFileSync(views, text), () => existsSync(generated));
  t.regex(printed, /^streampath: regenerated 11 files \(1 written, 0 removed\) in \d+ ms\n$/);
  const edited = text.replace(/service Toolbar \{/, "// The toolbar.\nservice Toolbar {");
  await step(t, cli, "views.proto edited", () => writeFileSync(views, edited), () => readFileSync(generated, "utf8").includes("The toolbar."));
  t.is(await cli.stop(), 0);
});

test.serial("a file imported by others deleted is an error; created again, a line says the errors are fixed", async (t) => {
  const { schema, out } = workspace(t);
  const cli = await watchCli(t, ["generate", schema, "--out", out, "-I", schema]);
  const board = path.join(schema, "board/v1/board.proto");
  const generated = path.join(out, "board/v1/board_pb.ts");
  const text = readFileSync(board, "utf8");

  const before = cli.stderr().length;
  rmSync(board);
  const ms = await cli.waitFor(/import "board\/v1\/board\.proto" was not found/, "the missing import");
  t.log(`board.proto deleted: error in ${Math.round(ms)} ms`);
  await cli.waitFor(/nothing was written\.\n/, "the end of the errors");
  t.true(existsSync(generated), "nothing removed on error");
  t.deepEqual(summaryLines(cli.stderr().slice(before)), []);
  const printed = await step(t, cli, "board.proto created again", () => writeFileSync(board, text.replace("string color = 3;", "string color = 3;\n  string badge = 9;")), () => readFileSync(generated, "utf8").includes("badge: string"));
  t.regex(printed, /^streampath: errors fixed; regenerated 11 files \(1 written, 0 removed\) in \d+ ms\n$/);
  t.is(await cli.stop(), 0);
});

test.serial("files in new folders, the folders deleted and made again, are generated within 1 s", async (t) => {
  const { schema, out } = workspace(t);
  const cli = await watchCli(t, ["generate", schema, "--out", out, "-I", schema]);
  const folder = path.join(schema, "extra");
  const proto = path.join(folder, "v1/extra.proto");
  const generated = path.join(out, "extra/v1/extra_pb.ts");
  const source = (field: string) => `syntax = "proto3";\npackage extra.v1;\nmessage Extra {\n  string ${field} = 1;\n}\n`;
  const create = (field: string) => () => {
    mkdirSync(path.dirname(proto), { recursive: true });
    writeFileSync(proto, source(field));
  };

  await step(t, cli, "extra/v1/extra.proto in new folders", create("first"), () => existsSync(generated) && readFileSync(generated, "utf8").includes("first: string"));
  await step(t, cli, "extra/ deleted", () => rmSync(folder, { recursive: true }), () => !existsSync(generated));
  await step(t, cli, "extra/v1/extra.proto made again", create("second"), () => existsSync(generated) && readFileSync(generated, "utf8").includes("second: string"));
  // The new folder is watched, not only the one it replaced.
  await step(t, cli, "extra.proto edited", () => writeFileSync(proto, source("third")), () => readFileSync(generated, "utf8").includes("third: string"));
  t.is(await cli.stop(), 0);
});
