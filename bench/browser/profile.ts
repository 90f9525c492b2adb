// BENCH_BROWSER_PROFILE=<dir>: one more run of streampath (or of the peer in
// BENCH_BROWSER_PROFILE_PEER, e.g. floor, to compare) with V8's sampling
// profiler on both sides — the worker over CDP (a session to the page's
// worker, see bare-page.ts), the host
// process with node:inspector (bench/browser/server.ts) — and a summary of
// where the time goes.
// The .cpuprofile files open in Chrome DevTools (Performance → load).
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { formatTable } from "../lib/report.js";
import { repoRoot } from "../lib/paths.js";
import type { WorkerPort } from "../browser-echo.js";
import type { Child } from "../host/ipc.js";
import type { BarePage } from "./bare-page.js";
import type { Peer } from "./protocol.js";

/** The parts of a .cpuprofile this summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: {
      functionName: string;
      url: string;
      lineNumber: number;
      columnNumber: number;
    };
    hitCount?: number;
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const SAMPLING_US = 100;

export async function profileRun(
  page: BarePage,
  host: Child,
  port: WorkerPort,
  dir: string,
  count: number,
  window: number,
  workerScript: string,
  peer: Peer = "streampath",
): Promise<void> {
  const worker = await page.workerSession();
  try {
    await worker.send("Profiler.enable");
    await worker.send("Profiler.setSamplingInterval", {
      interval: SAMPLING_US,
    });
    await worker.send("Profiler.start");
    await host.request("profileStart", { intervalUs: SAMPLING_US });
    const started = performance.now();
    await port.command({ op: "stream", peer, count, window });
    const ms = performance.now() - started;
    const hostProfile = await host.request<CpuProfile>("profileStop");
    const { profile: workerProfile } = await worker.send<{
      profile: CpuProfile;
    }>("Profiler.stop");
    writeFileSync(
      join(dir, "worker.cpuprofile"),
      JSON.stringify(workerProfile),
    );
    writeFileSync(join(dir, "host.cpuprofile"), JSON.stringify(hostProfile));
    writeFileSync(join(dir, "worker.js"), workerScript);
    console.log(
      `\nprofiled one ${peer} run of ${count} events (${ms.toFixed(0)} ms with the profilers on, ${((count * 1000) / ms).toFixed(0)} msgs/s);` +
        ` profiles in ${relative(repoRoot, dir) || dir}/{worker,host}.cpuprofile, the bundle as worker.js`,
    );
    const moduleOfLine = bundleModules(workerScript);
    summarize("worker (Chromium)", workerProfile, count, (frame) =>
      frame.url.endsWith("/worker.js")
        ? (moduleOfLine(frame.lineNumber) ?? "worker.js")
        : shortUrl(frame.url),
    );
    summarize("host (node)", hostProfile, count, (frame) =>
      shortUrl(frame.url),
    );
  } finally {
    await worker.detach();
  }
}

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const path = url.replace(/^file:\/\//, "");
  if (path.startsWith(repoRoot)) return path.slice(repoRoot.length);
  if (path.startsWith("node:")) return path;
  const nm = path.lastIndexOf("node_modules/");
  return nm >= 0 ? path.slice(nm) : path;
}

/**
 * esbuild's bundle marks where each module starts with a `// path` comment
 * line; maps a 0-based line of the bundle to its module.
 */
function bundleModules(script: string): (line: number) => string | undefined {
  const starts: { line: number; module: string }[] = [];
  script.split("\n").forEach((text, line) => {
    const match = /^\/\/ ((?:\.\.\/)*[\w@./-]+\.(?:ts|js|mjs))$/.exec(text);
    if (match) starts.push({ line, module: match[1]! });
  });
  return (line) => {
    let found: string | undefined;
    for (const start of starts) {
      if (start.line > line) break;
      found = start.module;
    }
    return found;
  };
}

/** Self time by function and by module, and the heaviest functions including callees. */
function summarize(
  side: string,
  profile: CpuProfile,
  events: number,
  moduleOf: (frame: CpuProfile["nodes"][number]["callFrame"]) => string,
): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes)
    for (const c of n.children ?? []) parent.set(c, n.id);

  const idle = new Set(["(idle)", "(program)", "(root)"]);
  const keyOf = (id: number) => {
    const { callFrame } = byId.get(id)!;
    const name = callFrame.functionName || "(anonymous)";
    return idle.has(name) || name === "(garbage collector)"
      ? name
      : `${name} ${moduleOf(callFrame)}:${callFrame.lineNumber + 1}`;
  };
  const bySelf = new Map<string, number>();
  const byModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    total += us;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    bySelf.set(keyOf(id), (bySelf.get(keyOf(id)) ?? 0) + us);
    if (idle.has(name)) continue;
    busy += us;
    const module =
      name === "(garbage collector)"
        ? "(garbage collector)"
        : moduleOf(node.callFrame);
    byModule.set(module, (byModule.get(module) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (
      let at: number | undefined = id;
      at !== undefined;
      at = parent.get(at)
    ) {
      const key = keyOf(at);
      if (seen.has(key) || idle.has(byId.get(at)!.callFrame.functionName))
        continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const row = (key: string, us: number) => [
    key,
    `${(us / 1000).toFixed(0)} ms`,
    `${((100 * us) / busy).toFixed(1)} %`,
    `${((us / events) * 1000).toFixed(0)} ns`,
  ];
  const top = (map: Map<string, number>, n: number, skip = idle) =>
    [...map]
      .filter(([k]) => !skip.has(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  console.log(
    `\n${side}: busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled` +
      ` (idle ${((bySelf.get("(idle)") ?? 0) / 1000).toFixed(0)} ms, program ${((bySelf.get("(program)") ?? 0) / 1000).toFixed(0)} ms); % of busy, per event\n`,
  );
  console.log(
    formatTable(
      ["module (self time)", "time", "share", "per event"],
      top(byModule, 14).map(([k, us]) => row(k, us)),
    ),
  );
  console.log("");
  console.log(
    formatTable(
      ["function (self time)", "time", "share", "per event"],
      top(bySelf, 20).map(([k, us]) => row(k, us)),
    ),
  );
  console.log("");
  console.log(
    formatTable(
      ["function (with callees)", "time", "share", "per event"],
      top(inclusive, 20).map(([k, us]) => row(k, us)),
    ),
  );
}
