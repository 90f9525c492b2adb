/**
 * `npm run start:cluster`: the sample board scaled out on this machine.
 * nats-server with JetStream (its store in generated-sample/.data/nats),
 * three equal board hosts b1 b2 b3 as processes of their own (h2c on
 * 127.0.0.1, each knowing the others, the board on NATS), and haproxy in
 * front: TLS with the development certificate, round-robin per request,
 * health checks on the hosts' health path. Prints one URL and each host's
 * pid: `kill` one and the board goes on (nothing is restarted). Ctrl-C
 * (SIGINT) or SIGTERM drains the hosts, then stops haproxy and nats-server.
 * PORT (default 8443; 0: any free port) is haproxy's; DATA_DIR (default
 * generated-sample/.data) where NATS and the run's files go.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stop as stopEsbuild } from "esbuild";
import { developmentCertificate } from "streampath/runtime/host";
import { bundleApp } from "./app/bundle.js";
import { haproxyConfig } from "./app/haproxy-config.js";

const INSTALL = "apt-get install -y nats-server haproxy";
const NAMES = ["b1", "b2", "b3"];
const HERE = fileURLToPath(new URL(".", import.meta.url));

/** A program on PATH, or in Debian's sbin (not on a user's PATH). */
function find(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/bin", "/sbin"];
  return dirs.filter(Boolean).map((dir) => path.join(dir, program)).find((file) => existsSync(file));
}

const natsBin = find("nats-server");
const haproxyBin = find("haproxy");
if (!natsBin || !haproxyBin) {
  console.error(`start:cluster needs ${[!natsBin && "nats-server", !haproxyBin && "haproxy"].filter(Boolean).join(" and ")}:\n  ${INSTALL}`);
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8443);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0 for any free port), not ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
const data = process.env.DATA_DIR || path.join(HERE, ".data");
const run = path.join(data, "cluster");
mkdirSync(run, { recursive: true });

interface Started {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}
const started: Started[] = [];
let stopping = false;

/** Starts `program`, its output prefixed with `name`, in its own process group so Ctrl-C reaches only us. */
function start(name: string, program: string, args: string[], env: Record<string, string> = {}): Started & { lines: (pattern: RegExp, ms: number) => Promise<RegExpMatchArray> } {
  const child = spawn(program, args, { env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  const exited = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
    if (!stopping) console.log(`${name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); not restarted`);
    resolve();
    for (const wake of waiters) wake();
  }));
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        seen.push(line);
        if (name !== "nats-server" || /\[(ERR|WRN|FTL)\]/.test(line)) console.log(line.startsWith(`${name}:`) ? line : `${name}: ${line}`);
      }
      for (const wake of waiters) wake();
    });
  }
  const entry = { name, child, exited };
  started.push(entry);
  const lines = async (pattern: RegExp, ms: number): Promise<RegExpMatchArray> => {
    for (const until = Date.now() + ms; ; ) {
      const match = seen.map((line) => line.match(pattern)).find(Boolean);
      if (match) return match;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
        throw new Error(`${name} did not say ${pattern}:\n${seen.slice(-20).join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const done = () => (waiters.delete(done), clearTimeout(timer), resolve());
        const timer = setTimeout(done, 200);
        waiters.add(done);
      });
    }
  };
  return { ...entry, lines };
}

/** SIGTERM, then SIGKILL after `ms`. */
async function stop(entry: Started, ms: number): Promise<void> {
  const { child } = entry;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  await entry.exited;
  clearTimeout(timer);
}

async function shutdown(reason: string, code = 0): Promise<never> {
  if (stopping) process.exit(1); // asked twice: the operator will not wait
  stopping = true;
  console.log(`${reason}: draining the board hosts, then stopping haproxy and nats-server`);
  const hosts = started.filter((s) => NAMES.includes(s.name));
  await Promise.all(hosts.map((s) => stop(s, 5000)));
  for (const name of ["haproxy", "nats-server"]) for (const s of started.filter((s) => s.name === name)) await stop(s, 5000);
  console.log("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
// Whatever ends us, the children (in their own process groups) must not outlive us.
process.on("exit", () => started.forEach((s) => s.child.exitCode === null && s.child.signalCode === null && s.child.kill("SIGKILL")));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

try {
  const bundleFile = path.join(run, "bundle.json");
  writeFileSync(bundleFile, JSON.stringify(await bundleApp()));
  await stopEsbuild();
  const tls = developmentCertificate({ dir: path.join(HERE, ".cert") });
  if (tls.made) console.log(`made a self-signed certificate for localhost in ${path.join(HERE, ".cert")}`);

  const natsDir = path.join(data, "nats");
  const nats = start("nats-server", natsBin, ["-js", "-sd", natsDir, "-a", "127.0.0.1", "-p", "-1"]);
  const [, natsPort] = await nats.lines(/Listening for client connections on [\d.]+:(\d+)/, 15_000);
  await nats.lines(/Server is ready/, 15_000);

  const members: Record<string, string> = {};
  for (const name of NAMES) members[name] = `http://127.0.0.1:${await freePort()}`;
  const hosts = NAMES.map((name) =>
    start(name, process.execPath, ["--import", "tsx", "--conditions=source", path.join(HERE, "app/cluster-instance.ts")], {
      INSTANCE: name,
      PORT: new URL(members[name]!).port,
      NATS: `127.0.0.1:${natsPort}`,
      MEMBERS: JSON.stringify(members),
      BUNDLE: bundleFile,
    }),
  );
  await Promise.all(hosts.map((host) => host.lines(new RegExp(`^${host.name}: serving on`), 60_000)));

  const front = port === 0 ? await freePort() : port;
  const pem = path.join(run, "site.pem");
  writeFileSync(pem, tls.cert + tls.key, { mode: 0o600 });
  const config = path.join(run, "haproxy.cfg");
  writeFileSync(config, haproxyConfig({ port: front, pem, backends: Object.entries(members).map(([name, url]) => ({ name, url })) }));
  execFileSync(haproxyBin, ["-c", "-q", "-f", config], { stdio: ["ignore", "ignore", "inherit"] });
  const haproxy = start("haproxy", haproxyBin, ["-db", "-f", config]);
  // Up once every host passed two health checks (rise 2 × 500 ms).
  await Promise.race([new Promise((resolve) => setTimeout(resolve, 1500)), haproxy.exited.then(() => Promise.reject(new Error("haproxy exited")))]);

  console.log(`\nstreampath board, 3 instances: https://localhost:${front}/`);
  console.log(hosts.map((h) => `  ${h.name}: pid ${h.child.pid} on ${members[h.name]}`).join("\n"));
  console.log(`  nats-server: pid ${nats.child.pid}, JetStream in ${natsDir}; haproxy: pid ${haproxy.child.pid}`);
  console.log("(kill a host's pid and the board goes on, nothing restarts it; Ctrl-C stops everything)\n");
} catch (error) {
  console.error(`start:cluster failed: ${(error as Error).message}`);
  await shutdown("failed", 1);
}
