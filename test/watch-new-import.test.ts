// `generate --watch` follows the imports: a file first imported now, from another
// include path, is watched from then on, and so is one imported before it exists.
import test from "ava";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { summaryLines, watchCli, workspace } from "./helpers/cli.js";

const LIMIT_MS = 1000;

const message = (pkg: string, name: string, fields: string) => `syntax = "proto3";\npackage ${pkg};\nmessage ${name} {\n${fields}}\n`;

test.serial("a new import from another include path, and one of a file not there yet, regenerate within 1 s", async (t) => {
  const { dir, schema, out } = workspace(t);
  const vendor = path.join(dir, "vendor");
  const money = path.join(vendor, "money/v1/money.proto");
  mkdirSync(path.dirname(money), { recursive: true });
  writeFileSync(money, message("money.v1", "Money", "  int64 cents = 1;\n"));
  const cli = await watchCli(t, ["generate", schema, "--out", out, "-I", schema, "-I", vendor]);
  const board = path.join(schema, "board/v1/board.proto");
  const moneyGen = path.join(out, "money/v1/money_pb.ts");
  const taxGen = path.join(out, "tax/v1/tax_pb.ts");
  t.false(existsSync(moneyGen), "vendor/ is an include path, nothing of it imported yet");

  /** Times `change` until `done` (asserted under 1 s); returns what was printed meanwhile, once a line ends it. */
  const step = async (what: string, change: () => void, done: () => boolean, line: RegExp) => {
    const before = cli.stderr().length;
    change();
    const ms = await cli.waitFor(done, what);
    t.log(`${what}: ${Math.round(ms)} ms`);
    t.true(ms < LIMIT_MS, `${what}: ${Math.round(ms)} ms`);
    await cli.waitFor(() => line.test(cli.stderr().slice(before)), `the line after ${what}`);
    return cli.stderr().slice(before);
  };
  /** Saves as an editor does: a temp file renamed over the file. */
  const save = (file: string, edit: (text: string) => string) => () => {
    writeFileSync(`${file}.tmp`, edit(readFileSync(file, "utf8")));
    renameSync(`${file}.tmp`, file);
  };
  const regenerated = /streampath: (errors fixed; )?regenerated \d+ files/;

  await step(
    "board.proto imports vendor's money.proto",
    save(board, (s) => s.replace('import "google/protobuf/duration.proto";', 'import "google/protobuf/duration.proto";\nimport "money/v1/money.proto";').replace("string color = 3;", "string color = 3;\n  money.v1.Money tip = 9;")),
    () => existsSync(moneyGen) && readFileSync(path.join(out, "board/v1/board_pb.ts"), "utf8").includes("tip?: Money"),
    regenerated,
  );
  // money.proto was in no folder the watch looked at before: edited in place, then saved by rename.
  await step("money.proto edited", () => writeFileSync(money, message("money.v1", "Money", "  int64 cents = 1;\n  string currency = 2;\n")), () => readFileSync(moneyGen, "utf8").includes("currency: string"), regenerated);
  await step("money.proto saved by rename", save(money, (s) => s.replace("string currency = 2;", "string currency = 2;\n  bool estimate = 3;")), () => readFileSync(moneyGen, "utf8").includes("estimate: boolean"), regenerated);

  // An import of a file that does not exist yet, in a folder that does not either.
  const printed = await step(
    "board.proto imports tax.proto, not there yet",
    save(board, (s) => s.replace('import "money/v1/money.proto";', 'import "money/v1/money.proto";\nimport "tax/v1/tax.proto";').replace("money.v1.Money tip = 9;", "money.v1.Money tip = 9;\n  tax.v1.Tax tax = 10;")),
    () => /import "tax\/v1\/tax\.proto" was not found/.test(cli.stderr()),
    /nothing was written\.\n/,
  );
  t.deepEqual(summaryLines(printed), []);
  const tax = path.join(vendor, "tax/v1/tax.proto");
  const fixed = await step(
    "vendor/tax/v1/tax.proto created",
    () => {
      mkdirSync(path.dirname(tax), { recursive: true });
      writeFileSync(tax, message("tax.v1", "Tax", "  int32 percent = 1;\n"));
    },
    () => existsSync(taxGen),
    regenerated,
  );
  t.regex(fixed, /^streampath: errors fixed; regenerated \d+ files \(\d+ written, 0 removed\) in \d+ ms\n$/);
  await step("tax.proto edited", save(tax, (s) => s.replace("int32 percent = 1;", "int32 percent = 1;\n  string region = 2;")), () => readFileSync(taxGen, "utf8").includes("region: string"), regenerated);
  t.is(await cli.stop(), 0);
});
