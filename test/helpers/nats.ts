/**
 * A real nats-server with JetStream for one test: on 127.0.0.1, a port the server picks
 * (`-p -1`, read back from its log), a store directory of its own; stopped (SIGTERM, then
 * SIGKILL) and the directory removed when the test ends. Without nats-server the test fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { ExecutionContext } from "ava";

export interface NatsServer {
  /** `127.0.0.1:port`, for `servers`. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGKILL, as a crash: nothing is flushed or said goodbye to. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store directory. */
  start(): Promise<void>;
}

const INSTALL = "nats-server is not installed: apt-get install -y nats-server";

function binary(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/sbin", "/usr/bin"])) {
    const file = path.join(dir, "nats-server");
    if (fs.existsSync(file)) return file;
  }
  throw new Error(INSTALL);
}

/** `jetstream: false` starts a server without JetStream, to see it refused. */
export async function startNats(t: ExecutionContext, { jetstream = true } = {}): Promise<NatsServer> {
  const bin = binary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streampath-nats-"));
  let child: ChildProcess | undefined;
  let port = -1;

  const launch = async (): Promise<void> => {
    const args = [...(jetstream ? ["-js", "-sd", dir] : []), "-a", "127.0.0.1", "-p", String(port)];
    const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    let log = "";
    const listening = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
      proc.once("error", (err) => (clearTimeout(timer), reject(err)));
      proc.once("exit", (code) => (clearTimeout(timer), reject(new Error(`nats-server exited with ${code}:\n${log}`))));
      proc.stderr!.on("data", (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-20_000);
        const at = /Listening for client connections on [\d.]+:(\d+)[\s\S]*Server is ready/.exec(log);
        if (at) (clearTimeout(timer), resolve(Number(at[1])));
      });
    });
    proc.stderr!.resume(); // keep draining its log so it never blocks on a full pipe
    port = listening;
    await accepts(port);
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  t.teardown(async () => {
    await stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await launch();
  return {
    get url() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    dir,
    kill: () => stop("SIGKILL"),
    start: launch,
  };
}

/** Resolves once a TCP connection to `port` succeeds; fails after 5 s. */
async function accepts(port: number): Promise<void> {
  const end = Date.now() + 5_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nats-server is not accepting on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
