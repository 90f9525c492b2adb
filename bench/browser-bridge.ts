// Window ↔ worker bridge benchmark: in one Debian Chromium page, a bidi echo
// of 64-byte events from the window to a dedicated worker and back through
//
//   streampath-streams  the generated Echo client over connectWorker, mode
//                       "streams" (batches on transferred ReadableStreams),
//                       served in the worker by serveWorker + serveBridge;
//   streampath-port     the same over mode "port" (batches on a MessagePort,
//                       with credits): connectWorker's default, so the row
//                       the target of 50× the naive transfer applies to;
//   naive-transfer      one event per chunk of a transferred ReadableStream,
//                       piped back through an identity TransformStream;
//   comlink-style       one postMessage per event on a MessagePort, echoed
//                       message by message, at most BENCH_BRIDGE_WINDOW in
//                       flight (pipelined: Comlink awaiting each call would
//                       be slower still).
//
// Every echo is checked (seq in order, payload). Per peer: a correctness pass,
// a count calibrated so a run takes about BENCH_BRIDGE_MS, then
// BENCH_BRIDGE_ROUNDS rounds visiting the peers in rotating order; the table
// shows medians. Started by `npm run bench:bridge` (tsx, TypeScript sources).
//
// Environment knobs: BENCH_BRIDGE_ROUNDS=5 BENCH_BRIDGE_MS=1000
//   BENCH_BRIDGE_WINDOW=1000 BENCH_BRIDGE_PEERS=<comma-separated subset>
//   BENCH_BRIDGE_PROFILE=<peer> (one more run of it with the worker and the
//     window profiled), BENCH_BRIDGE_VERBOSE=1 (each run's rate as it ends),
//   BENCH_BRIDGE_LIMITS=<window>,<maxBatch> (the streampath peers' bridge limits)
import { launchChromium, CHROMIUM } from "../test/helpers/browser.js";
import { openBarePage } from "./browser/bare-page.js";
import { bundle, generateEcho } from "./bridge/build.js";
import { profileWorker } from "./bridge/profile.js";
import { PEERS, type Peer, type RunCommand, type RunResult } from "./bridge/protocol.js";
import { servePage } from "./bridge/server.js";
import { median } from "./lib/measure.js";
import { describeMachine, formatInteger, formatRatio, formatTable, loud } from "./lib/report.js";

const ROUNDS = Number(process.env.BENCH_BRIDGE_ROUNDS ?? 5);
const TARGET_MS = Number(process.env.BENCH_BRIDGE_MS ?? 1000);
const WINDOW = Number(process.env.BENCH_BRIDGE_WINDOW ?? 1000);
const TARGET_RATIO = 50;
/** BENCH_BRIDGE_LIMITS=<window>,<maxBatch>: the streampath peers' bridge limits instead of the defaults (a diagnostic). */
const BRIDGE_LIMITS = process.env.BENCH_BRIDGE_LIMITS
  ? (([window, maxBatch]) => ({ window, maxBatch }))(process.env.BENCH_BRIDGE_LIMITS.split(",").map(Number))
  : undefined;
const peers = (process.env.BENCH_BRIDGE_PEERS?.split(",") ?? [...PEERS]) as Peer[];
for (const peer of peers) if (!PEERS.includes(peer)) throw new Error(`unknown peer ${peer}; peers: ${PEERS.join(", ")}`);

console.log(describeMachine());
generateEcho();
const [pageBundle, workerBundle] = await Promise.all([bundle("page"), bundle("worker")]);
const { url, server } = await servePage(pageBundle, workerBundle);
const browser = await launchChromium();
console.log(`chromium ${browser.version()} (${CHROMIUM}), page ${url}\n`);
const page = await openBarePage(browser, url);

try {
  const run = (command: RunCommand) =>
    page.evaluate<RunResult>(`runPeer(${JSON.stringify(BRIDGE_LIMITS ? { ...command, bridge: BRIDGE_LIMITS } : command)})`);
  const count = new Map<Peer, number>();
  for (const peer of peers) {
    await run({ peer, count: 2000, window: WINDOW }); // correctness and warm-up: throws on a bad echo
    let n = 2000;
    for (let i = 0; i < 6; i++) {
      const { ms } = await run({ peer, count: n, window: WINDOW });
      if (ms >= TARGET_MS / 2) break;
      n = Math.min(5_000_000, Math.ceil((n * TARGET_MS) / Math.max(ms, 1)));
    }
    count.set(peer, n);
  }
  const rates = new Map<Peer, number[]>(peers.map((peer) => [peer, []]));
  // Each measured run starts from a collected heap in both threads: otherwise the garbage of
  // the run before (another peer's) is collected during this one, and a run's rate depends on
  // which peer came before it (streams mode after another peer: 200–250k, after itself: 340k).
  const worker = await page.workerSession();
  const collectGarbage = () =>
    Promise.all([page.pageSession.send("HeapProfiler.collectGarbage"), worker.send("HeapProfiler.collectGarbage")]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[(i + round) % peers.length]!;
      await collectGarbage();
      const { ms, checked } = await run({ peer, count: count.get(peer)!, window: WINDOW });
      rates.get(peer)!.push(checked / (ms / 1000));
      if (process.env.BENCH_BRIDGE_VERBOSE) console.log(peer, count.get(peer), Math.round(checked / (ms / 1000)));
    }
  }
  const rate = (peer: Peer) => median(rates.get(peer)!);
  const has = (peer: Peer) => peers.includes(peer);
  const rows = peers.map((peer) => [
    peer,
    formatInteger(count.get(peer)!),
    formatInteger(rate(peer)),
    has("naive-transfer") ? formatRatio(rate(peer) / rate("naive-transfer")) : "-",
    has("comlink-style") ? formatRatio(rate(peer) / rate("comlink-style")) : "-",
  ]);
  console.log(`bidi echo of 64-byte events, window → worker → window; medians of ${ROUNDS} rounds\n`);
  console.log(formatTable(["peer", "events/run", "msgs/s", "vs naive", "vs comlink"], rows));
  if (has("naive-transfer")) {
    // The target is the generated clients' as users get them: connectWorker's default mode (port).
    for (const peer of ["streampath-port", "streampath-streams"] as const) {
      if (!has(peer)) continue;
      const ratio = rate(peer) / rate("naive-transfer");
      if (peer === "streampath-streams") {
        console.log(`\n${peer} (mode "streams", not the default): ${formatRatio(ratio)} the naive transfer`);
        continue;
      }
      const verdict = ratio >= TARGET_RATIO ? "meets" : "MISSES";
      console.log(`\n${peer} (the default mode): ${formatRatio(ratio)} the naive transfer — ${verdict} the target of ${TARGET_RATIO}×`);
      if (ratio < TARGET_RATIO) loud(`${peer} is below ${TARGET_RATIO}× the naive transfer`);
    }
  }
  const profiled = process.env.BENCH_BRIDGE_PROFILE as Peer | undefined;
  if (profiled) await profileWorker(page, worker, () => run({ peer: profiled, count: count.get(profiled) ?? 100_000, window: WINDOW }));
} finally {
  await page.close();
  await browser.close();
  server.close();
}
