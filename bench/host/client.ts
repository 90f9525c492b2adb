// Child process: one peer's client (`client.ts <peer> <url>`), driven by
// bench/host-echo.ts over IPC: each command is one stream or one ping-pong
// run, answered with its timing and this process's CPU time for it.
import { connect } from "./clients.js";
import { serveCommands } from "./ipc.js";
import { isPeer, type Peer } from "./servers.js";
import type { StreamSpec } from "./wire.js";

export interface StreamReply {
  readonly ms: number;
  /** CPU time of this (client) process during the run, µs. */
  readonly cpuUs: number;
}

const peer = process.argv[2] as Peer;
const url = process.argv[3]!;
if (!isPeer(peer)) throw new Error(`client.ts: unknown peer ${peer}`);
const client = await connect(peer, url);

serveCommands(
  {
    async stream(command): Promise<StreamReply> {
      const cpu = process.cpuUsage();
      const { ms } = await client.stream(command as unknown as StreamSpec);
      const used = process.cpuUsage(cpu);
      return { ms, cpuUs: used.user + used.system };
    },
    async pingPong(command) {
      return client.pingPong(
        command.count as number,
        command.payloadBytes as number,
      );
    },
  },
  () => client.close(),
);
