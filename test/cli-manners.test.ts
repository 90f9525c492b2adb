// How the CLI talks: help at any width, suggestions for typos, exit codes, quiet success.
import test from "ava";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { VERSION } from "../generator/version.js";
import { runCli, workspace } from "./helpers/cli.js";

const OPTIONS = ["--out", "--include", "--target", "--check", "--watch", "--strict-roles", "--verbose", "--help", "--version"];

for (const columns of [40, 60, 80, 120, 200]) {
  test(`--help is clean at ${columns} columns`, async (t) => {
    const width = Math.min(columns, 100);
    let generate = "";
    for (const args of [["--help"], ["generate", "--help"]]) {
      const help = await runCli(args, { env: { COLUMNS: String(columns) } });
      generate = help.stdout;
      t.is(help.code, 0, help.stderr);
      const lines = help.stdout.split("\n");
      for (const line of lines) t.true(line.length <= width, `longer than ${width}: ${JSON.stringify(line)}`);
      // Types and defaults are the parser's business: each description says what matters.
      t.notRegex(help.stdout, /\[(array|string|boolean|required|default:|choices:)/);
      // An option's flags and its description are apart, never run together.
      const options = lines.slice(lines.indexOf("Options:") + 1);
      options.splice(options.indexOf(""));
      for (const line of options.filter((l) => /^ {2,}(-\w, )?--\w/.test(l))) t.regex(line, /^ +(-\w, )?--[\w-]+ {2,}\S/, line);
      t.true(options.length >= 2);
    }
    for (const option of OPTIONS) t.true(generate.includes(option), option);
    for (const target of ["messages", "host", "guest", "view"]) t.regex(generate, new RegExp(`^${target} +a/b_\\w+\\.ts: `, "m"), target);
    t.regex(generate.replace(/\s+/g, " "), /Exit status: 0 done; 1 schema errors, or \(--check\) files out of date; 2 usage error\./);
    t.regex(generate.replace(/\s+/g, " "), /Docs: README\.md, section CLI/);
  });
}

test("--version prints the version", async (t) => {
  const run = await runCli(["--version"]);
  t.is(run.code, 0);
  t.is(run.stdout, `${VERSION}\n`);
});

test("a mistyped command or option gets a suggestion and exit code 2", async (t) => {
  const cases: [string[], RegExp][] = [
    [["gen", "-o", "x", "schema"], /^streampath: unknown command "gen"; did you mean "generate"\?$/m],
    [["genrate", "schema", "-o", "x"], /^streampath: unknown command "genrate"; did you mean "generate"\?$/m],
    [["frobnicate"], /^streampath: unknown command "frobnicate"; the commands are "generate", "init"$/m],
    [["generate", "schema", "-o", "x", "--taget", "host"], /^streampath: unknown option --taget; did you mean --target\?$/m],
    [["generate", "schema", "-o", "x", "--strict-role"], /^streampath: unknown option --strict-role; did you mean --strict-roles\?$/m],
    [["generate", "schema", "-O", "x"], /^streampath: unknown option -O; did you mean -o\?$/m],
    [["generate", "schema", "-o", "x", "--target", "hots"], /^streampath: unknown target hots \(the targets are messages, host, guest, view\)$/m],
    [["generate", "schema"], /^streampath: Missing required argument: out$/m],
    [["generate", "schema", "-o", "x", "--check", "--watch"], /^streampath: --check and --watch cannot be used together$/m],
    [[], /^streampath: name a command: streampath generate <files\.\.> --out DIR, or streampath init <dir>$/m],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(args);
    t.is(run.code, 2, args.join(" "));
    t.regex(run.stderr, message, args.join(" "));
    t.regex(run.stderr, /^Run streampath --help for usage\.$/m);
  }
});

test("quiet on success; --verbose says what was generated; exit 1 for schema errors", async (t) => {
  const { schema, out } = workspace(t);
  const quiet = await runCli(["generate", schema, "--out", out, "-I", schema]);
  t.is(quiet.code, 0);
  t.is(quiet.stderr + quiet.stdout, "", "a generation under a second prints nothing");
  const verbose = await runCli(["generate", schema, "--out", out, "-I", schema, "--verbose"]);
  t.is(verbose.code, 0);
  t.regex(verbose.stderr, /^streampath: generated 11 files \(0 written, 0 removed\) in \d+ ms\n$/);
  const check = await runCli(["generate", schema, "--out", out, "-I", schema, "--check", "--verbose"]);
  t.is(check.code, 0);
  t.is(check.stderr, "streampath: 11 generated files are up to date\n");
  rmSync(path.join(schema, "board/v1/board.proto"));
  const broken = await runCli(["generate", schema, "--out", out, "-I", schema]);
  t.is(broken.code, 1);
  t.regex(broken.stderr, /streampath: \d+ errors?; nothing was written\./);
});

test("a generation slower than a second says it is under way, then what it did", async (t) => {
  const { dir, schema, out } = workspace(t);
  // A schema file that is a FIFO reads as slowly as its writer writes: a slow disk, made exact.
  const views = path.join(schema, "board/v1/views.proto");
  const source = path.join(dir, "views.proto.source");
  copyFileSync(views, source);
  rmSync(views);
  const mkfifo = spawn("mkfifo", [views]);
  await new Promise((resolve) => mkfifo.once("exit", resolve));
  // The writer opens the FIFO as the CLI opens it to read (the CLI reads each file once
  // per run), then makes it wait 1.5 s for the text. In a process group of its own, so
  // that killing it takes a `sleep` or `cat` still running too.
  const script = `{ sleep 1.5; cat "${source}"; } > "${views}"`;
  const writer: ChildProcess = spawn("sh", ["-c", script], { stdio: "ignore", detached: true });
  const stopWriter = () => {
    try {
      process.kill(-writer.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  t.teardown(stopWriter);
  const run = await runCli(["generate", schema, "--out", out, "-I", schema], { timeoutMs: 20_000 });
  stopWriter();
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /^streampath: generating from 4 files…\nstreampath: generated 11 files \(11 written, 0 removed\) in \d\.\d s\n$/);
});
