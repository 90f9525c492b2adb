/**
 * Shared pieces of the fault harness (test/faults/run.ts): the report every
 * part prints its figures and checks into, the guest's fetch (one place to
 * choose it), a TLS echo host built from the generated Echo descriptor with
 * the part's own handlers, host-side counters, resource snapshots, and
 * bounded waits that tell the global watchdog what they are waiting for.
 */
import { existsSync, readdirSync } from "node:fs";
import type http2 from "node:http2";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { Agent, fetch as undiciFetch } from "undici";
import { Code, StreampathError, codeName } from "../../runtime/core/index.js";
import type { Fetch } from "../../runtime/guest/index.js";
import { type Authenticate, type Host, type HostLimits, type PairOptions, createHost, implement } from "../../runtime/host/index.js";
// selfSigned as test/helpers/browser.ts re-exports it, without loading playwright and esbuild.
import { selfSigned } from "../helpers/tls.js";
import { type EchoModule, loadEcho } from "../helpers/host.js";

export { selfSigned, loadEcho, type EchoModule };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");

// ------------------------------------------------------------------ report

export interface Check {
  name: string;
  ok: boolean;
  figures: string[];
}

/** What a part prints: figure lines as they come, and named checks (each with the figures behind it). */
export class Report {
  readonly checks: Check[] = [];

  constructor(
    readonly part: string,
    private readonly log: (line: string) => void,
  ) {}

  /** One figure line: `part: name: value`. */
  figure(name: string, value: unknown): void {
    this.log(`  ${this.part}: ${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }

  line(text: string): void {
    this.log(`  ${this.part}: ${text}`);
  }

  /** A named check; its name states the expected behaviour, `figures` what was measured. */
  check(name: string, ok: boolean, figures: string | string[]): boolean {
    const list = Array.isArray(figures) ? figures : [figures];
    this.checks.push({ name, ok, figures: list });
    this.log(`  ${ok ? "PASS" : "FAIL"} ${name}${list.length ? ` — ${list.join("; ")}` : ""}`);
    return ok;
  }
}

// --------------------------------------------------- what the run waits on

/** Phases and waits in progress, printed by the global watchdog when the run exceeds its budget. */
export const progress = {
  phase: "starting",
  waits: new Map<number, { what: string; since: number }>(),
  nextId: 1,
};

export function setPhase(text: string): void {
  progress.phase = text;
}

/** Registers `what` as waited on for the duration of `promise`. */
export async function waiting<T>(what: string, promise: Promise<T>): Promise<T> {
  const id = progress.nextId++;
  progress.waits.set(id, { what, since: Date.now() });
  try {
    return await promise;
  } finally {
    progress.waits.delete(id);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`'s outcome, or `{ timedOut: true }` after `ms` (the promise is left running). */
export async function within<T>(ms: number, promise: Promise<T>, what = "a promise"): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ timedOut: true }>((resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), ms)));
  try {
    return await waiting(what, Promise.race([promise.then((value) => ({ timedOut: false as const, value })), timeout]));
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `stepMs` until it is truthy or `ms` passed; returns the elapsed ms, or undefined if it never held. */
export async function pollUntil(check: () => boolean, ms: number, what: string, stepMs = 50): Promise<number | undefined> {
  const start = Date.now();
  return waiting(what, (async () => {
    for (let i = 0; i <= ms / stepMs + 1; i++) {
      if (check()) return Date.now() - start;
      if (Date.now() - start >= ms) return undefined;
      await sleep(stepMs);
    }
    return undefined;
  })());
}

/**
 * Closes something with a bound: resolves to how long it took, or undefined
 * if it had not closed within `ms` (it is then left to itself).
 */
export async function closeWithin(what: string, close: () => Promise<unknown>, ms = 5000): Promise<number | undefined> {
  const start = Date.now();
  const outcome = await within(ms, close().catch(() => undefined), what);
  return outcome.timedOut ? undefined : Date.now() - start;
}

/** Closes the harness's guest fetch, proxy and host of one scenario, each bounded; a close that hangs is a failed check. */
export async function closeAll(report: Report, tag: string, items: [string, () => Promise<unknown>][], ms = 5000): Promise<void> {
  const slow: string[] = [];
  for (const [name, close] of items) {
    const took = await closeWithin(`${tag}: closing ${name}`, close, ms);
    if (took === undefined) slow.push(name);
  }
  report.check(`${tag}: guest fetch, proxy and host close within ${ms / 1000} s each`, slow.length === 0,
    slow.length ? `still closing after ${ms / 1000} s: ${slow.join(", ")}` : items.map(([n]) => n).join(", ") + " closed");
}

// ------------------------------------------------------------------ random

/** mulberry32: a small seeded PRNG, so a run's fault schedule can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
export const between = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

// ------------------------------------------------------------ guest fetch

export type FetchKind = "undici" | "http2";

export interface GuestFetch {
  kind: FetchKind;
  fetch: Fetch;
  close(): Promise<void>;
}

const NODE_FETCH = path.join(ROOT, "runtime/guest/node.ts");

/** Whether runtime/guest/node.ts (http2Fetch: one multiplexed HTTP/2 connection per origin) exists in this checkout. */
export const http2FetchAvailable = (): boolean => existsSync(NODE_FETCH);

let chosenKind: FetchKind | undefined;

/** The fetch every guest of the run uses: `--fetch`, else http2Fetch once it exists, else undici. */
export function setFetchKind(kind: FetchKind | undefined): void {
  chosenKind = kind;
}

export function fetchKind(): FetchKind {
  return chosenKind ?? (http2FetchAvailable() ? "http2" : "undici");
}

/**
 * A guest's fetch for `origin`, trusting the harness's self-signed
 * certificate. `http2`: runtime/guest/node.ts's http2Fetch (a browser's one
 * connection per origin); `undici`: an Agent with HTTP/2, which opens a
 * connection of its own for each streamed request body while others run.
 */
export async function guestFetch(_origin: string, kind: FetchKind = fetchKind()): Promise<GuestFetch> {
  const ca = selfSigned().cert;
  if (kind === "http2") {
    if (!http2FetchAvailable()) throw new Error("--fetch http2: runtime/guest/node.ts does not exist yet");
    // Imported by a computed specifier: this file typechecks whether or not node.ts exists yet.
    const mod = (await import(pathToFileURL(NODE_FETCH).href)) as { http2Fetch: (options: { ca: string }) => unknown };
    const made = mod.http2Fetch({ ca }) as Fetch & { close?: () => unknown; destroy?: () => unknown };
    return {
      kind,
      fetch: made,
      close: async () => {
        await (made.close?.() ?? made.destroy?.());
      },
    };
  }
  const agent = new Agent({ allowH2: true, connect: { ca } });
  const fetch: Fetch = (input, init) => undiciFetch(input, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  return {
    kind,
    fetch,
    close: async () => {
      await agent.destroy().catch(() => undefined);
    },
  };
}

// ------------------------------------------------------------------- hosts

export interface ServerCounters {
  sessionsOpen: number;
  sessionsTotal: number;
  streamsOpen: number;
  streamsTotal: number;
  streamsPeak: number;
  /** TCP connections accepted and not yet closed (before TLS, so slowloris ones count). */
  socketsOpen: number;
  socketsTotal: number;
}

/** Counts the server's sessions, streams and sockets from its events. */
export function countServer(server: http2.Http2SecureServer | http2.Http2Server): ServerCounters {
  const c: ServerCounters = { sessionsOpen: 0, sessionsTotal: 0, streamsOpen: 0, streamsTotal: 0, streamsPeak: 0, socketsOpen: 0, socketsTotal: 0 };
  server.on("connection", (socket: import("node:net").Socket) => {
    c.socketsOpen++;
    c.socketsTotal++;
    socket.once("close", () => c.socketsOpen--);
  });
  server.on("session", (session: http2.ServerHttp2Session) => {
    c.sessionsOpen++;
    c.sessionsTotal++;
    session.once("close", () => c.sessionsOpen--);
  });
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    c.streamsOpen++;
    c.streamsTotal++;
    if (c.streamsOpen > c.streamsPeak) c.streamsPeak = c.streamsOpen;
    stream.once("close", () => c.streamsOpen--);
  });
  return c;
}

export interface HarnessHost {
  host: Host;
  url: string;
  port: number;
  counters: ServerCounters;
  close(): Promise<void>;
}

export interface HarnessHostOptions {
  /** The Echo implementation (all six methods). */
  impl: Record<string, (...args: any[]) => unknown>;
  pair?: Partial<PairOptions>;
  limits?: Partial<HostLimits>;
  keepaliveMs?: number;
  authenticate?: Authenticate<unknown>;
}

/** The principal convention of startEchoHost: header `x-user`, default "anon". */
export const userPrincipal: Authenticate<unknown> = (headers) => String(headers["x-user"] ?? "anon");

/** A TLS host on 127.0.0.1:0 serving the generated Echo descriptor with `impl`. */
export async function startHost(options: HarnessHostOptions): Promise<HarnessHost> {
  const { Echo } = await loadEcho();
  const host = await createHost({
    tls: selfSigned(),
    services: [implement(Echo, options.impl as never)],
    pair: options.pair,
    limits: options.limits,
    keepaliveMs: options.keepaliveMs,
    authenticate: options.authenticate ?? userPrincipal,
  });
  const counters = countServer(host.server);
  return {
    host,
    url: host.url,
    port: host.port,
    counters,
    close: () => waiting(`closing the host at ${host.url}`, host.close(200)),
  };
}

// ------------------------------------------------------------- resources

/** `process.getActiveResourcesInfo()` counted by type. */
export function activeResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1;
  return out;
}

export function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

let gcFunction: (() => void) | undefined | null;

/** A full GC (exposing gc at run time if the process was started without --expose-gc). */
export function gc(): boolean {
  if (gcFunction === undefined) {
    const global = (globalThis as { gc?: () => void }).gc;
    if (global) gcFunction = global;
    else {
      try {
        v8.setFlagsFromString("--expose-gc");
        gcFunction = vm.runInNewContext("gc") as () => void;
      } catch {
        gcFunction = null;
      }
    }
  }
  if (!gcFunction) return false;
  gcFunction();
  return true;
}

/** Heap used after two full GCs (a turn apart), in bytes. */
export async function settledHeap(): Promise<number> {
  gc();
  await sleep(20);
  gc();
  return process.memoryUsage().heapUsed;
}

export const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Resource counts that differ between `a` and `b`, as `type a→b`. */
export function resourceDiff(a: Record<string, number>, b: Record<string, number>): string[] {
  const out: string[] = [];
  for (const type of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if ((a[type] ?? 0) !== (b[type] ?? 0)) out.push(`${type} ${a[type] ?? 0}→${b[type] ?? 0}`);
  }
  return out;
}

// ------------------------------------------------------------------ errors

/** How a call failed: its status code's name, or "not-a-status" for anything that is not a StreampathError. */
export function failureCode(error: unknown): string {
  return error instanceof StreampathError ? codeName(error.code) : "not-a-status";
}

export function describe(error: unknown): string {
  if (error instanceof StreampathError) return `[${codeName(error.code)}] ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Tallies failures by code, keeping a few distinct messages of each. */
export class FailureTally {
  readonly byCode = new Map<string, number>();
  readonly samples = new Map<string, Set<string>>();
  total = 0;

  reset(): void {
    this.byCode.clear();
    this.samples.clear();
    this.total = 0;
  }

  add(error: unknown): void {
    this.total++;
    const code = failureCode(error);
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    const set = this.samples.get(code) ?? new Set<string>();
    // Messages differ by pair id and counts: keep a few, shortened.
    if (set.size < 4) set.add(describe(error).replace(/[0-9a-f]{8}\.[A-Za-z0-9_-]{22}/g, "<id>").slice(0, 240));
    this.samples.set(code, set);
  }

  summary(): string {
    if (this.total === 0) return "none";
    return [...this.byCode].map(([code, n]) => `${code} ×${n}`).join(", ");
  }

  messages(): string[] {
    const out: string[] = [];
    for (const [code, set] of this.samples) for (const m of set) out.push(`${code}: ${m}`);
    return out;
  }
}

export { Code, StreampathError, codeName };
