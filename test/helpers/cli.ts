/** Runs the real CLI (bin/streampath.js) from the TypeScript sources, as a user's shell would. */
import { type ChildProcess, spawn } from "node:child_process";
import { ROOT } from "./generated.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const NODE_ARGS = ["--import", "tsx", "--conditions=source", "bin/streampath.js"];

export function startCli(args: string[], cwd = ROOT): ChildProcess {
  return spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0" }, ...(cwd !== ROOT ? { cwd } : {}) });
}

export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`streampath ${args.join(" ")} did not exit within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
