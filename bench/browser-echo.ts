// Browser transport benchmark: from a dedicated module worker in Debian's
// Chromium, on a page served over HTTPS/HTTP/2 by a streampath host, a bidi
// echo of 64-byte events through these peers side by side:
//
//   streampath  the generated client of bench/schema/echo.proto over
//               connectGateway(location.origin) (the pair: a down and an up
//               request, protobuf events in envelopes, credits), served by
//               createHost with a handler that yields every event back;
//   floor       "typed floor": the least any typed streaming API must do,
//               with no pair protocol; the worker's user code is streampath's
//               (an async generator of Events up, a `for await` over the
//               echoes), over the raw pair's two requests (paths of its own):
//               Events written with the generated codec into a MessageBatch,
//               one chunk per task or 64 KiB; chunks read →
//               EnvelopeDecoder.each → each Event decoded in place
//               (decodeAt) → an array per chunk → a bounded Channel →
//               flatten(); the host's fallback does the same around the same
//               user handler (`async *echo(r) { for await (const e of r)
//               yield e }`), writes per setImmediate or 64 KiB and waits for
//               'drain'. No credits, acks, sequence numbers, replay or
//               controls: what streampath ÷ floor leaves is the pair's cost,
//               and floor ÷ raw is the most a typed API can reach here;
//   raw pair    the same two requests with nothing else: bytes written back
//               to back, many 64-byte records per chunk, copied from the up
//               request onto the down response by the same host's fallback
//               (one origin, one HTTP/2 session): the ceiling;
//   ws          the `ws` package on node:https (HTTP/1.1, another port, the
//               same certificate), one binary message per event, echoed
//               message by message, as WebSockets are normally used;
//   ws batched  the same, with the raw pair's chunks as messages.
//
// Normally started by `npm run bench:browser`. Everything runs from the
// TypeScript sources (tsx --conditions=source and esbuild's "source"
// condition), like the tests; dist/ is not used. The worker code is in
// bench/browser/worker.ts, the servers in bench/browser/servers.ts; the host
// and the ws server each run in a child process (bench/browser/server.ts),
// apart from Playwright, whose AsyncLocalStorage would tax every promise of
// a server in this process.
//
// Per peer: a correctness pass (every echo checked: seq in order, payload
// byte for byte, windows smaller than the stream; a peer that fails is
// reported and left out), then the event count is calibrated so a run takes
// about BENCH_BROWSER_MS, then BENCH_BROWSER_ROUNDS rounds visit the peers in
// a rotating order: one run of msgs/s (N events up one call while the echoes
// come down, at most BENCH_BROWSER_WINDOW in flight, time until the last
// echo, every echo checked) and a share of the ping-pong round trips (one
// event, await its echo). The table shows medians over the rounds; the
// ping-pong percentiles pool the round trips of all rounds.
//
// Environment knobs:
//   BENCH_BROWSER_ROUNDS=5 BENCH_BROWSER_MS=1000 BENCH_BROWSER_PINGS=2000
//   BENCH_BROWSER_WINDOW=10000
//   BENCH_BROWSER_PEERS=streampath,floor,raw,ws,ws-batched  (a subset)
//   BENCH_BROWSER_PAIR_WINDOW=<n>  (streampath's pair windows, both sides,
//     instead of the defaults of 1024: a diagnostic, not how users run it)
//   BENCH_BROWSER_WIRE=1  (the host counts the chunks of the pair peers' up
//     requests and the writes of their down responses: events per chunk)
//   BENCH_BROWSER_PROFILE=<dir>  (after the rounds, one streampath run — or
//     of BENCH_BROWSER_PROFILE_PEER, e.g. floor — with
//     the worker profiled over CDP and the host process with node:inspector;
//     writes .cpuprofile files there and prints where the time goes)
import { existsSync, mkdirSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import type { Browser } from "playwright-core";
import { CHROMIUM, launchChromium } from "../test/helpers/browser.js";
import { openBarePage, type BarePage } from "./browser/bare-page.js";
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
  bundleWorker,
  generateEcho,
  workerBundlePath,
} from "./browser/build.js";
import {
  CPU_PART_LABEL,
  CPU_PARTS,
  type CpuTimes,
  cpuDelta,
  cpuTimes,
} from "./browser/cpu.js";
import { profileRun } from "./browser/profile.js";
import {
  type Command,
  PEERS,
  type Peer,
  type SetupReply,
  type StreamReply,
} from "./browser/protocol.js";
import { Child } from "./host/ipc.js";
import type { WireStats } from "./browser/wire.js";
import { selfSigned } from "../test/helpers/tls.js";

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const ROUNDS = envNumber("BENCH_BROWSER_ROUNDS", 5);
const RUN_MS = envNumber("BENCH_BROWSER_MS", 1000);
const PINGS = envNumber("BENCH_BROWSER_PINGS", 2000);
const WINDOW = envNumber("BENCH_BROWSER_WINDOW", 10_000);
const PROFILE_DIR = process.env.BENCH_BROWSER_PROFILE;
const WIRE = Boolean(process.env.BENCH_BROWSER_WIRE);
const PAIR_WINDOW = envNumber("BENCH_BROWSER_PAIR_WINDOW", 0) || undefined;
const PING_WARMUP = 200;
const COMMAND_TIMEOUT_MS = 60_000;
/** The whole benchmark, start to end; it normally takes about a minute. */
const TOTAL_TIMEOUT_MS = 15 * 60_000;
const MIN_COUNT = 2_000;
const MAX_COUNT = 20_000_000;

const TARGET_VS_RAW = 0.7;
const TARGET_VS_WS = 1.0;

const INSTALL_HINT = "sudo apt-get update && sudo apt-get install -y chromium";

export const LABEL: Record<Peer, string> = {
  streampath: "streampath",
  floor: "typed floor",
  raw: "raw batched pair",
  ws: "ws, 1 event/message",
  "ws-batched": "ws, batched messages",
};

interface Sample {
  readonly perSecond: number;
  readonly ms: number;
  readonly cpu: CpuTimes;
  readonly wire?: WireStats;
  readonly enqueues?: StreamReply["enqueues"];
}

interface PeerState {
  readonly peer: Peer;
  failed?: string;
  count?: number;
  readonly samples: Sample[];
  readonly pings: number[];
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  ]!;
const latency = (ms: number): string =>
  !Number.isFinite(ms)
    ? "–"
    : ms >= 1
      ? `${ms.toFixed(2)} ms`
      : `${(ms * 1000).toFixed(0)} µs`;

function selectedPeers(): Peer[] {
  const wanted = process.env.BENCH_BROWSER_PEERS?.split(",").map((p) =>
    p.trim(),
  );
  if (!wanted) return [...PEERS];
  const unknown = wanted.filter(
    (p) => !(PEERS as readonly string[]).includes(p),
  );
  if (unknown.length)
    throw new Error(
      `BENCH_BROWSER_PEERS: unknown peer(s) ${unknown.join(", ")}; known: ${PEERS.join(", ")}`,
    );
  return PEERS.filter((p) => wanted.includes(p));
}

interface Reply {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** The worker, through the page's `benchCommand`; and the host process. */
export class WorkerPort {
  constructor(
    readonly page: BarePage,
    private readonly wsUrl: string,
    readonly host: Child,
  ) {}

  async command<T>(
    command: Command,
    timeoutMs = COMMAND_TIMEOUT_MS,
  ): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `the page did not answer within ${timeoutMs + 10_000} ms`,
            ),
          ),
        timeoutMs + 10_000,
      );
    });
    let reply: Reply;
    try {
      reply = await Promise.race([
        this.page.evaluate<Reply>(
          `benchCommand(${JSON.stringify(command)}, ${timeoutMs})`,
        ),
        stuck,
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (!reply.ok) {
      // A command that timed out restarted the worker: set the new one up.
      if (reply.error?.includes("worker restarted")) await this.setup();
      throw new Error(reply.error);
    }
    return reply.result as T;
  }

  setup(): Promise<SetupReply> {
    return this.command<SetupReply>({
      op: "setup",
      wsUrl: this.wsUrl,
      wire: WIRE,
      pairWindow: PAIR_WINDOW,
    });
  }
}

async function runStream(
  port: WorkerPort,
  state: PeerState,
  count: number,
  window: number,
): Promise<Sample> {
  if (WIRE) await port.host.request("wire");
  const before = cpuTimes();
  const { ms, enqueues } = await port.command<StreamReply>(
    { op: "stream", peer: state.peer, count, window },
    COMMAND_TIMEOUT_MS,
  );
  const cpu = cpuDelta(before, cpuTimes());
  const wire = WIRE ? await port.host.request<WireStats>("wire") : undefined;
  return { perSecond: (count * 1000) / ms, ms, cpu, wire, enqueues };
}

/** Streams with windows smaller and larger than the count, and a few pings; every echo is checked. */
async function verify(port: WorkerPort, state: PeerState): Promise<void> {
  await runStream(port, state, 3_000, 500);
  await runStream(port, state, 1, 1);
  await runStream(port, state, 30_000, WINDOW);
  await port.command<number[]>({ op: "ping", peer: state.peer, count: 20 });
}

/**
 * Warms a peer up and picks the count that takes about RUN_MS: runs grow
 * towards the target until a run of at least half of it comes within 20 % of
 * the previous rate (the JIT keeps speeding peers up for a while).
 */
async function calibrate(port: WorkerPort, state: PeerState): Promise<void> {
  const clamp = (count: number) =>
    Math.min(MAX_COUNT, Math.max(MIN_COUNT, Math.round(count)));
  let count = 5_000;
  let previous = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const sample = await runStream(port, state, count, WINDOW);
    const settled =
      sample.ms >= RUN_MS / 2 &&
      Math.abs(sample.perSecond - previous) <= 0.2 * previous;
    previous = sample.perSecond;
    count = clamp((sample.perSecond * RUN_MS) / 1000);
    if (settled) break;
  }
  state.count = count;
}

async function main(): Promise<void> {
  const started = performance.now();
  const deadline = setTimeout(() => {
    loud(
      `bench:browser did not finish within ${TOTAL_TIMEOUT_MS / 60_000} minutes`,
    );
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);
  deadline.unref();

  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The browser benchmark runs Debian's package (never a Playwright download); install it with:\n    ${INSTALL_HINT}`,
    );
  }
  const peers = selectedPeers();
  console.log(
    "bench:browser: bidi echo of 64-byte events from a dedicated worker in Chromium",
  );
  console.log(describeMachine());
  console.log(
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  generateEcho();
  const workerScript = await bundleWorker();
  console.log(
    `generated bench/gen/browser-echo (streampath CLI); worker bundle ${formatInteger(workerScript.length / 1024)} KiB`,
  );

  const children: Child[] = [];
  let browser: Browser | undefined;
  let page: BarePage | undefined;
  try {
    const tls = selfSigned();
    const start = async (kind: "host" | "ws") => {
      const child = Child.start(
        `${kind} server`,
        new URL("./browser/server.ts", import.meta.url),
        [kind],
        ["--conditions=source"],
      );
      children.push(child);
      await child.ready;
      return child;
    };
    const [host, ws] = await Promise.all([start("host"), start("ws")]);
    const [{ url: origin }, { url: wsUrl }] = await Promise.all([
      host.request<{ url: string }>("start", {
        tls,
        workerPath: workerBundlePath,
        pairWindow: PAIR_WINDOW,
      }),
      ws.request<{ url: string }>("start", { tls }),
    ]);
    const servers = { origin, wsUrl };
    browser = await launchChromium();
    page = await openBarePage(browser, servers.origin + "/");
    const port = new WorkerPort(page, servers.wsUrl, host);
    const setup = await port.setup();
    console.log(
      [
        `chromium ${browser.version()} (${CHROMIUM}), playwright-core ${installedVersion("playwright-core")}, ws ${installedVersion("ws")}`,
        `worker: crossOriginIsolated ${setup.crossOriginIsolated}, performance.now() step ${setup.timerStepUs.toFixed(0)} µs, gateway upload "${setup.upload}"`,
        `origin ${servers.origin} (HTTP/2, TLS), WebSocket ${servers.wsUrl} (HTTP/1.1, TLS)`,
        `streampath pair windows: ${PAIR_WINDOW ? `${PAIR_WINDOW} both ways (BENCH_BROWSER_PAIR_WINDOW)` : "the defaults"}`,
      ].join("\n"),
    );

    const states: PeerState[] = peers.map((peer) => ({
      peer,
      samples: [],
      pings: [],
    }));
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
      await guard(state, "verification", () => verify(port, state));
    console.log(
      `verified: ${
        live()
          .map((s) => LABEL[s.peer])
          .join(", ") || "nobody"
      }`,
    );

    for (const state of live())
      await guard(state, "warm-up", async () => {
        await calibrate(port, state);
        await port.command({
          op: "ping",
          peer: state.peer,
          count: PING_WARMUP,
        });
      });
    console.log(
      "events per run (64 B each): " +
        live()
          .map((s) => `${s.peer} ${formatInteger(s.count ?? 0)}`)
          .join(", "),
    );

    const pingsPerRound = Math.ceil(PINGS / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const order = live();
      for (let i = 0; i < order.length; i++) {
        const state = order[(i + round) % order.length]!;
        await guard(state, "run", async () => {
          state.samples.push(
            await runStream(port, state, state.count!, WINDOW),
          );
        });
      }
      for (let i = 0; i < order.length; i++) {
        const state = order[(i + round) % order.length]!;
        await guard(state, "ping-pong", async () => {
          state.pings.push(
            ...(await port.command<number[]>({
              op: "ping",
              peer: state.peer,
              count: pingsPerRound,
            })),
          );
        });
      }
      console.log(
        `round ${round + 1}/${ROUNDS} done (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }

    report(states);

    const profiled = (process.env.BENCH_BROWSER_PROFILE_PEER ?? "streampath") as Peer;
    const sp = live().find((s) => s.peer === profiled);
    if (PROFILE_DIR && sp) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      await profileRun(
        page,
        host,
        port,
        PROFILE_DIR,
        sp.count!,
        WINDOW,
        workerScript,
        profiled,
      );
    }
    await port.command({ op: "close" }).catch(() => undefined);
  } finally {
    await page?.close();
    await browser?.close().catch(() => undefined);
    await Promise.all(children.map((c) => c.stop()));
  }
  console.log(
    `\nload average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )}; total ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

function report(states: readonly PeerState[]): void {
  const ok = states.filter((s) => !s.failed && s.samples.length > 0);
  const rate = (s: PeerState) => median(s.samples.map((x) => x.perSecond));
  const sortedPings = new Map(
    ok.map((s) => [s, [...s.pings].sort((a, b) => a - b)]),
  );
  const p = (s: PeerState, q: number) =>
    sortedPings.get(s)!.length ? percentile(sortedPings.get(s)!, q) : NaN;
  const find = (peer: Peer) => ok.find((s) => s.peer === peer);
  const raw = find("raw");
  const floor = find("floor");
  const ws = find("ws");
  const ratio = (value: number, base: number | undefined) =>
    base === undefined || !Number.isFinite(value)
      ? "–"
      : formatRatio(value / base);
  const spread = (s: PeerState) => {
    const rates = s.samples.map((x) => x.perSecond);
    return `${((100 * (Math.max(...rates) - Math.min(...rates))) / rate(s)).toFixed(0)} %`;
  };

  console.log(
    `\nbidi echo of 64-byte events from a dedicated worker, median of ${ROUNDS} runs of ~${RUN_MS} ms,` +
      ` at most ${formatInteger(WINDOW)} in flight; ping-pong: ${formatInteger(PINGS)} round trips over the rounds;` +
      ` ÷ raw: ratio to the raw batched pair, ÷ floor: to the typed floor (typed events, async iteration, no pair protocol),` +
      ` ÷ ws: to ws with one event per message (for latency, above 1.00× is slower)\n`,
  );
  console.log(
    formatTable(
      [
        "peer",
        "msgs/s",
        "÷ raw",
        "÷ floor",
        "÷ ws",
        "spread",
        "p50",
        "p99",
        "p50 ÷ raw",
        "p50 ÷ ws",
      ],
      ok.map((s) => [
        LABEL[s.peer],
        formatInteger(rate(s)),
        ratio(rate(s), raw && rate(raw)),
        ratio(rate(s), floor && rate(floor)),
        ratio(rate(s), ws && rate(ws)),
        spread(s),
        latency(p(s, 0.5)),
        latency(p(s, 0.99)),
        ratio(p(s, 0.5), raw && p(raw, 0.5)),
        ratio(p(s, 0.5), ws && p(ws, 0.5)),
      ]),
    ),
  );

  console.log(
    `\nwhere the time goes: CPU µs per event during the msgs/s runs (median over the rounds), from /proc;` +
      ` the worker thread runs the client; servers = the host and ws processes (TLS, HTTP/2, streampath's host, ws);` +
      ` total leaves out the driver (Playwright)\n`,
  );
  console.log(
    formatTable(
      [
        "peer",
        "events/run",
        "run time",
        ...CPU_PARTS.map((c) => CPU_PART_LABEL[c]),
        "total",
        "driver",
      ],
      ok.map((s) => {
        const count = s.count!;
        const perEvent = (c: (typeof CPU_PARTS)[number]) =>
          median(s.samples.map((x) => x.cpu[c] / count));
        const total = median(
          s.samples.map(
            (x) => CPU_PARTS.reduce((sum, c) => sum + x.cpu[c], 0) / count,
          ),
        );
        return [
          LABEL[s.peer],
          formatInteger(count),
          formatMs(median(s.samples.map((x) => x.ms))),
          ...CPU_PARTS.map((c) => perEvent(c).toFixed(2)),
          total.toFixed(2),
          median(s.samples.map((x) => x.cpu.driver / count)).toFixed(2),
        ];
      }),
    ),
  );
  console.log(
    `\nand as a busy share of one core during the run (a part near 100 % limits the rate; the machine has ${availableParallelism()})\n`,
  );
  console.log(
    formatTable(
      ["peer", ...CPU_PARTS.map((c) => CPU_PART_LABEL[c]), "total"],
      ok.map((s) => {
        const busy = (cpu: (x: Sample) => number) =>
          `${median(s.samples.map((x) => cpu(x) / (x.ms * 10))).toFixed(0)} %`;
        return [
          LABEL[s.peer],
          ...CPU_PARTS.map((c) => busy((x) => x.cpu[c])),
          busy((x) => CPU_PARTS.reduce((sum, c) => sum + x.cpu[c], 0)),
        ];
      }),
    ),
  );

  if (WIRE) {
    console.log(
      `\non the wire (seen by the host; medians over the rounds): up = DATA chunks of the up request` +
        ` (Node's 'data' events, at most one HTTP/2 frame of 16 KiB each), down = writes on the down response\n`,
    );
    const rows: string[][] = [];
    for (const s of ok) {
      for (const half of ["up", "down"]) {
        const key = `${s.peer} ${half}`;
        const runs = s.samples.flatMap((x) =>
          x.wire?.[key] ? [x.wire[key]] : [],
        );
        if (runs.length === 0) continue;
        rows.push([
          key,
          formatInteger(median(runs.map((w) => w.streams))),
          formatInteger(median(runs.map((w) => w.chunks))),
          formatInteger(median(runs.map((w) => w.bytes / w.chunks))),
          (s.count! / median(runs.map((w) => w.chunks))).toFixed(1),
        ]);
      }
    }
    console.log(
      formatTable(
        ["stream", "streams/run", "chunks/run", "bytes/chunk", "events/chunk"],
        rows,
      ),
    );
    console.log(
      `\nthe worker's enqueues on fetch upload bodies (up chunks; "≤ 64 B": lone control envelopes), per run, and the time spent inside them\n`,
    );
    console.log(
      formatTable(
        [
          "peer",
          "enqueues/run",
          "≤ 64 B",
          "bytes/enqueue",
          "events/enqueue",
          "µs/enqueue",
          "inside, % of run",
        ],
        ok.flatMap((s) => {
          const runs = s.samples.flatMap((x) =>
            x.enqueues?.calls ? [{ ...x.enqueues, run: x.ms }] : [],
          );
          if (runs.length === 0) return [];
          const calls = median(runs.map((e) => e.calls));
          return [
            [
              LABEL[s.peer],
              formatInteger(calls),
              formatInteger(median(runs.map((e) => e.small))),
              formatInteger(median(runs.map((e) => e.bytes / e.calls))),
              (s.count! / calls).toFixed(1),
              median(runs.map((e) => (e.ms * 1000) / e.calls)).toFixed(1),
              `${median(runs.map((e) => (100 * e.ms) / e.run)).toFixed(0)} %`,
            ],
          ];
        }),
      ),
    );
  }

  const sp = find("streampath");
  const floorLine = (f: PeerState, r: PeerState) =>
    `floor (typed events, async iteration, no pair protocol) ÷ raw: ${formatRatio(rate(f) / rate(r))} — the most a typed API can reach here`;
  if (sp) {
    const lines: string[] = [];
    if (raw) {
      const r = rate(sp) / rate(raw);
      lines.push(
        `target: streampath msgs/s ≥ ${formatRatio(TARGET_VS_RAW)} the raw batched pair: ${formatRatio(r)} → ${r >= TARGET_VS_RAW ? "met" : "NOT MET"}`,
      );
      if (floor) lines.push(floorLine(floor, raw));
    }
    if (floor)
      lines.push(
        `streampath ÷ floor: ${formatRatio(rate(sp) / rate(floor))} (what the pair protocol and the rest of streampath cost over the typed floor)`,
      );
    if (ws) {
      const r = rate(sp) / rate(ws);
      lines.push(
        `target: streampath msgs/s ≥ ${formatRatio(TARGET_VS_WS)} ws (one event per message): ${formatRatio(r)} → ${r >= TARGET_VS_WS ? "met" : "NOT MET"}`,
      );
    }
    const batched = find("ws-batched");
    if (batched)
      lines.push(
        `(for information: streampath ÷ ws with batched messages ${formatRatio(rate(sp) / rate(batched))})`,
      );
    console.log("\n" + lines.join("\n"));
  } else if (floor && raw) console.log("\n" + floorLine(floor, raw));
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
