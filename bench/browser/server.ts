// Child process: one server of the browser benchmark (`server.ts host` or
// `server.ts ws`), driven by bench/browser-echo.ts over IPC (bench/host/ipc.ts).
// Commands:
//   start { tls, workerPath?, pairWindow? }  → { url }
//          (the host also serves the bundle)
//   profileStart { intervalUs } / profileStop → the V8 CPU profile of this process
//   wire → what the pair streams carried since the last `wire` (with
//          BENCH_BROWSER_WIRE=1 only; see wire.ts)
import { readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { serveCommands } from "../host/ipc.js";
import { loadEchoDescriptor } from "./build.js";
import {
  startHost,
  startWebSocketServer,
  type Server,
  type Tls,
} from "./servers.js";
import { takeWireStats, watchWire } from "./wire.js";
import { pairWindows } from "./protocol.js";

const kind = process.argv[2];
if (kind !== "host" && kind !== "ws")
  throw new Error(`server.ts: unknown server ${kind}`);

if (kind === "host" && process.env.BENCH_BROWSER_WIRE) watchWire();

let server: Server | undefined;
let profiler: Session | undefined;

serveCommands(
  {
    start: async (command) => {
      const tls = command.tls as Tls;
      server =
        kind === "host"
          ? await startHost(
              await loadEchoDescriptor(),
              readFileSync(command.workerPath as string, "utf8"),
              tls,
              command.pairWindow
                ? pairWindows(command.pairWindow as number)
                : undefined,
            )
          : await startWebSocketServer(tls);
      return { url: server.url };
    },
    profileStart: async (command) => {
      profiler = new Session();
      profiler.connect();
      await profiler.post("Profiler.enable");
      await profiler.post("Profiler.setSamplingInterval", {
        interval: command.intervalUs as number,
      });
      await profiler.post("Profiler.start");
      return null;
    },
    wire: async () => takeWireStats(),
    profileStop: async () => {
      if (!profiler) throw new Error("the profiler was not started");
      const { profile } = await profiler.post("Profiler.stop");
      await profiler.post("Profiler.disable");
      profiler.disconnect();
      profiler = undefined;
      return profile;
    },
  },
  async () => {
    await server?.close();
  },
);
