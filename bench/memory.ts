// `npm run bench:memory`: the memory a host process holds per idle call
// (issue 18), for
//   - the pair: a Node guest as a browser worker is one — connectGateway over
//     http2Fetch, every call on ONE HTTP/2 connection — opening N bidi or
//     server-streaming calls that then stay idle (nothing sent, nothing
//     answered);
//   - host links: connectHost(url), one HTTP/2 session, N idle gRPC calls of
//     the same two kinds;
//   - the floor: raw node:http2, a server that answers headers and holds each
//     stream, a client that opens N streams on one session and never ends them.
//
// Each kind has a host process of its own (bench/memory/host.ts); this
// process is the client. Per kind: warm up (open a few calls and cancel them,
// so that code compiled and caches filled on first use are in the
// baseline), read the host's memory after two full GCs (baseline), open N/2
// calls, wait until the host counts their handlers and its stream count
// stops moving, read, open N/2 more, read again; per call = (last −
// baseline) / N, for V8's heap and for external memory apart. Then cancel
// every call, wait until the host counts 0 handlers and 0 streams, and read
// once more: what stayed is the leak check.
//
// Every kind runs on two builds of the same host sources:
//   - `bundle`: host.ts, the generated code and the runtime bundled by esbuild
//     as tsc would emit them (`node --expose-gc bench/gen/memory/host.bundle.mjs`):
//     what an application's host runs. The targets are judged on it.
//   - `tsx`: `node --expose-gc --import tsx --conditions=source host.ts`, the
//     sources as the tests run them. tsx compiles with esbuild's `keepNames`:
//     every named closure is wrapped in `__name(fn, "name")`, which defines
//     `name` on the function object and gives it a property store of its
//     own (some 250 bytes more per closure), so per-call closures cost more
//     here than in a build.
//
// Env: BENCH_MEMORY_RUNTIME (bundle,tsx: either or both),
// BENCH_MEMORY_KINDS (comma-separated, of pair-bidi,pair-server,link-bidi,
// link-server; raw always runs: it is the floor), BENCH_MEMORY_STREAMS (900:
// HTTP/2 streams the N calls of a kind may hold on their one connection; the
// host allows 1,000), BENCH_MEMORY_SNAPSHOT=<dir> (also write heap snapshots
// of each host at the baseline and with N calls open, and list the kinds of
// object that grew most per call: slower).
import http2 from "node:http2";
import { loadavg } from "node:os";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { formatDiagnostic, generate, writeOutput } from "streampath";
import type { CallOptions, Transport } from "streampath/runtime/core";
import { connectGateway } from "streampath/runtime/guest";
import { http2Fetch } from "streampath/runtime/guest/node";
import { connectHost } from "streampath/runtime/host";
import { Child } from "./host/ipc.js";
import type { Counts, MemoryReading } from "./memory/host.js";
import { compareSnapshots } from "./memory/snapshot.js";
import { genDirOf, repoRoot } from "./lib/paths.js";
import { describeMachine, formatInteger, formatTable } from "./lib/report.js";

const KINDS = [
  { name: "raw", what: "raw node:http2 stream (the floor)", client: "raw" },
  { name: "pair-bidi", what: "pair, bidi (Talk)", client: "pair", method: "talk" },
  { name: "pair-server", what: "pair, server streaming (Watch)", client: "pair", method: "watch" },
  { name: "link-bidi", what: "host link, bidi (Talk)", client: "link", method: "talk" },
  { name: "link-server", what: "host link, server streaming (Watch)", client: "link", method: "watch" },
] as const;
type Kind = (typeof KINDS)[number];
const RUNTIMES = ["bundle", "tsx"] as const;
type Runtime = (typeof RUNTIMES)[number];

/** Streams the N calls of one kind may hold on their connection (the host's limit is 1,000). */
const MAX_STREAMS = Number(process.env.BENCH_MEMORY_STREAMS ?? 900);
/** Calls opened and canceled before the baseline. Few: each canceled link call resets a stream, and Node allows a burst of 1,000 resets per connection. */
const WARM_UP = 50;
/** Targets of issue 18. */
const PAIR_TARGET = 8 * 1024;
const LINK_TARGET = 4 * 1024;
/** The whole run gives up after this. */
const RUN_TIMEOUT_MS = 6 * 60_000;
const snapshotDir = process.env.BENCH_MEMORY_SNAPSHOT ? resolve(process.env.BENCH_MEMORY_SNAPSHOT) : undefined;

const memoryProto = join(repoRoot, "bench", "memory", "memory.proto");
const genDir = genDirOf("memory");

interface Item {
  seq: bigint;
  payload: Uint8Array;
}
/** The generated client (bench/gen/memory/memory_host.ts), typed here: bench/gen is not type-checked. */
interface IdleClient {
  watch(request: Item, options?: CallOptions): AsyncIterable<Item>;
  talk(requests: AsyncIterable<Item>, options?: CallOptions): AsyncIterable<Item>;
}

/** The calls of one kind, from this process to the host. */
interface Calls {
  /** Starts `count` more idle calls. */
  open(count: number): void;
  /** Cancels every call opened so far. */
  cancelAll(): void;
  /** Every call's end, once canceled (a call that failed otherwise is in `failures`). */
  settled(): Promise<unknown>;
  /** Why calls failed, other than by being canceled. */
  readonly failures: string[];
  close(): Promise<void>;
}

async function generateIdle(): Promise<void> {
  const result = await generate({ cwd: repoRoot, files: [relative(repoRoot, memoryProto)] });
  if (result.diagnostics.length > 0)
    throw new Error(`${relative(repoRoot, memoryProto)}:\n${result.diagnostics.map(formatDiagnostic).join("\n")}`);
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(genDir, { recursive: true });
  writeOutput(genDir, result.files);
}

/**
 * host.ts with the generated service and the runtime in one file, as tsc
 * would emit them: esbuild without `keepNames`, `source` condition (so the
 * working tree's runtime, not dist/). Returns the bundle's path.
 */
async function bundleHost(): Promise<string> {
  const entry = join(genDir, "host-entry.ts");
  writeFileSync(
    entry,
    [
      "// Written by bench/memory.ts: the entry of host.bundle.mjs.",
      'import { Idle } from "./memory_host.js";',
      'import { startHost } from "../../memory/host.js";',
      "await startHost(process.argv[2], Idle);",
      "",
    ].join("\n"),
  );
  const outfile = join(genDir, "host.bundle.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["source"],
    external: ["@nats-io/*"],
    keepNames: false,
    logLevel: "error",
  });
  if (readFileSync(outfile, "utf8").includes("__name("))
    throw new Error(`${relative(repoRoot, outfile)} names its closures (__name): not what tsc emits`);
  return outfile;
}

/** Requests that never come: next() waits until the call is canceled, then the stream ends. */
function noRequests(signal: AbortSignal): AsyncIterable<Item> {
  const done = (): IteratorResult<Item> => ({ done: true, value: undefined });
  return {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<Item>>((resolve) => {
          if (signal.aborted) return resolve(done());
          signal.addEventListener("abort", () => resolve(done()), { once: true });
        }),
      return: async () => done(),
    }),
  };
}

/** Idle calls of `method` through a generated client on `transport`. */
async function generatedCalls(transport: Transport, method: "talk" | "watch", closeTransport: () => Promise<void>): Promise<Calls> {
  const { createIdleClient } = (await import(pathToFileURL(join(genDir, "memory_host.ts")).href)) as {
    createIdleClient(transport: Transport): IdleClient;
  };
  const client = createIdleClient(transport);
  const controllers: AbortController[] = [];
  const ends: Promise<void>[] = [];
  const failures: string[] = [];
  return {
    failures,
    open(count) {
      for (let i = 0; i < count; i++) {
        const controller = new AbortController();
        const { signal } = controller;
        const replies =
          method === "talk"
            ? client.talk(noRequests(signal), { signal })
            : client.watch({ seq: 0n, payload: new Uint8Array(0) }, { signal });
        controllers.push(controller);
        ends.push(
          (async () => {
            for await (const reply of replies) failures.push(`a reply came (seq ${reply.seq}): the handler is idle`);
            if (!signal.aborted) failures.push("a call ended before it was canceled");
          })().catch((error: unknown) => {
            if (!signal.aborted) failures.push(error instanceof Error ? error.message : String(error));
          }),
        );
      }
    },
    cancelAll() {
      for (const controller of controllers.splice(0)) controller.abort();
    },
    settled: () => Promise.all(ends),
    close: closeTransport,
  };
}

/** The floor's client: N streams on one node:http2 session, opened and never ended. */
async function rawCalls(url: string): Promise<Calls> {
  const session = http2.connect(url);
  session.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  const streams: http2.ClientHttp2Stream[] = [];
  const ends: Promise<void>[] = [];
  const failures: string[] = [];
  const canceled = new WeakSet<http2.ClientHttp2Stream>();
  return {
    failures,
    open(count) {
      for (let i = 0; i < count; i++) {
        const stream = session.request(
          { ":method": "POST", ":path": "/bench.memory.Raw/Hold", "content-type": "application/grpc" },
          { endStream: false },
        );
        streams.push(stream);
        ends.push(
          new Promise<void>((resolve) => {
            stream.on("error", (error) => canceled.has(stream) || failures.push(error.message));
            stream.once("response", (headers) => headers[":status"] === 200 || failures.push(`status ${headers[":status"]}`));
            stream.once("close", () => (canceled.has(stream) || failures.push("a stream closed before it was canceled"), resolve()));
          }),
        );
      }
    },
    cancelAll() {
      for (const stream of streams.splice(0)) {
        canceled.add(stream);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    },
    settled: () => Promise.all(ends),
    close: async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (session.destroy(), resolve()), 2000);
        session.close(() => (clearTimeout(timer), resolve()));
      });
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves `promise`, or fails after `ms` naming `what`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls the host until it counts `handlers` running and its open streams
 * have not moved for `stableMs` (pairs still joining, ups still closing);
 * fails after `ms`, or as soon as a call failed.
 */
async function settle(host: Child, calls: Calls, handlers: number, streamsTarget: ((streams: number) => boolean) | undefined, what: string, ms = 60_000, stableMs = 400): Promise<Counts> {
  const end = Date.now() + ms;
  let last: Counts | undefined;
  let since = Date.now();
  for (let i = 0; Date.now() < end && i < ms / 50 + 1; i++) {
    if (calls.failures.length > 0) throw new Error(`${what}: ${calls.failures.length} calls failed, first: ${calls.failures[0]}`);
    const counts = await within(host.request<Counts>("counts"), 5000, "the host's counts");
    if (!last || counts.streams !== last.streams || counts.handlers !== last.handlers) since = Date.now();
    last = counts;
    if (counts.handlers === handlers && (!streamsTarget || streamsTarget(counts.streams)) && Date.now() - since >= stableMs) return counts;
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}: host counts ${JSON.stringify(last)}`);
}

interface Result {
  kind: Kind;
  runtime: Runtime;
  n: number;
  /** Host's open HTTP/2 streams with all N calls idle, per call. */
  streamsPerCall: number;
  base: MemoryReading;
  half: MemoryReading;
  full: MemoryReading;
  after: MemoryReading;
  /** Host sessions seen with all N open (one connection: 1). */
  sessions: number;
  /** Open streams left when the host counted 0 handlers after the cancel. */
  lingering: number;
  /** Streams the host saw opened for the N calls, per call (above streamsPerCall: halves opened again). */
  openedPerCall: number;
  /** Seconds: opening the first N/2, the next N/2, and canceling all N until the host counts 0. */
  phases: [number, number, number];
}

async function measure(kind: Kind, runtime: Runtime, bundle: string | undefined): Promise<Result> {
  const mode = kind.client === "raw" ? "raw" : "streampath";
  // Child.start always adds `--import tsx`; tsx leaves a plain .mjs as it is.
  const host =
    runtime === "bundle"
      ? Child.start(`${kind.name} (bundle)`, pathToFileURL(bundle!), [mode], ["--expose-gc", "--disable-warning=ExperimentalWarning"])
      : Child.start(`${kind.name} (tsx)`, new URL("./memory/host.ts", import.meta.url), [mode, genDir], ["--expose-gc", "--conditions=source", "--disable-warning=ExperimentalWarning"]);
  const snapshotOf = (at: string) => join(snapshotDir!, `${kind.name}-${runtime}-${at}.heapsnapshot`);
  let calls: Calls | undefined;
  try {
    const { port } = await within(host.ready, 30_000, `${kind.name} host to start`);
    const url = `http://127.0.0.1:${port}`;
    if (kind.client === "raw") calls = await rawCalls(url);
    else if (kind.client === "pair") {
      const fetch = http2Fetch();
      calls = await generatedCalls(connectGateway(url, { fetch }), kind.method, () => fetch.close());
    } else {
      const link = connectHost(url);
      calls = await generatedCalls(link, kind.method, () => link.close());
    }
    const calls_ = calls;
    const read = (when: string) => within(host.request<MemoryReading>("memory"), 60_000, `the host's memory ${when}`);
    const snapshot = async (at: string) => {
      if (snapshotDir) await within(host.request("snapshot", { path: snapshotOf(at) }), 120_000, "a heap snapshot");
    };
    const drain = async (what: string) => {
      calls_.cancelAll();
      const counts = await settle(host, calls_, 0, (s) => s === 0, what, 30_000, 200).catch(async (error: unknown) => {
        // A stream the host keeps after the handlers ended is worth reporting, not a failure to measure.
        const counts = await within(host.request<Counts>("counts"), 5000, "the host's counts");
        if (counts.handlers === 0 && calls_.failures.length === 0) return counts;
        throw error;
      });
      await within(calls_.settled(), 15_000, `${what}: the canceled calls to end on the client`);
      return counts;
    };

    calls.open(WARM_UP);
    const warm = await settle(host, calls, WARM_UP, undefined, `${WARM_UP} warm-up calls`);
    const streamsPerCall = warm.streams / WARM_UP;
    if (!Number.isInteger(streamsPerCall)) throw new Error(`${kind.name}: ${warm.streams} streams for ${WARM_UP} idle calls, not a whole number per call`);
    await drain("the warm-up calls to end");

    const n = 2 * Math.floor(MAX_STREAMS / streamsPerCall / 2);
    const base = await read("at the baseline");
    await snapshot("base");
    const before = await within(host.request<Counts>("counts"), 5000, "the host's counts");
    let started = performance.now();
    const since = () => {
      const seconds = (performance.now() - started) / 1000;
      started = performance.now();
      return seconds;
    };
    calls.open(n / 2);
    await settle(host, calls, n / 2, (s) => s === (n / 2) * streamsPerCall, `${n / 2} idle calls`);
    const firstHalf = since();
    const half = await read(`with ${n / 2} calls`);
    since();
    calls.open(n / 2);
    const open = await settle(host, calls, n, (s) => s === n * streamsPerCall, `${n} idle calls`);
    const secondHalf = since();
    const full = await read(`with ${n} calls`);
    await snapshot("full");
    since();
    const drained = await drain(`${n} canceled calls to end`);
    const cancel = since();
    const after = await read("after the cancel");
    await snapshot("after");
    return {
      kind, runtime, n, streamsPerCall, base, half, full, after,
      sessions: open.sessions,
      lingering: drained.streams,
      openedPerCall: (open.opened - before.opened) / n,
      phases: [firstHalf, secondHalf, cancel],
    };
  } finally {
    await calls?.close().catch(() => undefined);
    await host.stop(10_000);
  }
}

// Formatting.
const perCall = (bytes: number, n: number) => bytes / n;
const b = (bytes: number) => `${formatInteger(bytes)} B`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
const total = (m: MemoryReading) => m.heapUsed + m.external;
const label = (r: Result) => `${r.kind.name} ${r.runtime}`;

/** Per call: heap, external, their sum, the floor of its streams and the rest. */
function costs(r: Result, results: readonly Result[]) {
  const raw = results.find((x) => x.kind.name === "raw" && x.runtime === r.runtime)!;
  const floor = perCall(total(raw.full) - total(raw.base), raw.n);
  const heap = perCall(r.full.heapUsed - r.base.heapUsed, r.n);
  const external = perCall(r.full.external - r.base.external, r.n);
  return { heap, external, total: heap + external, floor, floorOfCall: floor * r.streamsPerCall, owned: heap + external - floor * r.streamsPerCall };
}

function report(results: Result[]): void {
  console.log("\nPer idle call, host process (heap = V8 heapUsed, external = process.memoryUsage().external, after two full GCs; floor = raw per stream of the same runtime):\n");
  console.log(
    formatTable(
      ["kind", "runtime", "N", "streams/call", "heap/call", "external/call", "total/call", "raw floor/stream × streams", "streampath-owned"],
      results.map((r) => {
        const c = costs(r, results);
        const raw = r.kind.client === "raw";
        return [r.kind.name, r.runtime, formatInteger(r.n), String(r.streamsPerCall), b(c.heap), b(c.external), b(c.total), raw ? "—" : `${b(c.floor)} × ${r.streamsPerCall} = ${b(c.floorOfCall)}`, raw ? "—" : b(c.owned)];
      }),
    ),
  );

  console.log("\nLinearity (N/2 then N/2 more), leak check (after the cancel) and RSS, per call. RSS is informational: it also holds nghttp2's malloc'd state, which neither heap nor external counts, and pages V8 keeps:\n");
  console.log(
    formatTable(
      ["kind", "total 1st half", "total 2nd half", "left after cancel", "heap left", "external left", "RSS Δ", "sessions", "streams left"],
      results.map((r) => {
        const h = r.n / 2;
        return [
          label(r),
          b(perCall(total(r.half) - total(r.base), h)),
          b(perCall(total(r.full) - total(r.half), h)),
          b(perCall(total(r.after) - total(r.base), r.n)),
          b(perCall(r.after.heapUsed - r.base.heapUsed, r.n)),
          b(perCall(r.after.external - r.base.external, r.n)),
          b(perCall(r.full.rss - r.base.rss, r.n)),
          String(r.sessions),
          String(r.lingering),
        ];
      }),
    ),
  );

  // Where the heap goes: V8 spaces and counts of live objects, per call.
  const spaces = [...new Set(results.flatMap((r) => Object.keys(r.full.spaces)))].filter((space) =>
    results.some((r) => Math.abs(perCall((r.full.spaces[space] ?? 0) - (r.base.spaces[space] ?? 0), r.n)) >= 8),
  );
  const objects = [...new Set(results.flatMap((r) => Object.keys(r.full.objects)))];
  console.log("\nWhere the heap goes, per call: bytes by V8 heap space, and live objects (v8.queryObjects: objects with the constructor's prototype in their chain; Object counts nearly all, Function all closures; Node's internal SafeMap and SafeSet, as in every AbortSignal, count as neither Map, Set nor Object)\n");
  console.log(
    formatTable(
      ["kind", ...spaces, ...objects],
      results.map((r) => [
        label(r),
        ...spaces.map((space) => b(perCall((r.full.spaces[space] ?? 0) - (r.base.spaces[space] ?? 0), r.n))),
        ...objects.map((name) => (((r.full.objects[name] ?? 0) - (r.base.objects[name] ?? 0)) / r.n).toFixed(1)),
      ]),
    ),
  );

  if (snapshotDir)
    for (const r of results) {
      const at = (when: string) => join(snapshotDir, `${r.kind.name}-${r.runtime}-${when}.heapsnapshot`);
      for (const [to, what, top] of [["full", "N open", 20], ["after", "after the cancel", 8]] as const) {
        const { rows, bytes } = compareSnapshots(at("base"), at(to), r.n, top);
        console.log(`\n${label(r)}: heap snapshots, base → ${what}, self bytes per call by kind of object (${b(bytes)} per call in all, nghttp2's native memory included)\n`);
        console.log(formatTable(["object", "bytes/call", "objects/call"], rows.map((row) => [row.kind, b(row.bytes), row.count.toFixed(2)])));
      }
    }

  const verdict = (value: number, target: number) => (value <= target ? "met" : "NOT MET");
  const judged = results.some((r) => r.runtime === "bundle") ? "bundle" : "tsx";
  const other = (r: Result) => results.find((x) => x.kind === r.kind && x.runtime !== r.runtime);
  const also = (r: Result, value: (c: ReturnType<typeof costs>) => number) => {
    const o = other(r);
    return o ? `; ${o.runtime}: ${kib(value(costs(o, results)))}` : "";
  };
  console.log(`\nTargets of issue 18, on the ${judged} host (streampath-owned = total − raw floor × streams per call):`);
  for (const r of results.filter((x) => x.runtime === judged && x.kind.client === "pair")) {
    const c = costs(r, results);
    console.log(`  ${r.kind.name}: streampath-owned per idle pair ≤ 8 KiB: ${kib(c.owned)} → ${verdict(c.owned, PAIR_TARGET)} (total ${kib(c.total)}${also(r, (x) => x.owned)})`);
  }
  for (const r of results.filter((x) => x.runtime === judged && x.kind.client === "link")) {
    const c = costs(r, results);
    console.log(`  ${r.kind.name}: per idle host-link call ≤ 4 KiB: ${kib(c.owned)} streampath-owned → ${verdict(c.owned, LINK_TARGET)}; with the HTTP/2 floor ${kib(c.total)} → ${verdict(c.total, LINK_TARGET)}${also(r, (x) => x.owned)}`);
  }
  for (const r of results.filter((x) => x.sessions !== 1 || x.lingering !== 0))
    console.log(`  note: ${label(r)} had ${r.sessions} sessions open with its N calls, ${r.lingering} streams left after the cancel`);
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench:memory: gave up after ${RUN_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, RUN_TIMEOUT_MS).unref();
  const list = (name: string) => (process.env[name] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const picked = list("BENCH_MEMORY_KINDS");
  for (const name of picked)
    if (!KINDS.some((kind) => kind.name === name)) throw new Error(`BENCH_MEMORY_KINDS: unknown kind ${name} (${KINDS.map((k) => k.name).join(", ")})`);
  const kinds = KINDS.filter((kind) => kind.name === "raw" || picked.length === 0 || picked.includes(kind.name));
  const pickedRuntimes = list("BENCH_MEMORY_RUNTIME");
  for (const name of pickedRuntimes)
    if (!(RUNTIMES as readonly string[]).includes(name)) throw new Error(`BENCH_MEMORY_RUNTIME: unknown runtime ${name} (${RUNTIMES.join(", ")})`);
  const runtimes = RUNTIMES.filter((runtime) => pickedRuntimes.length === 0 || pickedRuntimes.includes(runtime));
  if (!(MAX_STREAMS >= 4 && MAX_STREAMS <= 1000)) throw new Error("BENCH_MEMORY_STREAMS: 4 to 1000");

  console.log("bench memory: what a host process holds per idle call (issue 18)");
  console.log(describeMachine());
  console.log(`load average at start ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  await generateIdle();
  const bundle = runtimes.includes("bundle") ? await bundleHost() : undefined;
  if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
  console.log(`generated ${relative(repoRoot, genDir)} from ${relative(repoRoot, memoryProto)}${bundle ? `, bundled ${relative(repoRoot, bundle)}` : ""}; h2c on 127.0.0.1, one HTTP/2 connection per kind, up to ${MAX_STREAMS} streams on it`);

  const results: Result[] = [];
  for (const runtime of runtimes)
    for (const kind of kinds) {
      const started = performance.now();
      const result = await measure(kind, runtime, bundle);
      results.push(result);
      console.log(
        `${label(result).padEnd(18)} ${kind.what}: N = ${result.n} idle calls, ${result.streamsPerCall} HTTP/2 stream(s) each (${result.openedPerCall.toFixed(2)} opened), ${result.sessions} connection(s); ${((performance.now() - started) / 1000).toFixed(1)} s (open N/2 ${result.phases[0].toFixed(1)} s, N/2 more ${result.phases[1].toFixed(1)} s, cancel ${result.phases[2].toFixed(1)} s)`,
      );
    }
  report(results);
  clearTimeout(watchdog);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:memory failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
