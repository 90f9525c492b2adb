// Host transport benchmark: a bidi echo of `Event { uint64 seq; bytes payload }`
// (bench/schema/echo.proto), streampath's host link against its generated
// host, side by side with raw node:http2, @grpc/grpc-js and Connect-node.
// Normally started by `npm run bench:host` (which builds dist/ first).
//
// Every peer runs its server in a process of its own and its client in
// another (bench/host/server.ts, client.ts), all forked and driven from here
// over IPC, so each server's RSS and CPU time are its own and no peer's
// code shares a JIT or a heap with another's. Per peer:
//
//   1. correctness: streams of distinct payloads, every echo checked byte
//      for byte; a peer that fails is reported and left out;
//   2. msgs/s: N events of 64-byte payload up one stream while the echoes
//      come down, at most 10,000 in flight; time until the last echo;
//   3. MB/s: the same with 64 KiB payloads, at most 32 in flight;
//   4. ping-pong: one event, wait for its echo, 2,000 times: p50/p99;
//   5. server RSS (now and peak) at the end.
//
// N is calibrated per peer so that a run takes about BENCH_HOST_SMALL_MS /
// BENCH_HOST_LARGE_MS; the table shows the median of BENCH_HOST_ROUNDS runs,
// visiting the peers round-robin in a rotating order.
//
// Environment knobs:
//   BENCH_HOST_ROUNDS=5 BENCH_HOST_SMALL_MS=1200 BENCH_HOST_LARGE_MS=800
//   BENCH_HOST_PINGS=2000
//   BENCH_HOST_PEERS=raw,typed,streampath,grpc-js,connect  (a subset, raw first)
//   BENCH_HOST_CPU_PROF=<dir>  (streampath's server and client write
//                               --cpu-prof profiles there; the base's in <dir>/base)
//   BENCH_HOST_BASE=<git rev>  (one more peer, streampath@base: streampath's
//                               host and link built from that revision in a
//                               temporary git worktree, run beside the working
//                               tree's; adds a "streampath vs base" table of
//                               ratios. bench/host/base.ts)
//   BENCH_HOST_PIN=1           (default: every server on CPU 0 and every client
//                               on CPU 1 with taskset, so the scheduler does not
//                               move them onto one core mid-run; 0 leaves them free)
//   BENCH_HOST_BASE_SIDE=server|client|both  (which of the base peer's two
//                               processes run the base; the other runs the
//                               working tree: says which side a difference is on)
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { errorMessage } from "./lib/exec.js";
import { median } from "./lib/measure.js";
import {
  describeMachine,
  formatInteger,
  formatMs,
  formatRatio,
  formatTable,
  installedVersion,
  loud,
} from "./lib/report.js";
import {
  BASE_PEER,
  baseRev,
  baseSide,
  prepareBase,
  type BaseTree,
} from "./host/base.js";
import { formatBaseComparison } from "./host/compare.js";
import { prepare } from "./host/generated.js";
import { handlerCeiling } from "./host/floor.js";
import { Child } from "./host/ipc.js";
import type { ServerStats } from "./host/server.js";
import type { StreamReply } from "./host/client.js";
import { PEERS, type Peer } from "./host/servers.js";
import type { StreamSpec } from "./host/wire.js";

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const ROUNDS = envNumber("BENCH_HOST_ROUNDS", 5);
const SMALL_MS = envNumber("BENCH_HOST_SMALL_MS", 1200);
const LARGE_MS = envNumber("BENCH_HOST_LARGE_MS", 800);
const PINGS = envNumber("BENCH_HOST_PINGS", 2000);
const PING_WARMUP = 200;
const CPU_PROF_DIR = process.env.BENCH_HOST_CPU_PROF;
/** Servers on CPU 0, clients on CPU 1 (on a machine with at least two). */
const PIN = process.env.BENCH_HOST_PIN !== "0" && availableParallelism() >= 2;

const LABEL: Record<Peer, string> = {
  raw: "raw node:http2",
  typed: "typed floor",
  streampath: "streampath",
  "grpc-js": "@grpc/grpc-js",
  connect: "Connect-node",
  [BASE_PEER]: BASE_PEER,
};

interface Workload {
  readonly name: "small" | "large";
  readonly payloadBytes: number;
  readonly window: number;
  readonly targetMs: number;
  /** First warm-up run, and the bounds of the calibrated count. */
  readonly warmupCount: number;
  readonly minCount: number;
  readonly maxCount: number;
}

const SMALL: Workload = {
  name: "small",
  payloadBytes: 64,
  window: 10_000,
  targetMs: SMALL_MS,
  warmupCount: 5_000,
  minCount: 2_000,
  maxCount: 5_000_000,
};
const LARGE: Workload = {
  name: "large",
  payloadBytes: 64 * 1024,
  window: 32,
  targetMs: LARGE_MS,
  warmupCount: 64,
  minCount: 32,
  maxCount: 200_000,
};
const WORKLOADS = [SMALL, LARGE] as const;

interface Sample {
  readonly perSecond: number;
  readonly serverCpuUs: number;
  readonly clientCpuUs: number;
  readonly ms: number;
}

interface PeerState {
  readonly peer: Peer;
  readonly server: Child;
  readonly client: Child;
  idle?: ServerStats;
  final?: ServerStats;
  failed?: string;
  counts: Partial<Record<Workload["name"], number>>;
  samples: Record<Workload["name"], Sample[]>;
  pings?: number[];
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  ]!;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const latency = (ms: number): string =>
  ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`;

function selectedPeers(): Peer[] {
  const listed = process.env.BENCH_HOST_PEERS?.split(",").map((p) => p.trim());
  if (listed?.includes(BASE_PEER) && !baseRev())
    throw new Error(`BENCH_HOST_PEERS: ${BASE_PEER} needs BENCH_HOST_BASE`);
  const wanted = listed?.filter((p) => p !== BASE_PEER); // added below
  const unknown = (wanted ?? []).filter(
    (p) => !(PEERS as readonly string[]).includes(p),
  );
  if (unknown.length)
    throw new Error(
      `BENCH_HOST_PEERS: unknown peer(s) ${unknown.join(", ")}; known: ${PEERS.join(", ")}`,
    );
  const peers: Peer[] = PEERS.filter((p) => !wanted || wanted.includes(p));
  if (!baseRev()) return peers;
  // The base right after streampath: in the rotating order of the rounds
  // the two run close together (back to back unless the rotation wraps).
  const at = peers.indexOf("streampath");
  if (at < 0) return [...peers, "streampath", BASE_PEER];
  return [...peers.slice(0, at + 1), BASE_PEER, ...peers.slice(at + 1)];
}

/**
 * Client and server each want a core. Some machines (VMs with hyperthreads
 * or CPU quotas) report two CPUs but run two busy processes at half speed:
 * then client and server share one core and msgs/s is bounded by their
 * combined CPU time per event. Times one CPU-bound process, then two at once.
 */
async function cpuParallelism(): Promise<string> {
  const burn =
    "const t=performance.now();let x=0;for(let i=0;i<1e8;i++)x+=i%7;process.stdout.write(String(performance.now()-t+(x&0)))";
  const once = () =>
    new Promise<number>((resolve, reject) =>
      execFile(process.execPath, ["-e", burn], (error, stdout) =>
        error ? reject(error) : resolve(Number(stdout)),
      ),
    );
  await once(); // warm the file cache
  const alone = await once();
  const together = Math.max(...(await Promise.all([once(), once()])));
  const speed = alone / together;
  return (
    `two CPU-bound processes at once each run at ${formatRatio(speed)} the speed of one alone` +
    (speed < 0.75
      ? " (client and server share about one core: read µs/event as the cost)"
      : "")
  );
}

async function startPeer(peer: Peer): Promise<PeerState> {
  const profDir =
    CPU_PROF_DIR && peer === BASE_PEER
      ? resolve(CPU_PROF_DIR, "base") // tells its profiles from the current's
      : CPU_PROF_DIR && resolve(CPU_PROF_DIR);
  const execArgv =
    profDir && (peer === "streampath" || peer === BASE_PEER)
      ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`]
      : [];
  const server = Child.start(
    `${peer} server`,
    new URL("./host/server.ts", import.meta.url),
    [peer],
    execArgv,
  );
  const { port } = await server.ready;
  pin(server, 0);
  const idle = await server.request<ServerStats>("stats");
  const client = Child.start(
    `${peer} client`,
    new URL("./host/client.ts", import.meta.url),
    [peer, `http://127.0.0.1:${port}`],
    execArgv,
  );
  try {
    await client.ready;
    pin(client, 1);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    peer,
    server,
    client,
    idle,
    counts: {},
    samples: { small: [], large: [] },
  };
}

function pin(child: Child, cpu: number): void {
  if (!PIN) return;
  const why = child.pin(cpu);
  if (why) throw new Error(`BENCH_HOST_PIN: cannot bind to CPU ${cpu}: ${why} (BENCH_HOST_PIN=0 runs unpinned)`);
}

async function runStream(state: PeerState, spec: StreamSpec): Promise<Sample> {
  const before = await state.server.request<ServerStats>("stats");
  const reply = await state.client.request<StreamReply>("stream", { ...spec });
  const after = await state.server.request<ServerStats>("stats");
  const serverCpuUs =
    after.userUs + after.systemUs - before.userUs - before.systemUs;
  const perSecond = (spec.count * 1000) / reply.ms;
  return { perSecond, serverCpuUs, clientCpuUs: reply.cpuUs, ms: reply.ms };
}

/** Streams of distinct payloads, every echo compared; a window smaller than the count. */
async function verify(state: PeerState): Promise<void> {
  await runStream(state, {
    count: 3_000,
    payloadBytes: SMALL.payloadBytes,
    window: 500,
    verify: true,
  });
  await runStream(state, {
    count: 1,
    payloadBytes: 0,
    window: 1,
    verify: true,
  });
  await runStream(state, {
    count: 40,
    payloadBytes: LARGE.payloadBytes,
    window: 8,
    verify: true,
  });
  await runStream(state, {
    count: 300,
    payloadBytes: 1000,
    window: 300,
    verify: true,
  });
}

/**
 * Warms a workload up and picks the count that takes about `targetMs`:
 * runs grow towards the target until a run of at least half of it comes
 * within 20 % of the previous rate (the JIT keeps speeding peers up for a
 * while, so one short probe would undercount).
 */
async function calibrate(state: PeerState, workload: Workload): Promise<void> {
  const clamp = (count: number) =>
    Math.min(workload.maxCount, Math.max(workload.minCount, Math.round(count)));
  let count = workload.warmupCount;
  let previous = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const sample = await runStream(state, {
      count,
      payloadBytes: workload.payloadBytes,
      window: workload.window,
      verify: false,
    });
    const settled =
      sample.ms >= workload.targetMs / 2 &&
      Math.abs(sample.perSecond - previous) <= 0.2 * previous;
    previous = sample.perSecond;
    count = clamp((sample.perSecond * workload.targetMs) / 1000);
    if (settled) break;
  }
  state.counts[workload.name] = count;
}

async function main(): Promise<void> {
  const started = performance.now();
  const peers = selectedPeers();
  console.log(
    "bench:host: bidi echo of Event { uint64 seq; bytes payload } over HTTP/2 (h2c)",
  );
  console.log(describeMachine());
  console.log(
    [
      `@grpc/grpc-js ${installedVersion("@grpc/grpc-js")}`,
      `@connectrpc/connect-node ${installedVersion("@connectrpc/connect-node")}`,
      `@bufbuild/protobuf ${installedVersion("@bufbuild/protobuf")}`,
    ].join(", "),
  );
  console.log(await cpuParallelism());
  console.log(
    PIN
      ? "servers pinned to CPU 0, clients to CPU 1 (taskset; BENCH_HOST_PIN=0 to leave them free)"
      : "processes not pinned (BENCH_HOST_PIN=0 or one CPU)",
  );
  const protoc = prepare();
  console.log(
    `generated bench/gen/echo (streampath CLI) and bench/gen/echo-es (${protoc}, protoc-gen-es)`,
  );
  if (CPU_PROF_DIR) mkdirSync(CPU_PROF_DIR, { recursive: true });
  let base: BaseTree | undefined;
  const rev = baseRev();
  if (rev) {
    baseSide(); // a bad BENCH_HOST_BASE_SIDE fails before the build
    const building = performance.now();
    base = prepareBase(rev);
    console.log(
      `${BASE_PEER} = ${base.describe}: a git worktree in ${base.dir}, built by its own build script,` +
        (baseSide() === "both"
          ? ""
          : ` running its ${baseSide()} only (its ${baseSide() === "server" ? "client" : "server"} is the working tree's),`) +
        ` echo.proto generated by its own CLI (${((performance.now() - building) / 1000).toFixed(0)} s)`,
    );
  }

  const states: PeerState[] = [];
  const startResults = await Promise.allSettled(peers.map(startPeer));
  startResults.forEach((result, i) => {
    if (result.status === "fulfilled") states.push(result.value);
    else
      loud(`${LABEL[peers[i]!]} did not start: ${errorMessage(result.reason)}`);
  });

  try {
    const live = () => states.filter((s) => !s.failed);
    const guard = async (
      state: PeerState,
      what: string,
      work: () => Promise<void>,
    ) => {
      if (state.failed) return;
      try {
        await work();
      } catch (error) {
        state.failed = `${what}: ${errorMessage(error)}`;
        loud(`${LABEL[state.peer]} failed ${state.failed}`);
      }
    };

    for (const state of states)
      await guard(state, "verification", () => verify(state));
    console.log(
      `verified: ${
        live()
          .map((s) => LABEL[s.peer])
          .join(", ") || "nobody"
      }`,
    );

    for (const workload of WORKLOADS)
      for (const state of live())
        await guard(state, `${workload.name} warm-up`, () =>
          calibrate(state, workload),
        );
    // Before/after runs the same work: a run's fixed costs (opening the
    // call, HTTP/2 windows growing) weigh less in a longer run, so counts
    // calibrated apart would skew the ratio towards whichever warmed faster.
    const current = live().find((s) => s.peer === "streampath");
    const before = live().find((s) => s.peer === BASE_PEER);
    if (current && before)
      for (const workload of WORKLOADS) {
        const same = Math.max(current.counts[workload.name] ?? 0, before.counts[workload.name] ?? 0);
        current.counts[workload.name] = before.counts[workload.name] = same;
      }
    console.log(
      "events per run: " +
        live()
          .map(
            (s) =>
              `${s.peer} ${formatInteger(s.counts.small ?? 0)} × 64 B, ${formatInteger(s.counts.large ?? 0)} × 64 KiB`,
          )
          .join("; "),
    );

    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of WORKLOADS) {
        const order = live();
        for (let i = 0; i < order.length; i++) {
          const state = order[(i + round) % order.length]!;
          await guard(state, `${workload.name} run`, async () => {
            const spec: StreamSpec = {
              count: state.counts[workload.name]!,
              payloadBytes: workload.payloadBytes,
              window: workload.window,
              verify: false,
            };
            state.samples[workload.name].push(await runStream(state, spec));
          });
        }
      }
      console.log(
        `round ${round + 1}/${ROUNDS} done (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }

    for (const state of live()) {
      await guard(state, "ping-pong", async () => {
        await state.client.request<number[]>("pingPong", {
          count: PING_WARMUP,
          payloadBytes: SMALL.payloadBytes,
        });
        state.pings = await state.client.request<number[]>("pingPong", {
          count: PINGS,
          payloadBytes: SMALL.payloadBytes,
        });
      });
    }
    for (const state of states)
      state.final = await state.server
        .request<ServerStats>("stats")
        .catch(() => undefined);

    await report(states, base);
  } finally {
    await Promise.all(
      states.flatMap((s) => [s.client.stop(), s.server.stop()]),
    );
    base?.remove();
  }
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function report(
  states: readonly PeerState[],
  base: BaseTree | undefined,
): Promise<void> {
  const ok = states.filter((s) => !s.failed);
  const rate = (s: PeerState, w: Workload) =>
    median(s.samples[w.name].map((x) => x.perSecond));
  const p = (s: PeerState, q: number) =>
    s.pings
      ? percentile(
          [...s.pings].sort((a, b) => a - b),
          q,
        )
      : NaN;
  const raw = ok.find((s) => s.peer === "raw");
  const ratio = (value: number, base: number | undefined) =>
    base === undefined || !Number.isFinite(value)
      ? "–"
      : formatRatio(value / base);
  const mbps = (s: PeerState) => (rate(s, LARGE) * LARGE.payloadBytes) / 1e6;

  console.log(
    `\nbidi echo, median of ${ROUNDS} runs; MB/s = payload bytes (10^6) echoed per second;` +
      ` ping-pong: ${formatInteger(PINGS)} round trips of a 64-byte event; ÷ raw: ratio to raw node:http2` +
      ` (for latency, above 1.00× is slower)\n`,
  );
  console.log(
    formatTable(
      [
        "peer",
        "64 B msgs/s",
        "÷ raw",
        "64 KiB MB/s",
        "÷ raw",
        "p50",
        "p99",
        "p50 ÷ raw",
        "server RSS",
        "peak",
        "peak − idle",
      ],
      ok.map((s) => [
        LABEL[s.peer],
        formatInteger(rate(s, SMALL)),
        ratio(rate(s, SMALL), raw && rate(raw, SMALL)),
        mbps(s).toFixed(0),
        ratio(mbps(s), raw && mbps(raw)),
        latency(p(s, 0.5)),
        latency(p(s, 0.99)),
        ratio(p(s, 0.5), raw && p(raw, 0.5)),
        s.final ? mib(s.final.rss) : "–",
        s.final ? mib(s.final.maxRss) : "–",
        s.final && s.idle ? mib(s.final.maxRss - s.idle.rss) : "–",
      ]),
    ),
  );

  // CPU time per event tells which side limits a peer: a side near 100 %
  // of one core is the bottleneck.
  console.log(
    `\nwhere the time goes (CPU time per event, and busy share of one core during the run)\n`,
  );
  const cpuRows: string[][] = [];
  for (const s of ok) {
    for (const w of WORKLOADS) {
      const samples = s.samples[w.name];
      const count = s.counts[w.name]!;
      const serverUs = median(samples.map((x) => x.serverCpuUs / count));
      const clientUs = median(samples.map((x) => x.clientCpuUs / count));
      const serverBusy = median(
        samples.map((x) => x.serverCpuUs / (x.ms * 10)),
      );
      const clientBusy = median(
        samples.map((x) => x.clientCpuUs / (x.ms * 10)),
      );
      const rates = samples.map((x) => x.perSecond);
      cpuRows.push([
        `${LABEL[s.peer]} ${w.name === "small" ? "64 B" : "64 KiB"}`,
        formatInteger(count),
        formatMs(median(samples.map((x) => x.ms))),
        `${((100 * (Math.max(...rates) - Math.min(...rates))) / median(rates)).toFixed(0)} %`,
        serverUs.toFixed(2),
        `${serverBusy.toFixed(0)} %`,
        clientUs.toFixed(2),
        `${clientBusy.toFixed(0)} %`,
      ]);
    }
  }
  console.log(
    formatTable(
      [
        "peer × payload",
        "events/run",
        "run time",
        "spread",
        "server µs/event",
        "server busy",
        "client µs/event",
        "client busy",
      ],
      cpuRows,
    ),
  );

  console.log(
    `\nserver RSS idle (listening, before any call; node + tsx alone take most of it) → end → peak`,
  );
  for (const s of states) {
    console.log(
      `  ${LABEL[s.peer].padEnd(16)} ${s.idle ? mib(s.idle.rss) : "–"} → ${s.final ? mib(s.final.rss) : "–"} → ${s.final ? mib(s.final.maxRss) : "–"}`,
    );
  }

  const sp = ok.find((s) => s.peer === "streampath");
  const grpcJs = ok.find((s) => s.peer === "grpc-js");
  if (sp && raw) {
    const ceiling = await handlerCeiling();
    console.log(
      `\nthe handler API alone (for await … yield, in-process, no I/O or codec) caps a server at ${formatInteger(ceiling)} msgs/s = ${formatRatio(ceiling / rate(raw, SMALL))} raw node:http2 (bench/host/floor.ts)`,
    );
    // Issue 18's targets, each as it is stated there.
    const verdict = (met: boolean) => (met ? "met" : "NOT MET");
    const small = rate(sp, SMALL) / ceiling;
    const large = rate(sp, LARGE) / rate(raw, LARGE);
    console.log(
      `target: streampath 64 B msgs/s ≥ 0.80× the handler-API floor: ${formatRatio(small)} (${formatRatio(rate(sp, SMALL) / rate(raw, SMALL))} raw node:http2` +
        (grpcJs ? `, ${formatRatio(rate(sp, SMALL) / rate(grpcJs, SMALL))} @grpc/grpc-js` : "") +
        `) → ${verdict(small >= 0.8)}`,
    );
    console.log(`target: streampath 64 KiB MB/s ≥ 0.95× raw node:http2: ${formatRatio(large)} → ${verdict(large >= 0.95)}`);
    if (sp.pings?.length && raw.pings?.length) {
      const p50 = (pings: number[]) => percentile([...pings].sort((a, b) => a - b), 0.5);
      const ping = p50(sp.pings) / p50(raw.pings);
      console.log(`target: streampath ping-pong p50 ≤ 1.20× raw node:http2: ${formatRatio(ping)} → ${verdict(ping <= 1.2)}`);
    }
  }
  const typed = ok.find((s) => s.peer === "typed");
  if (typed && raw)
    console.log(
      `the typed floor (node:http2 + streampath's codec per message, a batch per chunk, no promise per message: the most a batch-level API could reach): ` +
        `64 B ${formatRatio(rate(typed, SMALL) / rate(raw, SMALL))} raw node:http2, 64 KiB ${formatRatio(rate(typed, LARGE) / rate(raw, LARGE))}` +
        (sp ? `; streampath = ${formatRatio(rate(sp, SMALL) / rate(typed, SMALL))} and ${formatRatio(rate(sp, LARGE) / rate(typed, LARGE))} of it` : ""),
    );
  const spBase = ok.find((s) => s.peer === BASE_PEER);
  if (base && sp && spBase)
    console.log(
      formatBaseComparison(sp, spBase, {
        baseLabel: `${BASE_PEER} (${base.describe})`,
        rounds: ROUNDS,
        largePayloadBytes: LARGE.payloadBytes,
      }),
    );
  for (const s of states.filter((x) => x.failed)) {
    loud(`${LABEL[s.peer]} left out: ${s.failed}`);
    process.exitCode = 1; // wrong echoes are a failure, not a number
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    loud(errorMessage(error));
    process.exit(1);
  },
);
