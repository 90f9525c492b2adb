// Child process: one host instance of the cluster benchmark
// (`instance.ts <name> <genDir>`), driven by bench/pair-forward.ts over IPC.
// Serves the bench echo (bench/schema/echo.proto, generated into <genDir>)
// on h2c as a member of a cluster whose membership the parent fills in with
// `members` once every instance listens. Answers `stats` with its CPU time,
// memory and the pair halves it forwarded.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createHost,
  implement,
  staticMembership,
  type ForwardCounts,
  type Membership,
  type ServiceDescriptor,
} from "streampath/runtime/host";
import { serveCommands } from "../host/ipc.js";
import type { SpEvent } from "../host/generated.js";

export interface InstanceStats {
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Largest resident set size so far, bytes. */
  readonly maxRss: number;
  /** process.cpuUsage() so far (user + system), µs. */
  readonly cpuUs: number;
  /** Pair halves this instance forwarded to their owner so far. */
  readonly forwarded: ForwardCounts;
}

const name = process.argv[2]!;
const genDir = process.argv[3]!;
const { Echo } = (await import(
  pathToFileURL(join(genDir, "echo_host.ts")).href
)) as { Echo: ServiceDescriptor };

/** The other instances, given by the parent (`members`) once all listen. */
let membership: Membership = staticMembership({});
const host = await createHost({
  h2c: true,
  services: [
    implement(Echo, {
      async *echo(requests: AsyncIterable<SpEvent>) {
        for await (const event of requests) yield event;
      },
    }),
  ],
  cluster: {
    instanceId: name,
    membership: { resolve: (instance) => membership.resolve(instance) },
  },
});

serveCommands(
  {
    async members(command) {
      membership = staticMembership(command.urls as Record<string, string>);
      return null;
    },
    async stats(): Promise<InstanceStats> {
      const cpu = process.cpuUsage();
      return {
        rss: process.memoryUsage.rss(),
        maxRss: process.resourceUsage().maxRSS * 1024,
        cpuUs: cpu.user + cpu.system,
        forwarded: { ...host.forwarded },
      };
    },
  },
  () => host.close(1000),
  { port: host.port },
);
