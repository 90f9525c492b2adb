// BENCH_BRIDGE_PROFILE=<peer>: one more run of that peer with V8's sampling
// profiler on the page's worker (CDP), and the functions with the most self
// time there. (The bare page exposes only its worker's session.)
import type { BarePage, TargetSession } from "../browser/bare-page.js";
import type { CpuProfile } from "../browser/profile.js";
import { formatTable } from "../lib/report.js";

async function start(session: { send: TargetSession["send"] }): Promise<void> {
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 100 });
  await session.send("Profiler.start");
}

/** Self time by function, in ms, the largest first. */
function selfTimes(profile: CpuProfile, top: number): [string, number][] {
  const byNode = new Map<number, number>();
  profile.samples?.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const name = `${frame.functionName || "(anonymous)"} ${frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : ""}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + (byNode.get(node.id) ?? 0) / 1000);
  }
  return [...byName].sort((a, b) => b[1] - a[1]).slice(0, top);
}

export async function profileWorker(page: BarePage, worker: TargetSession, run: () => Promise<unknown>): Promise<void> {
  const window = page.pageSession;
  await start(worker);
  await start(window);
  await run();
  for (const [name, session] of [["worker", worker], ["window", window]] as const) {
    const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
    console.log(`\n${name}: self time`);
    console.log(formatTable(["function", "ms"], selfTimes(profile, 25).map(([fn, ms]) => [fn, ms.toFixed(0)])));
  }
}
