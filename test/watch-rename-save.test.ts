// `generate --watch` against saves that replace the file, as editors and `sed -i` save.
import test from "ava";
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { summaryLines, watchCli, workspace } from "./helpers/cli.js";

const LIMIT_MS = 1000;
/** Longer than the watch's quiet time: a second line for one save would be out by then. */
const SETTLE_MS = 400;

test.serial("every save that replaces the file is regenerated within 1 s, one line each", async (t) => {
  const { schema, out } = workspace(t);
  const cli = await watchCli(t, ["generate", schema, "--out", out, "-I", schema]);
  const proto = path.join(schema, "board/v1/board.proto");
  const generated = path.join(out, "board/v1/board_pb.ts");
  const anchor = "string color = 3;";

  /** Each way adds `string <field> = <number>;` after the anchor. */
  const saves: [string, (field: string) => void][] = [
    // GNU sed writes a temp file in the same folder and renames it over the file.
    ["sed -i", (field) => execFileSync("sed", ["-i", `s/${anchor}/${anchor} ${field}/`, proto])],
    // What editors call an atomic or safe save.
    ["temp file + rename", (field) => {
      const temp = `${proto}.tmp~`;
      writeFileSync(temp, readFileSync(proto, "utf8").replace(anchor, `${anchor} ${field}`));
      renameSync(temp, proto);
    }],
    // A backup by rename, a new file, the backup deleted (vim's writebackup).
    ["rename away + new file", (field) => {
      const backup = `${proto}~`;
      const text = readFileSync(proto, "utf8");
      renameSync(proto, backup);
      writeFileSync(proto, text.replace(anchor, `${anchor} ${field}`));
      rmSync(backup);
    }],
    ["sed -i again", (field) => execFileSync("sed", ["-i", `s/${anchor}/${anchor} ${field}/`, proto])],
    ["in place", (field) => writeFileSync(proto, readFileSync(proto, "utf8").replace(anchor, `${anchor} ${field}`))],
  ];
  for (const [i, [how, save]] of saves.entries()) {
    const before = cli.stderr().length;
    save(`string saved${i} = ${60 + i};`);
    const ms = await cli.waitFor(() => readFileSync(generated, "utf8").includes(`saved${i}: string`), `saved${i} after ${how}`);
    t.log(`${how}: regenerated in ${Math.round(ms)} ms`);
    t.true(ms < LIMIT_MS, `${how}: ${Math.round(ms)} ms`);
    await cli.waitFor(() => summaryLines(cli.stderr().slice(before)).length > 0, `a line for ${how}`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    t.regex(cli.stderr().slice(before), /^streampath: regenerated 11 files \(1 written, 0 removed\) in \d+ ms\n$/, `one line for ${how}`);
  }
  t.is(await cli.stop(), 0);
});

test.serial("a file in the output or a temp file next to the schema does not regenerate", async (t) => {
  const { schema } = workspace(t);
  const cli = await watchCli(t, ["generate", schema, "--out", path.join(schema, "gen"), "-I", schema]);
  const before = cli.stderr().length;
  // An editor's swap file, then a generated file touched by hand: events in watched folders, no schema change.
  writeFileSync(path.join(schema, "board/v1/.board.proto.swp"), "swap");
  writeFileSync(path.join(schema, "gen/board/v1/board_pb.ts"), "// edited\n");
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  t.is(cli.stderr().slice(before), "");
  t.is(await cli.stop(), 0);
});
