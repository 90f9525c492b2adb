/**
 * Seeded fuzzers for the runtime's parsers and the schema loader.
 *
 * The rule they check: bad input always gets a clear error, a
 * StreampathError with a code, never another exception type, never a hang,
 * never a crash; and what a parser returns holds its documented invariants.
 *
 * Targets: `envelope` (EnvelopeDecoder, against a reference parser, in many
 * chunkings), `control` (parseControl), `end` (parseEnd), `window`
 * (windowOf), `message` (the echo fixture's generated decode and fromJson)
 * and `schema` (loadSchema on mutated copies of two fixture schemas).
 *
 * Every case has its own seed, derived from (seed, target, case index), so a
 * failure is reproduced by its case number alone, whatever ran before it.
 * The cases run in a worker thread (1 MiB stack, as the main thread has,
 * and a capped heap) that publishes the input in progress to shared memory:
 * a case that takes longer than `caseTimeoutMs` is a hang, the worker is
 * terminated and a new one continues with the next case, and a worker that
 * dies (out of memory) is reported the same way. The first failure of each
 * kind is shrunk to a short input that fails the same way (`minimal`).
 *
 * Inputs in the report are text, or `hex:…` for bytes that are not; a long
 * run is written `⟪unit×count⟫` (`⟪[×10000⟫` is 10,000 brackets).
 *
 *   npx tsx --conditions=source test/faults/fuzz.ts [cases] [seed] [targets,..]
 */
import { concatBytes } from "../../runtime/core/bytes.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { EnvelopeDecoder } from "../../runtime/core/envelope.js";
import { Code, StreampathError, codeName } from "../../runtime/core/error.js";
import type { MessageCodec } from "../../runtime/core/message.js";
import { PairHeader, parseControl, parseEnd, windowOf } from "../../runtime/core/pair.js";
import type { Diagnostic, LoadOptions, LoadResult } from "../../generator/index.js";

// ---------------------------------------------------------------- report

export interface FuzzFailure {
  /** The input, hex (`hex:…`) or text, truncated to 300 chars. */
  input: string;
  error: string;
  /** The case's index: `runFuzz` with the same seed regenerates it. */
  case?: number;
  /** The first failure of each kind, shrunk to an input failing the same way. */
  minimal?: string;
}

export interface FuzzTargetReport {
  name: string;
  /** Cases actually run (fewer than asked when the time budget ran out). */
  cases: number;
  failures: FuzzFailure[];
  ms: number;
}

export interface FuzzReport {
  targets: FuzzTargetReport[];
}

export interface FuzzOptions {
  seed: number;
  /** Cases per target; `schema` runs cases/20 (rounded up). */
  cases: number;
  log?: (line: string) => void;
  /** Which targets to run (default: all, in TARGET_NAMES order). */
  targets?: readonly string[];
  /** Wall time per target's cases (after its setup); the loop stops early when it is spent. Default 120 s. */
  budgetMs?: number;
  /** A case running longer than this is a hang (the worker is terminated). Default 5 s. */
  caseTimeoutMs?: number;
}

export const TARGET_NAMES = ["envelope", "control", "end", "window", "message", "schema"] as const;

const INPUT_CHARS = 300;
const DEFAULT_BUDGET_MS = 120_000;
const DEFAULT_CASE_TIMEOUT_MS = 5_000;
/** Limit for anything but a case (worker start, a target's setup): then the worker is stuck. */
const STUCK_MS = 120_000;
const MAX_RESTARTS = 3;
/** Cases run even when the budget is spent: more than each target's corpus. */
const MIN_CASES = 32;

// Shared memory between the worker and its watchdog.
const SEQ = 0; // bumped at every phase change
const PHASE = 1;
const TARGET = 2;
const CASE = 3;
const LENGTH = 4;
const Phase = { Idle: 0, Case: 1, Shrink: 2, Setup: 3 } as const;
const INPUT_BYTES = 4 * INPUT_CHARS + 16;

/** Clips `text` to the report's 300 characters. */
function clip(text: string, max = INPUT_CHARS): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** Failures of one target grouped by kind (numbers ignored), for people to read. */
export function formatFailures(target: FuzzTargetReport, kinds = 8): string {
  const groups = new Map<string, FuzzFailure[]>();
  for (const f of target.failures) {
    const key = signature(f.error);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const lines: string[] = [];
  for (const [, list] of [...groups].slice(0, kinds)) {
    const f = list[0];
    lines.push(`  ${list.length}× ${f.error}`);
    lines.push(`     input (case ${f.case ?? "?"}): ${f.input}`);
    const minimal = list.find((x) => x.minimal !== undefined)?.minimal;
    if (minimal !== undefined && minimal !== f.input) lines.push(`     minimal: ${minimal}`);
  }
  if (groups.size > kinds) lines.push(`  … and ${groups.size - kinds} more kinds`);
  return lines.join("\n");
}

/**
 * A failure's kind, to group and to shrink by: its text up to " — " (what
 * follows is the detail of one case), numbers blurred.
 */
function signature(error: string): string {
  const cut = error.indexOf(" — ");
  return (cut < 0 ? error : error.slice(0, cut)).replace(/0x[0-9a-f]+|\d+/gi, "N").slice(0, 160);
}

// ---------------------------------------------------------------- main thread

interface Job {
  name: string;
  startCase: number;
  /** Absolute (Date.now()) end of the target's budget, once it has started. */
  deadline?: number;
}

interface WorkerInput {
  streampathFuzz: true;
  seed: number;
  cases: number;
  budgetMs: number;
  caseTimeoutMs: number;
  jobs: Job[];
  control: SharedArrayBuffer;
  input: SharedArrayBuffer;
}

type WorkerMessage =
  | { type: "start"; target: string }
  | { type: "budget"; target: string; deadline: number }
  | { type: "failure"; target: string; failure: FuzzFailure }
  | { type: "minimal"; target: string; case: number; minimal: string }
  | { type: "done"; target: string; ran: number }
  | { type: "cleanup"; dir: string }
  | { type: "fatal"; error: string };

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const names = [...(options.targets ?? TARGET_NAMES)];
  for (const name of names) {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) throw new Error(`no fuzz target ${JSON.stringify(name)} (${TARGET_NAMES.join(", ")})`);
  }
  if (!Number.isSafeInteger(options.cases) || options.cases < 0) throw new Error(`cases must be a non-negative integer, got ${options.cases}`);
  const log = options.log ?? (() => {});
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const caseTimeoutMs = options.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  const reports = new Map<string, FuzzTargetReport>(names.map((name) => [name, { name, cases: 0, failures: [], ms: 0 }]));
  const restarts = new Map<string, number>();
  const cleanup = new Set<string>();
  let jobs: Job[] = names.map((name) => ({ name, startCase: 0 }));
  try {
    while (jobs.length > 0) {
      jobs = await runWorker(jobs, options.seed, options.cases, budgetMs, caseTimeoutMs, reports, cleanup, log, restarts);
    }
  } finally {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }
  return { targets: names.map((name) => reports.get(name)!) };
}

/** Runs `jobs` in one worker; resolves with the jobs left when it had to be stopped. */
function runWorker(
  jobs: Job[],
  seed: number,
  cases: number,
  budgetMs: number,
  caseTimeoutMs: number,
  reports: Map<string, FuzzTargetReport>,
  cleanup: Set<string>,
  log: (line: string) => void,
  restarts: Map<string, number>,
): Promise<Job[]> {
  const control = new SharedArrayBuffer(8 * 4);
  const input = new SharedArrayBuffer(INPUT_BYTES);
  const ctl = new Int32Array(control);
  const data: WorkerInput = { streampathFuzz: true, seed, cases, budgetMs, caseTimeoutMs, jobs, control, input };
  const bootstrap = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.tsx)
      .then((api) => { api.register(); return import(workerData.self); })
      .catch((error) => parentPort.postMessage({ type: "fatal", error: String((error && error.stack) || error) }));`;
  const worker = new Worker(bootstrap, {
    eval: true,
    workerData: { ...data, tsx: import.meta.resolve("tsx/esm/api"), self: import.meta.url },
    // The main thread's stack (so recursion fails where it would in a host), and a bounded heap.
    resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 1024 },
  });
  const pending = new Map(jobs.map((job) => [job.name, { ...job }]));
  let current: { name: string; startedAt: number } | undefined;
  let workerError: string | undefined;
  let killed: string | undefined;
  let lastSeq = -1;
  let lastChange = Date.now();

  const account = (name: string) => {
    if (current?.name === name) {
      reports.get(name)!.ms += Date.now() - current.startedAt;
      current = undefined;
    }
  };

  return new Promise<Job[]>((resolve) => {
    const watchdog = setInterval(() => {
      const seq = Atomics.load(ctl, SEQ);
      const now = Date.now();
      if (seq !== lastSeq) {
        lastSeq = seq;
        lastChange = now;
        return;
      }
      const phase = Atomics.load(ctl, PHASE);
      const limit = phase === Phase.Case || phase === Phase.Shrink ? caseTimeoutMs : STUCK_MS;
      if (now - lastChange > limit && killed === undefined) {
        killed = `hang: no result after ${now - lastChange} ms`;
        void worker.terminate();
      }
    }, 50);

    worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "start":
          current = { name: message.target, startedAt: Date.now() };
          break;
        case "budget":
          pending.get(message.target)!.deadline = message.deadline;
          break;
        case "failure":
          reports.get(message.target)!.failures.push(message.failure);
          break;
        case "minimal": {
          const failure = reports.get(message.target)!.failures.find((f) => f.case === message.case);
          if (failure) failure.minimal = message.minimal;
          break;
        }
        case "done": {
          const report = reports.get(message.target)!;
          report.cases += message.ran;
          account(message.target);
          pending.delete(message.target);
          log(`fuzz ${report.name}: ${report.cases} cases, ${report.failures.length} failures, ${report.ms} ms`);
          break;
        }
        case "cleanup":
          cleanup.add(message.dir);
          break;
        case "fatal":
          workerError ??= message.error;
          void worker.terminate();
          break;
      }
    });
    worker.on("error", (error) => {
      workerError ??= `${error.name}: ${error.message}${"code" in error ? ` (${String(error.code)})` : ""}`;
    });
    worker.on("exit", () => {
      clearInterval(watchdog);
      const next = [...pending.values()];
      if (next.length === 0) return resolve([]);
      // The worker stopped early: blame the case in progress, continue after it.
      const job = next[0];
      const report = reports.get(job.name)!;
      const phase = Atomics.load(ctl, PHASE);
      const inCase = (phase === Phase.Case || phase === Phase.Shrink) && TARGET_NAMES[Atomics.load(ctl, TARGET)] === job.name;
      const caseIndex = Atomics.load(ctl, CASE);
      const shown = new TextDecoder().decode(new Uint8Array(input).slice(0, Atomics.load(ctl, LENGTH)));
      const why = killed ?? (workerError ? `crash: ${workerError}` : "crash: the worker exited");
      account(job.name);
      if (inCase) {
        report.cases += caseIndex - job.startCase + 1;
        report.failures.push({
          case: caseIndex,
          input: shown,
          error: phase === Phase.Shrink ? `${why} (an input found while shrinking case ${caseIndex})` : why,
        });
      } else {
        report.failures.push({ input: "(no case: the fuzzer itself)", error: why });
      }
      const count = (restarts.get(job.name) ?? 0) + 1;
      restarts.set(job.name, count);
      log(`fuzz ${job.name}: worker stopped at case ${inCase ? caseIndex : "-"}: ${why.split("\n")[0]}`);
      if (!inCase || count > MAX_RESTARTS) {
        if (inCase) report.failures.push({ input: "(target)", error: `gave up after ${MAX_RESTARTS} restarts` });
        log(`fuzz ${report.name}: ${report.cases} cases, ${report.failures.length} failures, ${report.ms} ms (stopped)`);
        return resolve(next.slice(1));
      }
      resolve([{ ...job, startCase: caseIndex + 1 }, ...next.slice(1)]);
    });
  });
}

// ---------------------------------------------------------------- random

/** mulberry32 with the helpers the generators need. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.u32() / 4294967296;
  }
  /** 0 ≤ n < max. */
  below(max: number): number {
    return Math.floor(this.float() * max);
  }
  /** min ≤ n ≤ max. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

function hashString(s: string): number {
  return hash32(...[...s].map((c) => c.codePointAt(0)!));
}

function caseSeed(seed: number, target: string, index: number): number {
  return hash32(seed, hashString(target), index);
}

// ---------------------------------------------------------------- showing inputs and errors

const hexOf = (b: Uint8Array, max = INPUT_CHARS) => {
  let s = "hex:";
  for (let i = 0; i < b.length && s.length <= max; i++) s += b[i].toString(16).padStart(2, "0");
  return clip(s + (b.length === 0 ? "(empty)" : ""), max);
};
const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** Long runs written `⟪unit×count⟫`, so deeply nested input fits in a report line. */
function compressRuns(text: string): string {
  return text.replace(/([\s\S]{1,8}?)\1{15,}/g, (run, unit: string) => `⟪${unit}×${run.length / unit.length}⟫`);
}

/** Bytes as text when they are UTF-8 without control characters, otherwise hex. */
function showBytes(b: Uint8Array, max = INPUT_CHARS): string {
  let text: string;
  try {
    text = fatalUtf8.decode(b);
  } catch {
    return hexOf(b, max);
  }
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text) || text.length === 0) return hexOf(b, max);
  return clip(compressRuns(text), max);
}

/** A JSON-ish value, serialized only as far as the report shows it (deep values are fine). */
function showValue(value: unknown, max = INPUT_CHARS): string {
  let out = "";
  const put = (s: string) => {
    out += s;
    return out.length <= max;
  };
  const walk = (v: unknown): boolean => {
    // A chain of one-element arrays or one-key objects: `⟪[×depth⟫ inner ⟪]×depth⟫`.
    let depth = 0;
    let inner = v;
    const key = isPlainObject(v) && Object.keys(v).length === 1 ? Object.keys(v)[0] : undefined;
    for (;;) {
      if (key === undefined && Array.isArray(inner) && inner.length === 1) inner = inner[0];
      else if (key !== undefined && isPlainObject(inner) && Object.keys(inner).length === 1 && Object.keys(inner)[0] === key) inner = inner[key];
      else break;
      depth++;
    }
    if (depth >= 16) {
      const open = key === undefined ? "[" : `{${JSON.stringify(key)}:`;
      return put(`⟪${open}×${depth}⟫`) && walk(inner) && put(`⟪${key === undefined ? "]" : "}"}×${depth}⟫`);
    }
    if (v === undefined) return put("undefined");
    if (typeof v === "bigint") return put(`${v}n`);
    if (typeof v === "number") return put(Object.is(v, -0) ? "-0" : String(v));
    if (typeof v === "string") return put(JSON.stringify(v.length > max ? v.slice(0, max) : v));
    if (v instanceof Uint8Array) return put(hexOf(v, 60));
    if (Array.isArray(v)) {
      if (!put("[")) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !put(",")) || !walk(v[i])) return false;
      return put("]");
    }
    if (typeof v === "object" && v !== null) {
      if (!put("{")) return false;
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if ((!first && !put(",")) || !put(JSON.stringify(k) + ":") || !walk(x)) return false;
        first = false;
      }
      return put("}");
    }
    return put(String(v));
  };
  walk(value);
  return clip(out, max);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function describeError(error: unknown): string {
  if (error instanceof StreampathError) return String(error);
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return `a non-Error ${typeof error}: ${String(error)}`;
}

const validCode = (code: unknown) => typeof code === "number" && Number.isInteger(code) && code >= 1 && code <= Code.Unauthenticated;

/** undefined if `error` is a StreampathError with a code; else what is wrong with it. */
function notClear(error: unknown, what: string): string | undefined {
  if (error instanceof StreampathError) {
    return validCode(error.code) ? undefined : `${what} threw a StreampathError with code ${String(error.code)}: ${error.message}`;
  }
  return `${what} threw ${describeError(error)}`;
}

// ---------------------------------------------------------------- mutations

const BOUNDARY_NUMBERS = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x3fffff, 0x400000, 0x7fffffff, 0x80000000,
  0xfffffffe, 0xffffffff,
];

/** Protobuf varint of `n` (as unsigned 64-bit; negatives as two's complement). */
function varint(n: bigint): number[] {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const BOUNDARY_BIGINTS = [0n, 1n, -1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n];

/** The runtime's concatBytes, taking plain arrays of byte values too. */
const concatParts = (...parts: ArrayLike<number>[]): Uint8Array =>
  concatBytes(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));

/** 1–4 byte-level mutations: flips, overwrites, cuts, insertions, duplications, splices, boundary numbers. */
function mutateBytes(rng: Rng, input: Uint8Array, others: readonly Uint8Array[], maxBytes = 1 << 16): Uint8Array {
  let b = input;
  const rounds = rng.int(1, 4);
  for (let round = 0; round < rounds; round++) {
    const n = b.length;
    const at = rng.int(0, n);
    switch (rng.below(12)) {
      case 0: // bit flips
        if (n === 0) break;
        b = b.slice();
        for (let i = rng.int(1, 3); i > 0; i--) b[rng.below(n)] ^= 1 << rng.below(8);
        break;
      case 1: // byte overwrites
        if (n === 0) break;
        b = b.slice();
        for (let i = rng.int(1, 3); i > 0; i--) b[rng.below(n)] = rng.chance(0.5) ? rng.pick([0, 0x7f, 0x80, 0xff, 1, 2, 4]) : rng.below(256);
        break;
      case 2: // truncation
        b = b.slice(0, rng.below(n + 1));
        break;
      case 3: // drop a prefix
        b = b.slice(rng.below(n + 1));
        break;
      case 4: // insert random bytes
        b = concatParts(b.subarray(0, at), rng.bytes(rng.int(1, 8)), b.subarray(at));
        break;
      case 5: { // delete a slice
        const end = rng.int(at, Math.min(n, at + 16));
        b = concatParts(b.subarray(0, at), b.subarray(end));
        break;
      }
      case 6: { // duplicate a slice elsewhere
        const from = rng.below(n + 1);
        const slice = b.slice(from, rng.int(from, Math.min(n, from + 64)));
        b = concatParts(b.subarray(0, at), slice, b.subarray(at));
        break;
      }
      case 7: { // splice with another valid input
        if (others.length === 0) break;
        const other = rng.pick(others);
        b = concatParts(b.subarray(0, at), other.subarray(rng.below(other.length + 1)));
        break;
      }
      case 8: { // a big-endian u32 boundary number over the bytes (an envelope length)
        const v = rng.pick(BOUNDARY_NUMBERS);
        const four = [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
        b = concatParts(b.subarray(0, at), four, b.subarray(Math.min(n, at + (rng.chance(0.5) ? 4 : 0))));
        break;
      }
      case 9: { // a varint boundary number (a protobuf value or length)
        const v = varint(rng.pick(BOUNDARY_BIGINTS));
        b = concatParts(b.subarray(0, at), v, b.subarray(Math.min(n, at + (rng.chance(0.5) ? v.length : 0))));
        break;
      }
      case 10: { // a protobuf tag: any field number, any wire type (groups, 6 and 7 included)
        const field = rng.pick([0, 1, 2, 3, 4, 5, 15, 16, 1000, 19000, 536870911]);
        const tag = varint(BigInt(field) * 8n + BigInt(rng.below(8)));
        b = concatParts(b.subarray(0, at), tag, b.subarray(at));
        break;
      }
      case 11: // overlong varint bytes
        b = concatParts(b.subarray(0, at), new Array(rng.int(1, 11)).fill(rng.pick([0x80, 0xff])), b.subarray(at));
        break;
    }
    if (b.length > maxBytes) b = b.slice(0, maxBytes);
  }
  return b;
}

/** JSON literals at the edges: numbers for counts and ints, and things that are almost numbers. */
const JSON_LITERALS = [
  "0", "-0", "1", "-1", "3", "1.5", "0.0", "1.0", "1e3", "1E400", "-1e400", "1e-400", "5e-324",
  "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
  "9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740992",
  "18446744073709551615", "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
  '"NaN"', '"Infinity"', '"-Infinity"', '"3"', '"1e3"', '" 1"', '"0x10"', '""', '"-"', '"9007199254740993"',
  '"18446744073709551616"', '"-1"', '"__proto__"', '"not_found"', '"ok"', '"code_99"',
  "null", "true", "false", "[]", "{}", "[1]", '["v"]', '[null]', '{"a":1}', '{"toString":0}', '{"valueOf":0}',
];

/** Keys the JSON generators use: the fields each parser reads, and keys objects have anyway. */
const JSON_KEYS = [
  "ack", "limit", "limitBytes", "error", "code", "message", "metadata", "k", "v",
  "text", "repeat", "failWith", "fail_with", "delayMs", "delay_ms", "index", "principal", "header", "seq", "payload",
  "__proto__", "constructor", "toString", "valueOf", "length", "", "0",
];

function randomString(rng: Rng, maxLength = 12): string {
  const n = rng.below(maxLength + 1);
  let s = "";
  for (let i = 0; i < n; i++) {
    switch (rng.below(6)) {
      case 0: s += String.fromCharCode(rng.int(0, 31)); break;
      case 1: s += String.fromCharCode(rng.int(0x80, 0x7ff)); break;
      case 2: s += String.fromCodePoint(rng.int(0x10000, 0x10ffff)); break;
      case 3: s += rng.pick(["\ud800", "\udfff", "\ufffd", "\u2028", "\ufeff", "\\", '"', "=", "+", "/", "-", "_"]); break;
      default: s += String.fromCharCode(rng.int(32, 126));
    }
  }
  return s;
}

/** A random JSON value (as a JS value), nesting up to `depth`. */
function randomJson(rng: Rng, depth = 3): unknown {
  switch (rng.below(depth > 0 ? 9 : 6)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick([0, -0, 1, -1, 1.5, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, 5e-324, -1e-7, Number.MAX_VALUE]);
    case 3: return rng.int(-1000, 100000);
    case 4: return randomString(rng);
    case 5: return JSON.parse(rng.pick(JSON_LITERALS));
    case 6: case 7: {
      const o: Record<string, unknown> = {};
      for (let i = rng.below(4); i > 0; i--) {
        const key = rng.chance(0.8) ? rng.pick(JSON_KEYS) : randomString(rng, 4);
        Object.defineProperty(o, key, { value: randomJson(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
    default: return Array.from({ length: rng.below(4) }, () => randomJson(rng, depth - 1));
  }
}

/** Deeply nested JSON text: arrays, objects or both, at or past the usual limits. */
function deepJsonText(rng: Rng, inner = "1"): string {
  const depth = rng.pick([99, 100, 101, 1000, 10_000, 100_000]);
  switch (rng.below(3)) {
    case 0: return "[".repeat(depth) + inner + "]".repeat(depth);
    case 1: return '{"a":'.repeat(depth) + inner + "}".repeat(depth);
    default: return '[{"k":'.repeat(depth) + inner + "}]".repeat(depth);
  }
}

/** The same nesting as a value, built without recursion. */
function deepJsonValue(rng: Rng, inner: unknown = 1): unknown {
  const depth = rng.pick([99, 100, 101, 1000, 10_000, 100_000]);
  const kind = rng.below(2);
  let v = inner;
  for (let i = 0; i < depth; i++) v = kind === 0 ? [v] : { text: v };
  return v;
}

/** 1–3 text-level mutations of JSON: boundary literals in place of values, cuts, junk, wrappers, splices. */
function mutateJsonText(rng: Rng, input: string, corpus: readonly string[], wrappers: readonly (readonly [string, string])[]): string {
  let s = input;
  const rounds = rng.int(1, 3);
  for (let round = 0; round < rounds; round++) {
    const at = rng.int(0, s.length);
    switch (rng.below(10)) {
      case 0: { // a number token → a boundary literal
        const numbers = [...s.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
        if (numbers.length === 0) break;
        const m = rng.pick(numbers);
        s = s.slice(0, m.index) + rng.pick(JSON_LITERALS) + s.slice(m.index! + m[0].length);
        break;
      }
      case 1: { // a string token → a literal, a random string, or raw junk
        const strings = [...s.matchAll(/"(?:[^"\\]|\\.)*"/g)];
        if (strings.length === 0) break;
        const m = rng.pick(strings);
        const replacement = rng.pick([rng.pick(JSON_LITERALS), JSON.stringify(randomString(rng)), randomString(rng, 4)]);
        s = s.slice(0, m.index) + replacement + s.slice(m.index! + m[0].length);
        break;
      }
      case 2: { // the value after a colon → a random JSON value
        const colons = [...s.matchAll(/:/g)];
        if (colons.length === 0) break;
        const m = rng.pick(colons);
        const rest = s.slice(m.index! + 1);
        const value = /^\s*("(?:[^"\\]|\\.)*"|[^,}\]]*)/.exec(rest)![0];
        s = s.slice(0, m.index! + 1) + JSON.stringify(randomJson(rng, 2)) + rest.slice(value.length);
        break;
      }
      case 3: // delete a slice
        s = s.slice(0, at) + s.slice(rng.int(at, Math.min(s.length, at + 8)));
        break;
      case 4: // insert structure, a literal or junk
        s = s.slice(0, at) + rng.pick([rng.pick(["{", "}", "[", "]", ",", ":", '"', "\\", " ", "\n", "\ufeff"]), rng.pick(JSON_LITERALS), randomString(rng, 3)]) + s.slice(at);
        break;
      case 5: { // duplicate a slice
        const from = rng.below(s.length + 1);
        s = s.slice(0, at) + s.slice(from, rng.int(from, Math.min(s.length, from + 24))) + s.slice(at);
        break;
      }
      case 6: // truncate
        s = s.slice(0, rng.below(s.length + 1));
        break;
      case 7: { // wrap in a container the parser reads
        const [open, close] = rng.pick(wrappers);
        s = open + s + close;
        break;
      }
      case 8: // splice with another corpus entry
        if (corpus.length > 0) {
          const other = rng.pick(corpus);
          s = s.slice(0, at) + other.slice(rng.below(other.length + 1));
        }
        break;
      case 9: // duplicate keys: repeat a "key":value pair
        s = s.replace(/\{("[^"]*":[^,{}]*)/, (_, pair: string) => `{${pair},${pair}`);
        break;
    }
    if (s.length > 1 << 20) s = s.slice(0, 1 << 20);
  }
  return s;
}

// ---------------------------------------------------------------- shrinking

/** Smaller candidates: whole chunks removed, halving the chunk size down to one element. */
function* shrinkSequence<T extends { length: number; slice(start?: number, end?: number): T }>(
  input: T,
  join: (a: T, b: T) => T,
  minChunk = 1,
): Generator<T> {
  const n = input.length;
  for (let size = Math.max(1, n >> 1); size >= minChunk; size >>= 1) {
    for (let start = 0; start < n; start += size) yield join(input.slice(0, start), input.slice(start + size));
    if (size === 1) break;
  }
}

const shrinkBytes = (b: Uint8Array) => shrinkSequence(b, (x, y) => concatParts(x, y));

function* shrinkText(s: string): Generator<string> {
  const lines = s.split("\n");
  if (lines.length > 2) {
    for (const fewer of shrinkSequence(lines, (a, b) => [...a, ...b])) yield fewer.join("\n");
  }
  yield* shrinkSequence(s, (a, b) => a + b);
}

/** Payload bytes shrunk as JSON when they parse, as text when UTF-8 (keeps characters whole), else as bytes. */
function* shrinkPayload(b: Uint8Array): Generator<Uint8Array> {
  let text: string | undefined;
  try {
    text = fatalUtf8.decode(b);
  } catch {
    text = undefined;
  }
  if (text === undefined) return yield* shrinkBytes(b);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return yield* (function* () {
      for (const s of shrinkText(text)) yield utf8.encode(s);
    })();
  }
  const compact = JSON.stringify(json);
  if (compact !== undefined && compact !== text) yield utf8.encode(compact);
  for (const value of shrinkJson(json)) {
    const s = JSON.stringify(value);
    if (s !== undefined) yield utf8.encode(s);
  }
  for (const s of shrinkText(text)) yield utf8.encode(s);
}

function* shrinkJson(value: unknown, depth = 0): Generator<unknown> {
  if (depth > 12) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield [...value.slice(0, i), ...value.slice(i + 1)];
    for (let i = 0; i < value.length; i++) {
      yield value[i];
      for (const c of shrinkJson(value[i], depth + 1)) yield value.map((x, j) => (j === i ? c : x));
    }
  } else if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    const build = (list: [string, unknown][]) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of list) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      return o;
    };
    for (let i = 0; i < entries.length; i++) yield build([...entries.slice(0, i), ...entries.slice(i + 1)]);
    for (let i = 0; i < entries.length; i++) {
      for (const c of shrinkJson(entries[i][1], depth + 1)) yield build(entries.map(([k, v], j) => [k, j === i ? c : v]));
    }
  } else if (typeof value === "string" && value.length > 0) {
    yield* shrinkSequence(value, (a, b) => a + b);
  }
}

// ---------------------------------------------------------------- targets

interface Target<I> {
  readonly name: (typeof TARGET_NAMES)[number];
  /** How many of the requested cases this target runs. */
  count(cases: number): number;
  setup?(): Promise<void>;
  teardown?(): void;
  generate(rng: Rng, index: number): I;
  /** undefined: as it should be; otherwise what went wrong. `rng` picks chunkings and the like. */
  check(input: I, rng: Rng): string | undefined;
  show(input: I): string;
  shrink?(input: I): Iterable<I>;
  /** Time to spend shrinking one failure. */
  shrinkMs?: number;
}

// --- envelope

interface EnvelopeInput {
  kind: "valid" | "mutated" | "huge" | "limit";
  max: number;
  bytes: Uint8Array;
  /** For valid streams: the envelopes they were made of. */
  expected?: { flags: number; data: Uint8Array }[];
}

interface ReferenceEnvelope {
  flags: number;
  data: Uint8Array;
  start: number;
  end: number;
}

interface Reference {
  envelopes: ReferenceEnvelope[];
  /** Where each envelope begins, the incomplete or refused one included. */
  starts: number[];
  /** The first fault: its code and the index of the byte that reveals it (length: at end()). */
  fault?: { code: Code; at: number };
}

/** What the decoder must do with `bytes`, by the protocol's description of envelopes. */
function referenceParse(bytes: Uint8Array, max: number): Reference {
  const envelopes: ReferenceEnvelope[] = [];
  const starts: number[] = [];
  const n = bytes.length;
  let pos = 0;
  while (pos < n) {
    starts.push(pos);
    if (n - pos < 5) return { envelopes, starts, fault: { code: Code.Internal, at: n } };
    const length = bytes[pos + 1] * 0x1000000 + bytes[pos + 2] * 0x10000 + bytes[pos + 3] * 0x100 + bytes[pos + 4];
    if (length > max) return { envelopes, starts, fault: { code: Code.ResourceExhausted, at: pos + 4 } };
    if (n - pos - 5 < length) return { envelopes, starts, fault: { code: Code.Internal, at: n } };
    envelopes.push({ flags: bytes[pos], data: bytes.subarray(pos + 5, pos + 5 + length), start: pos, end: pos + 5 + length });
    pos += 5 + length;
  }
  return { envelopes, starts };
}

/** What `buffered` must say after the first `offset` bytes. */
function bufferedAt(ref: Reference, offset: number): number {
  let start = -1;
  for (const s of ref.starts) if (s <= offset) start = s;
  if (start < 0 || start === offset) return 0;
  const complete = ref.envelopes.find((e) => e.start === start);
  return complete && complete.end <= offset ? 0 : offset - start;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

type ChunkMode = "decode" | "each" | "mixed";
type ChunkKind = "plain" | "offset" | "buffer";

/** Chunk boundaries (ends, non-decreasing; equal ends are empty chunks). */
function chunkings(rng: Rng, n: number, ref: Reference): { name: string; cuts: number[] }[] {
  const upTo = (step: number) => {
    const cuts: number[] = [];
    for (let i = step; i < Math.min(n, 4096); i += step) cuts.push(i);
    cuts.push(n);
    return cuts;
  };
  const random = () => {
    const cuts = Array.from({ length: rng.int(1, 10) }, () => rng.int(0, n));
    if (rng.chance(0.5)) for (const s of ref.starts) cuts.push(Math.min(n, Math.max(0, s + rng.int(-1, 6))));
    cuts.push(n);
    return cuts.sort((a, b) => a - b);
  };
  return [
    { name: "one chunk", cuts: [n] },
    { name: "1-byte chunks", cuts: upTo(1) },
    { name: "2-byte chunks", cuts: upTo(2) },
    { name: "random chunks", cuts: random() },
    { name: "random chunks", cuts: random() },
  ];
}

function makeChunk(bytes: Uint8Array, kind: ChunkKind): Uint8Array {
  if (kind === "buffer") return Buffer.from(bytes); // small ones come from Node's pool: byteOffset ≠ 0
  if (kind === "offset") {
    const backing = new Uint8Array(bytes.length + 7).fill(0xcc);
    backing.set(bytes, 3);
    return backing.subarray(3, 3 + bytes.length);
  }
  return bytes.slice();
}

/** Feeds `bytes` in the given chunks; undefined if the decoder did exactly what `ref` says. */
function feedEnvelopes(input: EnvelopeInput, ref: Reference, cuts: number[], mode: ChunkMode, kind: ChunkKind): string | undefined {
  const { bytes, max } = input;
  const decoder = new EnvelopeDecoder({ maxMessageBytes: max });
  const got: { flags: number; data: Uint8Array }[] = [];
  let error: unknown;
  let thrownAt = -1; // the call that threw: chunk index, or cuts.length for end()
  let thrownInDecode = false;
  let start = 0;
  for (let k = 0; k < cuts.length; k++) {
    const end = cuts[k];
    const chunk = makeChunk(bytes.subarray(start, end), kind);
    const useDecode = mode === "decode" || (mode === "mixed" && k % 2 === 1);
    try {
      if (useDecode) {
        for (const e of decoder.decode(chunk)) {
          if (e.data.constructor !== Uint8Array) return `decode returned data of type ${e.data.constructor.name}, not a plain Uint8Array`;
          got.push({ flags: e.flags, data: e.data.slice() });
        }
      } else {
        decoder.each(chunk, (flags, b, s, e) => {
          if (!(s >= 0 && s <= e && e <= b.length)) throw new Error(`fuzz: each visited bytes[${s}, ${e}) of ${b.length}`);
          got.push({ flags, data: b.slice(s, e) });
        });
      }
    } catch (e) {
      error = e;
      thrownAt = k;
      thrownInDecode = useDecode;
      break;
    }
    // The decoder keeps no reference to a chunk after the call: scribbling on it must change nothing.
    chunk.fill(0xee);
    const buffered = decoder.buffered;
    const want = bufferedAt(ref, end);
    if (buffered !== want) return `buffered differs from the reference — ${buffered} after ${end} bytes, expected ${want}`;
    start = end;
  }
  if (error === undefined) {
    try {
      decoder.end();
    } catch (e) {
      error = e;
      thrownAt = cuts.length;
    }
  }
  if (error !== undefined) {
    const unclear = notClear(error, thrownAt === cuts.length ? "end()" : useName(mode, thrownAt));
    if (unclear) return unclear;
    // After a fault, every call throws the same error.
    for (const again of [() => decoder.decode(new Uint8Array(1)), () => decoder.end()]) {
      try {
        again();
        return "after a fault, a call succeeded";
      } catch (e) {
        if (e !== error) return `after a fault, a call threw ${describeError(e)} instead of the same error`;
      }
    }
  }
  const fault = ref.fault;
  if (fault === undefined && error !== undefined) return `a stream of whole envelopes failed — ${describeError(error)}`;
  if (fault !== undefined && error === undefined) return `no error, expected ${codeName(fault.code)} — at byte ${fault.at}`;
  let expected = ref.envelopes;
  if (fault !== undefined) {
    const code = (error as StreampathError).code;
    if (code !== fault.code) return `threw ${codeName(code)}, expected ${codeName(fault.code)} — ${(error as Error).message}`;
    const wantAt = fault.at === bytes.length ? cuts.length : cuts.findIndex((c) => c > fault.at);
    if (thrownAt !== wantAt) {
      return `threw ${codeName(code)} too late or too early — at call ${thrownAt}, expected at once, at call ${wantAt} (the one feeding byte ${fault.at})`;
    }
    // decode() drops what the failing chunk completed; each() has visited it.
    if (thrownInDecode) {
      const chunkStart = thrownAt === 0 ? 0 : cuts[thrownAt - 1];
      expected = ref.envelopes.filter((e) => e.end <= chunkStart);
    }
  }
  if (got.length !== expected.length) return `the envelopes differ from the reference — ${got.length} envelopes, expected ${expected.length}`;
  for (let i = 0; i < got.length; i++) {
    if (got[i].flags !== expected[i].flags || !sameBytes(got[i].data, expected[i].data)) {
      return `an envelope differs from the reference — envelope ${i} is flags ${got[i].flags}, ${hexOf(got[i].data, 40)}; expected flags ${expected[i].flags}, ${hexOf(expected[i].data, 40)}`;
    }
  }
  return undefined;
}

const useName = (mode: ChunkMode, k: number) => (mode === "decode" || (mode === "mixed" && k % 2 === 1) ? "decode()" : "each()");

function envelopeTarget(): Target<EnvelopeInput> {
  const header = (flags: number, length: number) => [flags, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff];
  const validStream = (rng: Rng, max: number) => {
    const expected: { flags: number; data: Uint8Array }[] = [];
    const parts: number[][] = [];
    for (let i = rng.pick([0, 1, 1, 2, 3, 5, 8]); i > 0; i--) {
      const limit = Math.min(max, 1 << 16);
      const length = Math.min(
        limit,
        rng.chance(0.2) ? 0 : rng.chance(0.03) ? limit : rng.chance(0.1) ? rng.int(300, 5000) : rng.int(1, 300),
      );
      const data = rng.bytes(length);
      const flags = rng.chance(0.6) ? rng.pick([0, 1, 2, 3, 4]) : rng.below(256);
      expected.push({ flags, data });
      parts.push(header(flags, length), [...data]);
    }
    return { bytes: concatParts(...parts), expected };
  };
  const pickMax = (rng: Rng) => rng.pick([0, 1, 5, 16, 100, 255, 1024, 65536, 65536, 4 << 20, 4 << 20]);
  return {
    name: "envelope",
    count: (cases) => cases,
    generate(rng) {
      const r = rng.float();
      const max = pickMax(rng);
      if (r < 0.02) return { kind: "limit", max: rng.pick([NaN, -1, -0, 1.5, Infinity, -Infinity, 2 ** 53, 2 ** 32]), bytes: new Uint8Array(0) };
      if (r < 0.12) {
        // A declared length above the limit: just the header, or after good envelopes, or with a little more.
        const length = rng.pick([max + 1, max + 2, 2 ** 31, 2 ** 32 - 1, Math.min(2 ** 32 - 1, max + rng.int(1, 1 << 30))]);
        const prefix = rng.chance(0.3) ? validStream(rng, max).bytes : new Uint8Array(0);
        const suffix = rng.chance(0.3) ? rng.bytes(rng.int(1, 20)) : new Uint8Array(0);
        return { kind: "huge", max, bytes: concatParts(prefix, header(rng.below(256), length), suffix) };
      }
      const stream = validStream(rng, max);
      if (r < 0.4) return { kind: "valid", max, ...stream };
      const others = [validStream(rng, max).bytes, validStream(rng, max).bytes];
      return { kind: "mutated", max, bytes: mutateBytes(rng, stream.bytes, others) };
    },
    check(input, rng) {
      if (input.kind === "limit") {
        try {
          new EnvelopeDecoder({ maxMessageBytes: input.max });
        } catch (e) {
          return notClear(e, `new EnvelopeDecoder({ maxMessageBytes: ${input.max} })`);
        }
        return Number.isInteger(input.max) && input.max >= 0 ? undefined : `an invalid maxMessageBytes was accepted — ${input.max}`;
      }
      const ref = referenceParse(input.bytes, input.max);
      if (input.expected) {
        const same = !ref.fault && ref.envelopes.length === input.expected.length &&
          ref.envelopes.every((e, i) => e.flags === input.expected![i].flags && sameBytes(e.data, input.expected![i].data));
        if (!same) return "fuzz: the reference parser disagrees with the generator";
      }
      const modes: ChunkMode[] = ["decode", "each", "mixed"];
      const kinds: ChunkKind[] = ["plain", "offset", "buffer"];
      const plans = chunkings(rng, input.bytes.length, ref);
      for (let i = 0; i < plans.length; i++) {
        const mode = i === 0 ? rng.pick(modes) : modes[(i + rng.below(3)) % 3];
        const kind = rng.pick(kinds);
        const problem = feedEnvelopes(input, ref, plans[i].cuts, mode, kind);
        if (problem) return `${problem}${problem.includes(" — ") ? "" : " — "} [max ${input.max}, ${plans[i].name} (${plans[i].cuts.length}), ${mode}, ${kind}]`;
      }
      return undefined;
    },
    show: (input) => clip(`max=${input.max} ${input.kind === "limit" ? "(constructor)" : hexOf(input.bytes)}`),
    *shrink(input) {
      if (input.kind === "limit") return;
      for (const bytes of shrinkBytes(input.bytes)) yield { kind: "mutated", max: input.max, bytes };
    },
  };
}

// --- control

const CONTROL_CORPUS = [
  '{"ack":3,"limit":10,"limitBytes":100}', "{}", '{"ack":0}', '{"limit":16384}', '{"limitBytes":4194304}',
  '{"ack":9007199254740991,"limit":9007199254740991,"limitBytes":9007199254740991}', "", "null", "[]", "3", '"x"', "true",
  '{"ack":-1}', '{"ack":1.5}', '{"ack":"3"}', '{"ack":null}', '{"limit":9007199254740992}', '{"limitBytes":1e400}',
  '{"ack":{"ack":1}}', '{"__proto__":{"ack":-1}}', '{"ack":[3]}', '{"ack":3,"ack":-3}',
];
const CONTROL_WRAPPERS = [["[", "]"], ['{"ack":', "}"], ['{"limit":', "}"], ['{"limitBytes":', ',"ack":1}'], ['{"x":', "}"]] as const;

/** Text payloads for the JSON targets: corpus first, then mutations, random values, random bytes, deep nesting. */
function jsonPayload(
  rng: Rng,
  index: number,
  corpus: readonly string[],
  wrappers: readonly (readonly [string, string])[],
  structured: (rng: Rng) => string,
): Uint8Array {
  if (index < corpus.length) return utf8.encode(corpus[index]);
  const r = rng.float();
  if (r < 0.4) return utf8.encode(mutateJsonText(rng, rng.pick(corpus), corpus, wrappers));
  if (r < 0.55) return utf8.encode(structured(rng));
  if (r < 0.65) return utf8.encode(JSON.stringify(randomJson(rng, 4)));
  if (r < 0.75) return mutateBytes(rng, utf8.encode(rng.pick(corpus)), corpus.map((c) => utf8.encode(c)));
  if (r < 0.82) return rng.bytes(rng.int(0, 64));
  if (r < 0.87) {
    const [open, close] = rng.pick(wrappers);
    return utf8.encode(open + deepJsonText(rng) + close);
  }
  return utf8.encode(mutateJsonText(rng, structured(rng), corpus, wrappers));
}

function controlTarget(): Target<Uint8Array> {
  const count = (rng: Rng) => (rng.chance(0.2) ? "" : rng.chance(0.6) ? rng.pick(JSON_LITERALS) : JSON.stringify(randomJson(rng, 1)));
  const structured = (rng: Rng) => {
    const fields = ["ack", "limit", "limitBytes"].filter(() => rng.chance(0.6)).map((k) => {
      const v = count(rng);
      return v === "" ? "" : `"${k}":${v}`;
    });
    return `{${fields.filter((f) => f !== "").join(",")}}`;
  };
  return {
    name: "control",
    count: (cases) => cases,
    generate: (rng, index) => jsonPayload(rng, index, CONTROL_CORPUS, CONTROL_WRAPPERS, structured),
    check(payload) {
      let control: ReturnType<typeof parseControl>;
      try {
        control = parseControl(payload);
      } catch (e) {
        return notClear(e, "parseControl");
      }
      if (typeof control !== "object" || control === null) return `parseControl returned no object — ${showValue(control, 80)}`;
      for (const key of Object.keys(control)) {
        if (!["ack", "limit", "limitBytes", "joined"].includes(key)) return `parseControl returned an extra field — ${JSON.stringify(key)}`;
      }
      const joined: unknown = (control as { joined?: unknown }).joined;
      if (joined !== undefined && typeof joined !== "boolean") return `parseControl returned a joined that is not a boolean — ${showValue(joined, 80)}`;
      for (const key of ["ack", "limit", "limitBytes"] as const) {
        const v: unknown = control[key];
        if (v !== undefined && !(typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) {
          return `parseControl returned ${key} not a non-negative safe integer — ${key} = ${showValue(v, 80)}`;
        }
      }
      return undefined;
    },
    show: (payload) => showBytes(payload),
    shrink: shrinkPayload,
  };
}

// --- end

const END_CORPUS = [
  "{}", '{"error":{"code":"not_found","message":"x"},"metadata":{"k":["v"]}}', "", "null", "[]", '"x"', "1", "true",
  '{"error":null}', '{"error":"x"}', '{"error":{}}', '{"error":{"code":"bogus"}}', '{"error":{"code":5,"message":7}}',
  '{"metadata":[1]}', '{"metadata":{"k":"v"}}', '{"metadata":{"k":[1]}}', '{"metadata":null}', '{"metadata":{"__proto__":["v"]}}',
  '{"error":{"code":"internal","message":"a\\u0000b"},"metadata":{"a":["1","2"],"b":[]}}',
];
const END_WRAPPERS = [
  ["[", "]"], ['{"error":', "}"], ['{"error":{"code":"internal","message":', "}}"], ['{"error":{"code":', ',"message":"m"}}'],
  ['{"metadata":', "}"], ['{"metadata":{"k":', "}}"], ['{"metadata":{"k":[', "]}}"],
] as const;

/** A record of string arrays, as parseEnd promises. */
function metadataProblem(metadata: unknown): string | undefined {
  const problem = "metadata that is not a record of string arrays — ";
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return `${problem}metadata is ${showValue(metadata, 80)}`;
  for (const [key, values] of Object.entries(metadata)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === "string")) {
      return `${problem}metadata[${JSON.stringify(key)}] is ${showValue(values, 80)}`;
    }
  }
  return undefined;
}

function endTarget(): Target<Uint8Array> {
  const structured = (rng: Rng) => {
    const parts: string[] = [];
    if (rng.chance(0.7)) {
      const error = rng.chance(0.7)
        ? `{"code":${rng.chance(0.6) ? JSON.stringify(rng.pick(["not_found", "internal", "ok", "canceled", "cancelled", "unknown", "code_99", "NOT_FOUND"])) : JSON.stringify(randomJson(rng, 2))},"message":${JSON.stringify(randomJson(rng, 2))}}`
        : JSON.stringify(randomJson(rng, 2));
      parts.push(`"error":${error}`);
    }
    if (rng.chance(0.7)) {
      const metadata = rng.chance(0.5)
        ? JSON.stringify(Object.fromEntries(Array.from({ length: rng.int(0, 3) }, () => [randomString(rng, 4), rng.chance(0.7) ? [randomString(rng, 4)] : randomJson(rng, 2)])))
        : JSON.stringify(randomJson(rng, 2));
      parts.push(`"metadata":${metadata}`);
    }
    return `{${parts.join(",")}}`;
  };
  return {
    name: "end",
    count: (cases) => cases,
    generate: (rng, index) => jsonPayload(rng, index, END_CORPUS, END_WRAPPERS, structured),
    check(payload) {
      let end: ReturnType<typeof parseEnd>;
      try {
        end = parseEnd(payload);
      } catch (e) {
        return notClear(e, "parseEnd");
      }
      if (typeof end !== "object" || end === null) return `parseEnd returned no object — ${showValue(end, 80)}`;
      for (const key of Object.keys(end)) if (key !== "error" && key !== "metadata") return `parseEnd returned an extra field — ${JSON.stringify(key)}`;
      const error: unknown = end.error;
      if (error !== undefined) {
        if (!(error instanceof StreampathError)) return `parseEnd returned an error that is not a StreampathError — ${showValue(error, 80)}`;
        // (Code 0 passes: a peer's "ok" names a code, if an odd one for an error.)
        if (!validCode(error.code) && error.code !== Code.Ok) return `parseEnd returned an error without a valid code — ${String(error.code)}`;
        if (typeof error.message !== "string") return "parseEnd returned an error whose message is not a string";
      }
      const problem = metadataProblem(end.metadata);
      return problem ? `parseEnd returned ${problem}` : undefined;
    },
    show: (payload) => showBytes(payload),
    shrink: shrinkPayload,
  };
}

// --- window

interface WindowInput {
  messages: string | undefined;
  bytes: string | undefined;
}

function windowTarget(): Target<WindowInput> {
  const values = [
    "0", "1", "-1", "16384", "4194304", "1.5", "1.0", "1e3", "1e21", "0x10", "0b11", "0o7", "+5", " 5", "5 ", "\t5\n", "", " ",
    "NaN", "Infinity", "-Infinity", "+Infinity", "2147483648", "4294967295", "4294967296", "9007199254740991",
    "9007199254740992", "9007199254740993", "18446744073709551616", "1e400", "-0", "0.5", "00", "012", "1_000", "١٢",
    "５", "null", "undefined", "true", "[]", "{}", "5,6", "5, 6", "1e-7",
  ];
  const header = (rng: Rng): string | undefined => {
    switch (rng.below(6)) {
      case 0: return undefined;
      case 1: case 2: return rng.pick(values);
      case 3: return String(rng.chance(0.5) ? rng.int(-10, 100000) : rng.float() * 2 ** rng.int(0, 70));
      case 4: return Array.from({ length: rng.int(1, 25) }, () => rng.below(10)).join("");
      default: return rng.chance(0.5) ? randomString(rng, 6) : rng.pick(values) + rng.pick(["", " ", "x", "0", ".", "e", "e5"]);
    }
  };
  return {
    name: "window",
    count: (cases) => cases,
    generate: (rng) => ({ messages: header(rng), bytes: header(rng) }),
    check(input) {
      let window: ReturnType<typeof windowOf>;
      try {
        window = windowOf((name) => (name === PairHeader.window ? input.messages : name === PairHeader.windowBytes ? input.bytes : undefined));
      } catch (e) {
        return `windowOf threw ${describeError(e)}`;
      }
      if (window === undefined) return undefined;
      const positive = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
      if (!positive(window.messages)) {
        return `windowOf returned messages that is not a positive safe integer — ${showValue(window.messages)} for ${showValue(input.messages)}`;
      }
      if (input.bytes === undefined) {
        if (window.bytes !== Infinity) return `windowOf returned a byte limit with no byte header — ${showValue(window.bytes)}`;
      } else if (!positive(window.bytes)) {
        return `windowOf returned bytes that is not a positive safe integer — ${showValue(window.bytes)} for the byte header ${JSON.stringify(input.bytes)}`;
      }
      return undefined;
    },
    show: (input) => clip(`${PairHeader.window}: ${showValue(input.messages, 130)}, ${PairHeader.windowBytes}: ${showValue(input.bytes, 130)}`),
    *shrink(input) {
      if (input.messages !== undefined) {
        yield { ...input, messages: "1" };
        for (const messages of shrinkSequence(input.messages, (a, b) => a + b)) yield { ...input, messages };
      }
      if (input.bytes !== undefined) for (const bytes of shrinkSequence(input.bytes, (a, b) => a + b)) yield { ...input, bytes };
    },
  };
}

// --- message

type EchoTypeName = "EchoRequest" | "EchoReply" | "Event";
type MessageInput =
  | { type: EchoTypeName; op: "decode"; bytes: Uint8Array }
  | { type: EchoTypeName; op: "fromJson"; value: unknown; ignoreUnknownFields: boolean };

/** A string as UTF-8 can carry it: lone surrogates become U+FFFD. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

/**
 * Structural equality for messages: numbers, bigints, bytes, and strings up
 * to lone surrogates (fromJson keeps them, encoding makes them U+FFFD).
 */
/** Deep equality of messages; `withoutUnknown` leaves out kept unknown fields, which JSON does not carry. */
function sameMessage(a: unknown, b: unknown, withoutUnknown = false): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return sameBytes(a, b);
  if (typeof a === "string" && typeof b === "string") return a === b || wellFormed(a) === wellFormed(b);
  if (typeof a === "number" && typeof b === "number") return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = (o: object) => Object.keys(o).filter((k) => !(withoutUnknown && k === "$unknown"));
    const ka = keys(a);
    const kb = keys(b);
    return ka.length === kb.length && ka.every((k) => sameMessage((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], withoutUnknown));
  }
  return a === b;
}

function messageTarget(): Target<MessageInput> {
  let codecs: Record<EchoTypeName, MessageCodec<any>> | undefined;
  const types: EchoTypeName[] = ["EchoRequest", "EchoReply", "Event"];
  const int32 = (rng: Rng) => (rng.chance(0.3) ? 0 : rng.chance(0.5) ? rng.pick([1, -1, 2147483647, -2147483648, 127, 128, 300]) : rng.int(-100000, 100000));
  const randomMessage = (rng: Rng, type: EchoTypeName): any => {
    const text = () => (rng.chance(0.3) ? "" : randomString(rng, rng.chance(0.1) ? 300 : 16));
    switch (type) {
      case "EchoRequest": return { text: text(), repeat: int32(rng), failWith: int32(rng), delayMs: int32(rng) };
      case "EchoReply": return { text: text(), index: int32(rng), principal: text(), header: text() };
      case "Event": return { seq: rng.chance(0.3) ? 0n : BigInt.asUintN(64, rng.pick(BOUNDARY_BIGINTS) + BigInt(rng.int(-2, 2))), payload: rng.bytes(rng.chance(0.3) ? 0 : rng.int(1, 64)) };
    }
  };
  const fieldValues = (): unknown[] => [
    "NaN", "Infinity", "1e3", "1.0", "1.5", " 1", "0x10", "", "-", "-0", "+1", "1e400", "AAAA", "AA=", "A", "====", "-_-_", "a b",
    "18446744073709551615", "18446744073709551616", "-1", "9223372036854775808", "01", "9".repeat(1000), "9".repeat(100_000),
    2147483647, 2147483648, -2147483649, 4294967295, 2 ** 53, 2 ** 53 + 2, -0, 1.5, 1e308, 5e-324, true, false, null, [], {}, [1], { text: "x" },
  ];
  return {
    name: "message",
    count: (cases) => cases,
    async setup() {
      const host = await import("../helpers/host.js");
      const echo = await host.loadEcho();
      parentPort?.postMessage({ type: "cleanup", dir: await host.echoGeneratedDir() } satisfies WorkerMessage);
      codecs = { EchoRequest: echo.EchoRequest, EchoReply: echo.EchoReply, Event: echo.Event };
    },
    generate(rng) {
      const type = rng.pick(types);
      const codec = codecs![type];
      if (rng.chance(0.55)) {
        const r = rng.float();
        const valid = codec.encode(randomMessage(rng, type));
        if (r < 0.1) return { type, op: "decode", bytes: rng.bytes(rng.int(0, 40)) };
        if (r < 0.2) {
          // Another type's encoding.
          const other = rng.pick(types);
          return { type, op: "decode", bytes: codecs![other].encode(randomMessage(rng, other)) };
        }
        const others = types.map((t) => codecs![t].encode(randomMessage(rng, t)));
        return { type, op: "decode", bytes: mutateBytes(rng, valid, others) };
      }
      const ignoreUnknownFields = rng.chance(0.3);
      const r = rng.float();
      if (r < 0.08) return { type, op: "fromJson", value: randomJson(rng, 3), ignoreUnknownFields };
      if (r < 0.13) return { type, op: "fromJson", value: deepJsonValue(rng, rng.chance(0.5) ? {} : 1), ignoreUnknownFields };
      const json = codec.toJson(randomMessage(rng, type)) as Record<string, unknown>;
      if (r < 0.25) {
        // A text mutation of the JSON, when it still parses.
        const text = mutateJsonText(rng, JSON.stringify(json), [], [["[", "]"], ['{"text":', "}"], ['{"seq":', "}"]]);
        try {
          return { type, op: "fromJson", value: JSON.parse(text), ignoreUnknownFields };
        } catch {
          return { type, op: "fromJson", value: text, ignoreUnknownFields };
        }
      }
      const value: Record<string, unknown> = { ...json };
      const keys = ["text", "repeat", "failWith", "fail_with", "delayMs", "delay_ms", "index", "principal", "header", "seq", "payload"];
      for (let i = rng.int(1, 3); i > 0; i--) {
        const key = rng.chance(0.8) ? rng.pick(keys) : rng.pick(JSON_KEYS);
        const v = rng.chance(0.6) ? rng.pick(fieldValues()) : rng.chance(0.5) ? randomJson(rng, 2) : deepJsonValue(rng);
        Object.defineProperty(value, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return { type, op: "fromJson", value: rng.chance(0.05) ? [value] : value, ignoreUnknownFields };
    },
    check(input) {
      const codec = codecs![input.type];
      const what = input.op === "decode" ? `${input.type}.decode` : `${input.type}.fromJson`;
      let message: unknown;
      try {
        message = input.op === "decode" ? codec.decode(input.bytes) : codec.fromJson(input.value, { ignoreUnknownFields: input.ignoreUnknownFields });
      } catch (e) {
        return notClear(e, what);
      }
      // What a parser accepts must be a message: it encodes, and comes back the same both ways.
      let step = "encode";
      try {
        const bytes = codec.encode(message);
        step = "decode(encode(m))";
        const again = codec.decode(bytes);
        if (!sameMessage(again, message)) return `${what} returned a message that re-encodes differently — ${showValue(message, 100)} → ${showValue(again, 100)}`;
        step = "toJson";
        const json = codec.toJson(message);
        step = "fromJson(toJson(m))";
        const viaJson = codec.fromJson(json);
        if (!sameMessage(viaJson, message, true)) return `${what} returned a message that goes through JSON differently — ${showValue(message, 100)} → ${showValue(viaJson, 100)}`;
      } catch (e) {
        return `${what} returned a message on which ${step} threw ${describeError(e)} — ${showValue(message, 100)}`;
      }
      return undefined;
    },
    show: (input) => clip(input.op === "decode"
      ? `${input.type}.decode ${hexOf(input.bytes)}`
      : `${input.type}.fromJson${input.ignoreUnknownFields ? " (ignoreUnknownFields)" : ""} ${showValue(input.value)}`),
    *shrink(input) {
      if (input.op === "decode") for (const bytes of shrinkBytes(input.bytes)) yield { ...input, bytes };
      else for (const value of shrinkJson(input.value)) yield { ...input, value };
    },
  };
}

// --- schema

const SCHEMA_FILES = ["host/echo.proto", "guest/worker.proto"] as const;
type SchemaFile = (typeof SCHEMA_FILES)[number];

interface SchemaInput {
  sources: Record<SchemaFile, string>;
  load: SchemaFile[];
  /** What was done to the fixtures; empty once shrunk (then the sources are shown). */
  ops: string[];
}

const TOKEN = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][\w.]*|\d[\w.]*|\s+|./g;
const SCHEMA_TOKENS = [
  "syntax", "=", '"proto2"', '"proto3"', '"proto4"', "package", "import", "public", "weak", '"host/echo.proto"', '"guest/worker.proto"',
  '"streampath/options.proto"', '"google/protobuf/timestamp.proto"', '"google/protobuf/descriptor.proto"', '"missing.proto"', '""',
  "message", "enum", "service", "rpc", "stream", "returns", "option", "oneof", "map", "<", ">", ",", "repeated", "optional", "required",
  "reserved", "extensions", "extend", "to", "max", "group", ";", "{", "}", "(", ")", "[", "]", ".", "-", "0", "-1", "1", "15", "19000",
  "536870911", "536870912", "2147483648", "0x7fffffff", "1e3", "inf", "nan", "int32", "uint64", "bytes", "string", "bool", "double",
  "test.echo.EchoRequest", ".test.echo.Echo", "test.guest.Reader", "EchoRequest", "(streampath.role)", "(streampath.depends_on)",
  "READ", "WRITE", "VIEW", "HOST", "true", "default", "json_name", "deprecated", "packed", "/*", "*/", "//", '"', "'", "\\", "\u00e9", "\u0000",
];

function schemaTarget(): Target<SchemaInput> {
  let load: ((options: LoadOptions) => LoadResult) | undefined;
  let dir: string | undefined;
  let originals: Record<SchemaFile, string>;
  const lineCol = (s: string, at: number) => {
    const before = s.slice(0, at).split("\n");
    return `${before.length}:${before[before.length - 1].length + 1}`;
  };
  const mutate = (rng: Rng, file: SchemaFile, source: string, ops: string[]): string => {
    let s = source;
    for (let round = rng.int(1, 3); round > 0; round--) {
      const tokens = s.match(TOKEN) ?? [];
      const solid = tokens.map((t, i) => [t, i] as const).filter(([t]) => !/^\s/.test(t));
      const offsetOf = (i: number) => tokens.slice(0, i).join("").length;
      const name = file.split("/")[1];
      const op = rng.below(9);
      if (solid.length === 0 && op < 5) continue;
      const [token, i] = solid.length > 0 ? rng.pick(solid) : ["", 0];
      switch (op) {
        case 0:
          ops.push(`${name}: delete ${JSON.stringify(token)} at ${lineCol(s, offsetOf(i))}`);
          tokens[i] = "";
          break;
        case 1:
          ops.push(`${name}: duplicate ${JSON.stringify(token)} at ${lineCol(s, offsetOf(i))}`);
          tokens[i] = token + " " + token;
          break;
        case 2: {
          const [other, j] = rng.pick(solid);
          ops.push(`${name}: swap ${JSON.stringify(token)} at ${lineCol(s, offsetOf(i))} with ${JSON.stringify(other)} at ${lineCol(s, offsetOf(j))}`);
          tokens[i] = other;
          tokens[j] = token;
          break;
        }
        case 3: case 4: {
          const replacement = rng.chance(0.6) ? rng.pick(SCHEMA_TOKENS) : rng.pick(solid)[0];
          ops.push(`${name}: replace ${JSON.stringify(token)} at ${lineCol(s, offsetOf(i))} with ${JSON.stringify(replacement)}`);
          tokens[i] = replacement;
          break;
        }
        case 5: {
          const at = rng.below(s.length + 1);
          const junk = rng.chance(0.5) ? rng.pick(SCHEMA_TOKENS) : randomString(rng, 3);
          ops.push(`${name}: insert ${JSON.stringify(junk)} at ${lineCol(s, at)}`);
          s = s.slice(0, at) + junk + s.slice(at);
          continue;
        }
        case 6: {
          const at = rng.below(s.length + 1);
          ops.push(`${name}: truncate at ${lineCol(s, at)}`);
          s = s.slice(0, at);
          continue;
        }
        case 7: {
          const lines = s.split("\n");
          const l = rng.below(lines.length);
          const dup = rng.chance(0.5);
          ops.push(`${name}: ${dup ? "duplicate" : "delete"} line ${l + 1} ${JSON.stringify(clip(lines[l], 60))}`);
          lines.splice(l, dup ? 0 : 1, ...(dup ? [lines[l]] : []));
          s = lines.join("\n");
          continue;
        }
        default: {
          const numbers = solid.filter(([t]) => /^\d/.test(t));
          if (numbers.length === 0) continue;
          const [n, j] = rng.pick(numbers);
          const value = rng.pick(["0", "1", "2", "15", "16", "19000", "19999", "536870911", "536870912", "2147483647", "4294967296", "9007199254740993", "-1", "0x1", "1.5", "01"]);
          ops.push(`${name}: number ${n} at ${lineCol(s, offsetOf(j))} → ${value}`);
          tokens[j] = value;
        }
      }
      s = tokens.join("");
    }
    return s;
  };
  return {
    name: "schema",
    count: (cases) => Math.max(1, Math.ceil(cases / 20)),
    shrinkMs: 3000,
    async setup() {
      ({ loadSchema: load } = await import("../../generator/index.js"));
      const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");
      originals = { "host/echo.proto": "", "guest/worker.proto": "" };
      for (const file of SCHEMA_FILES) originals[file] = readFileSync(path.join(fixtures, file), "utf8");
      dir = mkdtempSync(path.join(os.tmpdir(), "streampath-fuzz-"));
      parentPort?.postMessage({ type: "cleanup", dir } satisfies WorkerMessage);
      for (const file of SCHEMA_FILES) mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    },
    teardown() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    generate(rng, index) {
      const ops: string[] = [];
      const sources = { ...originals };
      const r = rng.float();
      const which: SchemaFile[] = index === 0 ? [] : r < 0.4 ? ["host/echo.proto"] : r < 0.8 ? ["guest/worker.proto"] : [...SCHEMA_FILES];
      for (const file of which) sources[file] = mutate(rng, file, sources[file], ops);
      const l = rng.float();
      const loaded: SchemaFile[] = l < 0.7 ? [...SCHEMA_FILES] : l < 0.85 ? ["guest/worker.proto"] : ["host/echo.proto"];
      return { sources, load: loaded, ops: ops.length > 0 ? ops : ["(the fixtures as they are)"] };
    },
    check(input) {
      for (const file of SCHEMA_FILES) writeFileSync(path.join(dir!, file), input.sources[file]);
      const started = performance.now();
      let result: LoadResult;
      try {
        result = load!({ files: input.load.map((f) => path.join(dir!, f)), includePaths: [dir!], cwd: dir! });
      } catch (e) {
        return `loadSchema threw ${describeError(e)}`;
      }
      const ms = performance.now() - started;
      if (ms > DEFAULT_CASE_TIMEOUT_MS) return `loadSchema took over ${DEFAULT_CASE_TIMEOUT_MS} ms — ${Math.round(ms)} ms`;
      if (!result || !Array.isArray(result.diagnostics)) return "loadSchema returned no diagnostics list";
      if (result.diagnostics.length > 0 && result.model !== undefined) return "loadSchema returned a model and diagnostics";
      if (result.diagnostics.length === 0 && result.model === undefined) return "loadSchema returned neither a model nor diagnostics";
      for (const d of result.diagnostics as Diagnostic[]) {
        const where = `${String(d.file)}:${String(d.line)}:${String(d.column)}`;
        const shown = `${where}: ${clip(String(d.message), 100)} [${String(d.rule)}]`;
        if (typeof d.file !== "string" || d.file === "" || !Number.isInteger(d.line) || d.line < 1 || !Number.isInteger(d.column) || d.column < 1) {
          return `a diagnostic without a file:line:col location — ${shown}`;
        }
        if (typeof d.message !== "string" || d.message === "" || typeof d.rule !== "string" || d.rule === "") {
          return `a diagnostic without a message or rule — ${shown}`;
        }
        const source = (SCHEMA_FILES as readonly string[]).includes(d.file) ? input.sources[d.file as SchemaFile] : undefined;
        if (source !== undefined) {
          const lines = source.split("\n");
          if (d.line > lines.length + 1 || d.column > (lines[d.line - 1] ?? "").length + 2) {
            return `a diagnostic located outside its file — ${lines.length} lines: ${shown}`;
          }
        }
      }
      // 1:1 is also where the loader puts what it cannot locate. Blank line 1 and load
      // again: a problem that is still reported at 1:1 was never on line 1.
      for (const d of result.diagnostics) {
        if (d.line !== 1 || d.column !== 1 || d.rule === "file" || !(SCHEMA_FILES as readonly string[]).includes(d.file)) continue;
        const file = d.file as SchemaFile;
        const blanked = input.sources[file].replace(/^[^\n]*/, "");
        if (blanked === input.sources[file]) continue;
        writeFileSync(path.join(dir!, file), blanked);
        let again: LoadResult;
        try {
          again = load!({ files: input.load.map((f) => path.join(dir!, f)), includePaths: [dir!], cwd: dir! });
        } catch (e) {
          return `loadSchema threw ${describeError(e)} — with line 1 of ${file} blanked`;
        } finally {
          writeFileSync(path.join(dir!, file), input.sources[file]);
        }
        if (again.diagnostics.some((x) => x.file === d.file && x.line === 1 && x.column === 1 && x.rule === d.rule && x.message === d.message)) {
          const kind = d.message.replace(/'[^']*'|"[^"]*"/g, "'…'").replace(/\b[\w.]+\.\w+\b/g, "…").replace(/ in (\w+) [\w.]+/g, " in $1 …");
          const shown = `${d.file}:1:1: ${clip(d.message, 100)} [${d.rule}]`;
          return `a ${d.rule} diagnostic at the fallback location 1:1, not where the problem is: ${clip(kind, 60)} — ${shown}`;
        }
      }
      return undefined;
    },
    show(input) {
      if (input.ops.length > 0) return clip(`load ${input.load.join(" ")}; ${input.ops.join("; ")}`);
      const changed = SCHEMA_FILES.filter((f) => input.sources[f] !== originals[f]);
      return clip(`load ${input.load.join(" ")}; ${changed.map((f) => `${f} = ${JSON.stringify(input.sources[f])}`).join("; ")}`);
    },
    *shrink(input) {
      for (const file of SCHEMA_FILES) {
        if (input.sources[file] === originals[file] && !input.load.includes(file)) continue;
        for (const s of shrinkText(input.sources[file])) yield { ...input, ops: [], sources: { ...input.sources, [file]: s } };
      }
    },
  };
}

// ---------------------------------------------------------------- worker

function targetsByName(): Record<(typeof TARGET_NAMES)[number], Target<any>> {
  return {
    envelope: envelopeTarget(),
    control: controlTarget(),
    end: endTarget(),
    window: windowTarget(),
    message: messageTarget(),
    schema: schemaTarget(),
  };
}

async function workerMain(data: WorkerInput): Promise<void> {
  const port = parentPort!;
  const ctl = new Int32Array(data.control);
  const inputBytes = new Uint8Array(data.input);
  const post = (message: WorkerMessage) => port.postMessage(message);
  const enter = (phase: number, target: number, index: number, shown: string) => {
    const { written } = utf8.encodeInto(shown, inputBytes);
    Atomics.store(ctl, LENGTH, written);
    Atomics.store(ctl, TARGET, target);
    Atomics.store(ctl, CASE, index);
    Atomics.store(ctl, PHASE, phase);
    Atomics.add(ctl, SEQ, 1);
  };
  const leave = () => {
    Atomics.store(ctl, PHASE, Phase.Idle);
    Atomics.add(ctl, SEQ, 1);
  };
  const targets = targetsByName();
  for (const job of data.jobs) {
    const target = targets[job.name as keyof typeof targets];
    const targetIndex = TARGET_NAMES.indexOf(target.name);
    post({ type: "start", target: target.name });
    enter(Phase.Setup, targetIndex, -1, "(setup)");
    try {
      await target.setup?.();
    } catch (e) {
      leave();
      post({ type: "failure", target: target.name, failure: { input: "(setup)", error: `the fuzzer's setup failed: ${describeError(e)}` } });
      post({ type: "done", target: target.name, ran: 0 });
      continue;
    }
    leave();
    // The budget starts after the setup (and goes on across restarts); the first cases,
    // the corpus of each target, run whatever the budget.
    const deadline = job.deadline ?? Date.now() + data.budgetMs;
    post({ type: "budget", target: target.name, deadline });
    const total = target.count(data.cases);
    const always = Math.min(total, MIN_CASES);
    const shrunk = new Set<string>();
    let ran = 0;
    for (let index = job.startCase; index < total && (index < always || Date.now() < deadline); index++) {
      const seed = caseSeed(data.seed, target.name, index);
      const rng = new Rng(seed);
      let input: unknown;
      let shown = "(not generated)";
      let problem: string | undefined;
      const started = performance.now();
      try {
        input = target.generate(rng, index);
        shown = target.show(input);
        enter(Phase.Case, targetIndex, index, shown);
        problem = target.check(input, rng);
      } catch (e) {
        problem = `the fuzzer failed: ${describeError(e)}`;
      }
      const ms = performance.now() - started;
      leave();
      ran++;
      if (problem === undefined && ms > data.caseTimeoutMs) problem = `slow: a case took over ${data.caseTimeoutMs} ms — ${Math.round(ms)} ms`;
      if (problem === undefined) continue;
      post({ type: "failure", target: target.name, failure: { case: index, input: shown, error: problem } });
      const kind = signature(problem);
      if (!target.shrink || shrunk.has(kind) || shrunk.size >= 10 || input === undefined) continue;
      shrunk.add(kind);
      // Shrink: keep removing parts while the input fails the same way, within a time budget.
      let best = input;
      let bestShown = shown;
      const until = performance.now() + (target.shrinkMs ?? 500);
      let attempts = 0;
      try {
        for (let improved = true; improved && performance.now() < until; ) {
          improved = false;
          for (const candidate of target.shrink(best)) {
            if (performance.now() >= until || ++attempts > 20_000) break;
            const candidateShown = target.show(candidate);
            enter(Phase.Shrink, targetIndex, index, candidateShown);
            let result: string | undefined;
            try {
              result = target.check(candidate, new Rng(seed ^ 0x5a5a5a5a));
            } catch (e) {
              result = `the fuzzer failed: ${describeError(e)}`;
            }
            leave();
            if (result !== undefined && signature(result) === kind) {
              best = candidate;
              bestShown = candidateShown;
              improved = true;
              break;
            }
          }
        }
      } catch {
        // A shrinker that cannot go on (a value too deep to walk): keep what it had.
        leave();
      }
      if (best !== input) post({ type: "minimal", target: target.name, case: index, minimal: bestShown });
    }
    target.teardown?.();
    post({ type: "done", target: target.name, ran });
  }
}

if (!isMainThread && (workerData as Partial<WorkerInput> | undefined)?.streampathFuzz) {
  workerMain(workerData as WorkerInput).catch((error: unknown) => {
    parentPort!.postMessage({ type: "fatal", error: String((error instanceof Error && error.stack) || error) } satisfies WorkerMessage);
  });
}

// ---------------------------------------------------------------- command line

if (isMainThread && process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [casesArg, seedArg, targetsArg] = process.argv.slice(2);
  const cases = casesArg === undefined ? 1000 : Number(casesArg);
  const seed = seedArg === undefined ? 0x5eed : Number(seedArg);
  if (!Number.isSafeInteger(cases) || cases < 0 || !Number.isSafeInteger(seed)) {
    console.error("usage: fuzz.ts [cases] [seed] [target,target,…]");
    process.exit(2);
  }
  const started = Date.now();
  const report = await runFuzz({ seed, cases, targets: targetsArg?.split(","), log: (line) => console.log(line) });
  let failed = false;
  for (const target of report.targets) {
    if (target.failures.length === 0) continue;
    failed = true;
    console.log(`\n${target.name}: ${target.failures.length} failures`);
    console.log(formatFailures(target));
  }
  console.log(`\nseed ${seed} (0x${seed.toString(16)}), ${cases} cases per target, ${Date.now() - started} ms`);
  process.exitCode = failed ? 1 : 0;
}
