// streampath against an earlier revision, codec by codec, in alternating
// processes: each process loads one side's codec, warms up, times one
// operation for a while and exits; the two sides take turns, PAIRS times per
// column, and the median of the per-pair ratios is printed. On a shared
// machine a single process's timing swings by tens of percent; pairs taken
// back to back see the same weather, so their median resolves a few percent
// where one bench:codec table cannot.
//
//   BENCH_BASELINE=69fb1f4 npm run bench:codec   (prepares the baseline once)
//   BENCH_BASELINE=69fb1f4 npx tsx bench/codec-ab.ts   [PAIRS=8 AB_MS=700]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadStreampath } from "./codecs/streampath.js";
import { baselineGenDirOf, baselineLabel } from "./lib/baseline.js";
import { genDirOf } from "./lib/paths.js";
import { timeAlone } from "./lib/measure.js";
import { formatTable } from "./lib/report.js";

const PAIRS = Number(process.env.PAIRS ?? 8);
const MS = Number(process.env.AB_MS ?? 700);
const COLUMNS = [
  ["small", "encode"],
  ["small", "decode"],
  ["large", "encode"],
  ["large", "decode"],
] as const;

if (process.argv[2] === "--child") {
  const [, , , dir, kind, op] = process.argv;
  const codec = await loadStreampath({ name: "child", dir });
  if ("unavailable" in codec) throw new Error(codec.unavailable);
  const c = kind === "small" ? codec.small : codec.large;
  console.log(JSON.stringify(timeAlone(c, op, MS)));
  process.exit(0);
}

const rev = process.env.BENCH_BASELINE;
if (!rev) throw new Error("set BENCH_BASELINE=<rev> (bench:codec with it prepares that revision's codec)");
const current = genDirOf("streampath");
const baseline = baselineGenDirOf(rev);
for (const dir of [current, baseline]) {
  if (!existsSync(dir)) throw new Error(`${dir} is missing: run BENCH_BASELINE=${rev} npm run bench:codec first`);
}
const self = fileURLToPath(import.meta.url);
const opsPerSec = (dir: string, kind: string, op: string): number =>
  JSON.parse(execFileSync(process.execPath, ["--import", "tsx", self, "--child", dir, kind, op], { encoding: "utf8" })).opsPerSec;

const rows: string[][] = [];
const slower: string[] = [];
for (const [kind, op] of COLUMNS) {
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    // Which side goes first alternates, so neither always meets a warmer or colder machine.
    const first = i % 2 === 0 ? current : baseline;
    const a = opsPerSec(first, kind, op);
    const b = opsPerSec(first === current ? baseline : current, kind, op);
    ratios.push(first === current ? a / b : b / a);
  }
  ratios.sort((x, y) => x - y);
  const median = ratios[ratios.length >> 1];
  if (median < 0.95) slower.push(`${kind} ${op}`);
  rows.push([`${kind} ${op}`, `${median.toFixed(3)}×`, `${ratios[0].toFixed(2)}–${ratios.at(-1)!.toFixed(2)}`]);
}
console.log(`streampath ÷ ${baselineLabel(rev)}, ops/s, ${PAIRS} alternating process pairs of ${MS} ms per column (above 1 = the working tree is faster)`);
console.log(formatTable(["", "median ratio", "range"], rows));
console.log(slower.length ? `slower by more than 5 %: ${slower.join(", ")}` : "no column slower by more than 5 %");
