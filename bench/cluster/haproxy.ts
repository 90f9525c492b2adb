// Debian's haproxy in front of the benchmark's two instances, as
// test/helpers/haproxy.ts runs it for the tests, with two differences: the
// front is cleartext HTTP/2 (h2c, like the instances), so that its rows
// differ from "same" by the balancer and forwarding, not by TLS; and one
// process has two fronts: one balancing every request (HTTP/2 stream)
// round-robin, one sending a pair half to the instance its id names.
//
// haproxy lets a client have 100 streams at once on a connection by
// default (tune.h2.max-concurrent-streams); a pair holds two, so a browser
// behind it has at most 50 calls open, and more wait for a stream. The
// benchmark opens 100 calls at once and times them only when all are open,
// so its haproxy allows 1,000, as the host does.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { accepts, freePort } from "../../test/helpers/ports.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PairHeader } from "../../runtime/core/pair.js";

export const HAPROXY = "/usr/sbin/haproxy";

export interface Haproxy {
  /** `http://127.0.0.1:PORT`: every request to the next instance in turn. */
  readonly roundRobinUrl: string;
  /** `http://127.0.0.1:PORT`: a half with a pair id to the instance it names, others round-robin. */
  readonly byIdUrl: string;
  readonly version: string;
  /** CPU time (user + system, all threads) so far, µs; 10 ms resolution. */
  cpuUs(): number;
  stop(): Promise<void>;
}

export function haproxyConfig(
  backends: Record<string, string>,
  roundRobinPort: number,
  byIdPort: number,
): string {
  const servers = Object.entries(backends).map(
    ([name, url]) => `    server ${name} ${new URL(url).host} proto h2`,
  );
  return [
    "global",
    "    maxconn 4000",
    "    tune.h2.max-concurrent-streams 1000",
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 60s",
    // Longer than the pair's heartbeat (15 s): the most a backend may be silent on a stream.
    "    timeout server 60s",
    "frontend round-robin",
    `    bind 127.0.0.1:${roundRobinPort} proto h2`,
    "    default_backend round-robin",
    "frontend by-id",
    `    bind 127.0.0.1:${byIdPort} proto h2`,
    "    default_backend by-id",
    "backend round-robin",
    "    balance roundrobin",
    ...servers,
    "backend by-id",
    "    balance roundrobin",
    ...Object.keys(backends).map(
      (name) =>
        `    use-server ${name} if { req.hdr(${PairHeader.id}) -m beg ${name}. }`,
    ),
    ...servers,
    "",
  ].join("\n");
}

/** Starts haproxy in the foreground; throws with its output if it does not come up. */
export async function startHaproxy(
  backends: Record<string, string>,
): Promise<Haproxy> {
  const version =
    execFileSync(HAPROXY, ["-v"], { encoding: "utf8" })
      .split("\n")[0]
      ?.replace(/ - https?:.*$/, "") ?? "haproxy";
  const dir = mkdtempSync(join(tmpdir(), "streampath-bench-haproxy-"));
  const [roundRobinPort, byIdPort] = [await freePort(), await freePort()];
  const config = join(dir, "haproxy.cfg");
  writeFileSync(config, haproxyConfig(backends, roundRobinPort, byIdPort));
  execFileSync(HAPROXY, ["-c", "-q", "-f", config]);
  const child: ChildProcess = spawn(HAPROXY, ["-db", "-f", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on(
    "data",
    (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)),
  );
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve()),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of [roundRobinPort, byIdPort]) {
      for (const until = Date.now() + 5000; !(await accepts(port));) {
        if (child.exitCode !== null || Date.now() > until)
          throw new Error(`haproxy did not start: ${stderr.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const ticksUs = 1e6 / clockTicks();
  return {
    roundRobinUrl: `http://127.0.0.1:${roundRobinPort}`,
    byIdUrl: `http://127.0.0.1:${byIdPort}`,
    version,
    cpuUs: () => {
      // /proc/PID/stat: fields 14 and 15 (utime, stime) after the ")" that ends the name.
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * ticksUs;
    },
    stop,
  };
}

function clockTicks(): number {
  try {
    return (
      Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100
    );
  } catch {
    return 100;
  }
}
