// Where the CPU time of a run goes: the server processes (Node children of
// the driver: TLS, HTTP/2, streampath's host, ws) and every Chromium process
// the driver started, by kind, with the renderer's dedicated-worker threads
// (where the benchmark's client code runs) apart. The driver's own time
// (Playwright) is kept aside. Read from /proc (Linux), in clock ticks of
// 10 ms, so only runs of a second or so give meaningful numbers.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export const CPU_PARTS = [
  "servers",
  "worker",
  "renderer",
  "network",
  "browser",
  "other",
] as const;
export type CpuPart = (typeof CPU_PARTS)[number];

export const CPU_PART_LABEL: Record<CpuPart, string> = {
  servers: "servers (node)",
  worker: "worker thread",
  renderer: "rest of renderer",
  network: "network service",
  browser: "browser process",
  other: "other chromium",
};

/** CPU time in µs per part, and of the driver. */
export type CpuTimes = Record<CpuPart | "driver", number>;

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(
        execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim(),
      );
    } catch {
      ticksPerSecond = 100;
    }
    if (!(ticksPerSecond > 0)) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`; undefined if it is gone. */
function readStat(path: string): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    pid: Number(text.slice(0, open)),
    comm: text.slice(open + 1, close),
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

function kindOf(pid: number, comm: string): CpuPart {
  if (comm === "node") return "servers";
  if (!comm.startsWith("chrom")) return "other";
  let cmdline: string;
  try {
    // Chromium rewrites its children's argv (setproctitle): one
    // space-separated string rather than NUL-separated arguments.
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    if (cmdline.includes("chrome_crashpad_handler")) return "other";
  } catch {
    return "other";
  }
  const type = /(?:^| )--type=(\S+)/.exec(cmdline)?.[1];
  if (type === undefined) return "browser";
  if (type === "renderer") return "renderer";
  if (/--utility-sub-type=network\.mojom\.NetworkService/.test(cmdline))
    return "network";
  return "other";
}

const kinds = new Map<number, CpuPart>();

/** CPU time so far of this process and of every process below it. */
export function cpuTimes(): CpuTimes {
  const usage = process.cpuUsage();
  const times: CpuTimes = {
    driver: usage.user + usage.system,
    servers: 0,
    worker: 0,
    renderer: 0,
    network: 0,
    browser: 0,
    other: 0,
  };
  const children = new Map<number, Stat[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(`/proc/${name}/stat`);
    if (!stat) continue;
    let list = children.get(stat.ppid);
    if (!list) children.set(stat.ppid, (list = []));
    list.push(stat);
  }
  const us = 1e6 / clockTicks();
  const queue = [...(children.get(process.pid) ?? [])];
  while (queue.length > 0) {
    const stat = queue.shift()!;
    queue.push(...(children.get(stat.pid) ?? []));
    let kind = kinds.get(stat.pid);
    if (kind === undefined)
      kinds.set(stat.pid, (kind = kindOf(stat.pid, stat.comm)));
    if (kind === "renderer") {
      // Split the renderer: its DedicatedWorker threads run the client.
      let workerTicks = 0;
      let tasks: string[] = [];
      try {
        tasks = readdirSync(`/proc/${stat.pid}/task`);
      } catch {
        // the process is gone
      }
      for (const tid of tasks) {
        const task = readStat(`/proc/${stat.pid}/task/${tid}/stat`);
        if (task?.comm.startsWith("DedicatedWorker")) workerTicks += task.ticks;
      }
      times.worker += workerTicks * us;
      times.renderer += (stat.ticks - workerTicks) * us;
    } else times[kind] += stat.ticks * us;
  }
  return times;
}

export function cpuDelta(before: CpuTimes, after: CpuTimes): CpuTimes {
  const delta = { driver: after.driver - before.driver } as CpuTimes;
  for (const part of CPU_PARTS) delta[part] = after[part] - before[part];
  return delta;
}
