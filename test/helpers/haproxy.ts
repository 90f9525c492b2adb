/**
 * Debian's haproxy in front of several host instances, as a deployment runs
 * it: TLS and HTTP/2 to browsers, HTTP/2 (h2c) to each instance, balancing
 * per request (per HTTP/2 stream) round-robin, or choosing the instance
 * named in a pair id — the config `npm run start:cluster` runs
 * (generated-sample/app/haproxy-config.ts; docs/deploy.md explains it).
 * Started in the foreground on a free port and stopped at the test's teardown.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { accepts, freePort } from "./ports.js";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ExecutionContext } from "ava";
import { haproxyConfig } from "../../generated-sample/app/haproxy-config.js";
import { sleep } from "./host.js";

export const HAPROXY_INSTALL = "haproxy is not installed: apt-get install -y haproxy";

export interface Backend {
  name: string;
  /** `http://127.0.0.1:PORT` of an h2c instance. */
  url: string;
}

export interface HaproxyOptions {
  backends: Backend[];
  /** "round-robin": any request to any instance; "pair-id": a pair half to the instance its id names. */
  route: "round-robin" | "pair-id";
  tls: { key: string; cert: string };
  /** haproxy's `timeout server`: the longest an instance may say nothing on a stream. Default 60 s. */
  timeoutServerMs?: number;
}

export interface Haproxy {
  /** `https://localhost:PORT`. */
  url: string;
  port: number;
  process: ChildProcess;
}

export async function startHaproxy(t: ExecutionContext, options: HaproxyOptions): Promise<Haproxy> {
  try {
    execFileSync("haproxy", ["-v"], { stdio: "ignore" });
  } catch {
    throw new Error(HAPROXY_INSTALL);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-haproxy-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pem = path.join(dir, "site.pem");
  writeFileSync(pem, options.tls.cert + options.tls.key);
  const port = await freePort();
  const config = path.join(dir, "haproxy.cfg");
  writeFileSync(config, haproxyConfig({ ...options, port, pem }));
  execFileSync("haproxy", ["-c", "-q", "-f", config]);
  const child = spawn("haproxy", ["-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  t.teardown(async () => {
    if (stderr.includes("[WARNING]") || stderr.includes("[ALERT]")) t.log(`haproxy said: ${stderr.trim()}`);
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(3000).then(() => child.kill("SIGKILL"))]);
  });
  for (const until = Date.now() + 5000; !(await accepts(port)); ) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`haproxy did not start: ${stderr}`);
    await sleep(20);
  }
  return { url: `https://localhost:${port}`, port, process: child };
}
