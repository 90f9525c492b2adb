// Child process: one peer's echo server (`server.ts <peer>`), driven by
// bench/host-echo.ts over IPC. Reports its port when listening, and its
// memory and CPU time on request.
import { serveCommands } from "./ipc.js";
import { isPeer, serve, type Peer } from "./servers.js";

export interface ServerStats {
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Largest resident set size so far, bytes. */
  readonly maxRss: number;
  /** process.cpuUsage(): user and system CPU time so far, µs. */
  readonly userUs: number;
  readonly systemUs: number;
}

export function processStats(): ServerStats {
  const cpu = process.cpuUsage();
  return {
    rss: process.memoryUsage.rss(),
    maxRss: process.resourceUsage().maxRSS * 1024,
    userUs: cpu.user,
    systemUs: cpu.system,
  };
}

const peer = process.argv[2] as Peer;
if (!isPeer(peer)) throw new Error(`server.ts: unknown peer ${peer}`);
const server = await serve(peer);
serveCommands({ stats: async () => processStats() }, () => server.close(), {
  port: server.port,
});
