/**
 * The sample app as `npm start` runs it (tsx with the "source" condition,
 * generated-sample/start.ts), on PORT=0, with its board in a temporary
 * DATA_DIR unless the test gives one, in its own process group so a
 * signal reaches it as Ctrl-C in a terminal would. Its output is kept line
 * by line for the test to wait on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ExecutionContext } from "ava";
import { type BoardHostClient, createBoardHostClient } from "../../generated-sample/gen/board/v1/hosts_host.js";
import { connectGateway } from "../../runtime/guest/index.js";
import { http2Fetch } from "../../runtime/guest/node.js";
import { ROOT } from "./generated.js";

export interface RunningApp {
  readonly url: string;
  /** Where the board is kept. */
  readonly dataDir: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every line the app printed so far (stdout and stderr). */
  readonly lines: string[];
  /** The first line matching `pattern`, waiting up to `ms` for it. */
  waitForLine(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` to the app's process group and resolves with its exit code (null: killed by a signal). */
  stop(signal: NodeJS.Signals, ms?: number): Promise<number | null>;
}

/** `script`: generated-sample/start.ts (`npm start`) or generated-sample/start-cluster.ts (`npm run start:cluster`). */
export async function startSampleApp(t: ExecutionContext, env: Record<string, string> = {}, script = "generated-sample/start.ts"): Promise<RunningApp> {
  let dataDir = env.DATA_DIR;
  if (dataDir === undefined) {
    const dir = (dataDir = mkdtempSync(path.join(tmpdir(), "streampath-board-")));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  }
  // tsx as a loader in the app's own process, as `npm start` runs it: the tsx CLI would put a parent
  // in between that relays signals and, if the child's report takes over 30 ms (a loaded machine), exits 130 itself.
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", script], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", ...env, DATA_DIR: dataDir },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const exit: Promise<number | null> = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  let exited = false;
  void exit.then(() => {
    exited = true;
    for (const wake of waiters) wake();
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      lines.push(...parts);
      for (const wake of waiters) wake();
    });
  }
  // The whole group, even when its leader has exited: what it started may live on without it.
  t.teardown(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // no process left in the group
    }
  });

  const waitForLine = async (pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + ms;
    for (;;) {
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return match;
      }
      if (exited) throw new Error(`the app exited before printing ${pattern}:\n${lines.join("\n")}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`the app printed no line matching ${pattern} within ${ms} ms:\n${lines.join("\n")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        waiters.add(done);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
      });
    }
  };

  const [, url, port] = await waitForLine(/streampath board(?:, \d+ instances)?: (https:\/\/localhost:(\d+)\/)/, 90_000);
  return {
    url: url!,
    dataDir,
    port: Number(port),
    child,
    lines,
    waitForLine,
    async stop(signal, ms = 10_000) {
      process.kill(-child.pid!, signal);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the app still runs ${ms} ms after ${signal}:\n${lines.join("\n")}`)), ms)));
      try {
        return await Promise.race([exit, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A BoardHost client of a running app, as a tab's worker reaches it: the gateway over HTTP/2, trusting the app's development certificate. */
export function appClient(t: ExecutionContext, app: RunningApp): BoardHostClient {
  const fetch = http2Fetch({ ca: readFileSync(path.join(ROOT, "generated-sample/.cert/dev-cert.pem"), "utf8") });
  const gateway = connectGateway(app.url.replace(/\/$/, ""), { fetch, retry: { attempts: 20, baseMs: 50, capMs: 500 } });
  t.teardown(() => {
    gateway.close();
    fetch.close();
  });
  return createBoardHostClient(gateway);
}
