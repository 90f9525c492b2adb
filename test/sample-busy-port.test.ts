/**
 * `npm start` on a port something else holds: one line that names the port
 * and says how to choose another, exit code 1, no stack.
 */
import test from "ava";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./helpers/generated.js";

test("the sample on a busy port says which port and how to choose another", async (t) => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  t.teardown(() => holder.close());
  const port = (holder.address() as net.AddressInfo).port;
  const dataDir = mkdtempSync(path.join(tmpdir(), "streampath-busy-"));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", "generated-sample/start.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => child.kill("SIGKILL"));
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  t.is(code, 1);
  t.is(
    stderr.trim(),
    `createHost: cannot listen on 127.0.0.1:${port}: port ${port} is in use: stop what listens there, or choose another port (createHost's port; 0 for any free one)\n` +
      "To use another port: PORT=8443 npm start (PORT=0 picks a free one)",
  );
});
