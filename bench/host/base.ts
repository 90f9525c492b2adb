// BENCH_HOST_BASE=<git rev>: one more peer, `streampath@base`, whose server
// and client run streampath's host and link as built from that revision, in
// the same run as the working tree's `streampath` (issue 16: adding protocols
// costs nothing measurable on the gRPC rows, before/after in one run).
//
// The revision is checked out as a detached `git worktree` in a temporary
// directory, with our node_modules linked into it, built with ITS build
// script, and the echo schema generated there by ITS CLI into
// <worktree>/bench/gen/echo. Generated code and runtime are a pair (the
// generated module calls the runtime's API of its own revision), so the base
// peer uses both from the base; and since that generated code sits inside
// the worktree, its `streampath/runtime/...` imports resolve (package
// self-reference, nearest package.json) to the worktree's dist/.
// `loadStreampathHost` (generated.ts) takes createHost and connectHost from
// the very file the generated code resolves to, and checks it is in the tree.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { run } from "../lib/exec.js";
import { repoRoot } from "../lib/paths.js";
import { echoProto, streampathGenDirOf } from "./generated.js";

/** The peer that runs the base revision's streampath. */
export const BASE_PEER = "streampath@base";

/** Set by the driver for its children: the worktree's root. */
const BASE_DIR_ENV = "BENCH_HOST_BASE_DIR";

/** The revision asked for, or undefined when BENCH_HOST_BASE is unset. */
export const baseRev = (): string | undefined =>
  process.env.BENCH_HOST_BASE?.trim() || undefined;

/** Which of the base peer's processes run the base: `both` unless BENCH_HOST_BASE_SIDE says. */
export type BaseSide = "server" | "client" | "both";

export function baseSide(): BaseSide {
  const side = process.env.BENCH_HOST_BASE_SIDE?.trim() || "both";
  if (side !== "server" && side !== "client" && side !== "both")
    throw new Error(
      `BENCH_HOST_BASE_SIDE: ${side}; one of server, client, both`,
    );
  return side;
}

/**
 * The package root a streampath peer's `side` runs from: this checkout, or
 * (in the children of a run with BENCH_HOST_BASE) the base worktree. With
 * BENCH_HOST_BASE_SIDE=server the base peer's client is this checkout's link
 * (and =client its server this checkout's host), which tells on which side
 * of the wire a difference lies; both speak gRPC, so either pairing works.
 */
export function streampathRoot(
  peer: string,
  side: "server" | "client",
): string {
  if (peer !== BASE_PEER) return repoRoot;
  const base = baseSide();
  if (base !== "both" && base !== side) return repoRoot;
  const dir = process.env[BASE_DIR_ENV];
  if (!dir) throw new Error(`${BASE_PEER}: ${BASE_DIR_ENV} is not set`);
  return dir;
}

export interface BaseTree {
  /** The worktree's root (the base peer's package root). */
  readonly dir: string;
  /** `<commit> "<subject>"`, for the report. */
  readonly describe: string;
  /** Removes the worktree; safe to call more than once. */
  remove(): void;
}

/**
 * Checks `rev` out, builds it and generates its echo code; sets the
 * environment its peer's children read. The worktree is removed by
 * `remove()`, or at exit (also on SIGINT/SIGTERM) if the caller never gets
 * there.
 */
export function prepareBase(rev: string): BaseTree {
  const git = (args: string[]): string => run("git", args).stdout.trim();
  const commit = git(["rev-parse", "--verify", `${rev}^{commit}`]);
  const subject = git(["log", "-1", "--format=%s", commit]);
  // realpath: the module URLs of the base runtime must be one spelling, so
  // that the generated code and the bench's own import load one instance.
  const parent = realpathSync(mkdtempSync(join(tmpdir(), "streampath-base-")));
  const dir = join(parent, "streampath");
  const modules = join(dir, "node_modules");

  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    // The link first, so nothing below can reach our own node_modules.
    if (existsSync(modules)) unlinkSync(modules);
    for (const args of [
      ["worktree", "remove", "--force", dir],
      ["worktree", "prune"],
    ])
      spawnSync("git", args, { cwd: repoRoot, stdio: "ignore" });
    rmSync(parent, { recursive: true, force: true });
  };
  process.once("exit", remove);
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => process.exit(130));

  try {
    git(["worktree", "add", "--detach", dir, commit]);
    symlinkSync(join(repoRoot, "node_modules"), modules, "dir");
    build(dir);
    generateEcho(dir);
  } catch (error) {
    remove();
    throw error;
  }
  process.env[BASE_DIR_ENV] = dir; // inherited by the forked children
  return {
    dir,
    describe: `${commit.slice(0, 12)} "${subject.length > 72 ? `${subject.slice(0, 71)}…` : subject}"`,
    remove,
  };
}

/** Runs the revision's own `build` script as `npm run build` would (no install). */
function build(dir: string): void {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const script: unknown = manifest.scripts?.build;
  if (typeof script !== "string")
    throw new Error(`${BASE_PEER}: no "build" script in its package.json`);
  const result = spawnSync("sh", ["-c", script], {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${join(dir, "node_modules", ".bin")}${delimiter}${process.env.PATH}`,
    },
  });
  if (result.status !== 0)
    throw new Error(
      `${BASE_PEER}: \`${script}\` failed in ${dir}:\n${(result.stdout + result.stderr).trim().slice(-4000)}`,
    );
}

/**
 * OUR echo.proto (the schema the other peers run), copied to the same
 * relative path and generated by ITS CLI the way prepare() does it here.
 */
function generateEcho(dir: string): void {
  const proto = join(dir, relative(repoRoot, echoProto));
  mkdirSync(join(proto, ".."), { recursive: true });
  copyFileSync(echoProto, proto);
  const out = streampathGenDirOf(dir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run(
    process.execPath,
    [
      "bin/streampath.js",
      "generate",
      relative(dir, proto),
      "--out",
      relative(dir, out),
    ],
    { cwd: dir },
  );
  for (const file of ["echo_pb.ts", "echo_host.ts"])
    if (!existsSync(join(out, file)))
      throw new Error(`${BASE_PEER}: its CLI wrote no ${file} in ${out}`);
}
