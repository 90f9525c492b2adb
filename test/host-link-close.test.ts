/**
 * `await link.close()` must settle even when nothing else keeps the process
 * alive: an idle link's session is unref'd, and a script ending on that
 * await would otherwise exit with code 13 (an unsettled top-level await).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import test from "ava";
import { createHost } from "../runtime/host/index.js";

const SCRIPT = fileURLToPath(new URL("./fixtures/link/close-idle.mts", import.meta.url));

test("a script whose last act is awaiting close() on an idle link ends normally", async (t) => {
  const host = await createHost({ h2c: true, services: [] });
  t.teardown(() => host.close());
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--conditions=source", SCRIPT, host.url], {
    timeout: 30_000,
  });
  t.deepEqual(stdout.trim().split("\n"), ["called: unimplemented", "closed"]);
});
