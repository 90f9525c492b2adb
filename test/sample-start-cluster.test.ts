/**
 * `npm run start:cluster` as a user runs it: nats-server, three board host
 * processes and haproxy; one URL serves the page and the board; a host
 * killed (SIGKILL, a crash) is not restarted and the board goes on through
 * the other two; Ctrl-C stops everything. Fails without nats-server or
 * haproxy, with the command that installs them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "ava";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import { fromArray } from "./helpers/host.js";
import { appClient, startSampleApp } from "./helpers/sample-app.js";
import { addCard, newCard } from "./helpers/sample-hosts.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { rejectUnauthorized: false });
    session.on("error", reject);
    const request = session.request({ ":path": "/" });
    request.on("response", (headers) => {
      resolve(Number(headers[":status"]));
      session.close();
    });
    request.on("error", reject);
    request.end();
  });
}

test("start:cluster: one URL, three hosts; kill one and the board goes on; Ctrl-C stops them all", async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "streampath-cluster-"));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = await startSampleApp(t, { DATA_DIR: dataDir }, "generated-sample/start-cluster.ts");
  await app.waitForLine(/Ctrl-C stops everything/);
  const pids = Object.fromEntries(app.lines.flatMap((line) => [...line.matchAll(/(b\d|nats-server|haproxy): pid (\d+)/g)].map((m) => [m[1]!, Number(m[2])])));
  t.deepEqual(Object.keys(pids).sort(), ["b1", "b2", "b3", "haproxy", "nats-server"], app.lines.join("\n"));
  t.teardown(() => Object.values(pids).forEach((pid) => alive(pid) && process.kill(pid, "SIGKILL")));

  t.is(await get(app.url), 200, "the page, through haproxy");
  const board = appClient(t, app);
  for await (const ack of board.edit(fromArray([1, 2, 3].map((i) => addCard(`ch-${i}`, newCard(`c${i}`, `Card ${i}`)))))) t.is(ack.rejectedReason, undefined);

  process.kill(pids.b2!, "SIGKILL");
  await app.waitForLine(/^b2 \(pid \d+\) exited \(SIGKILL\); not restarted$/, 10_000);
  for await (const ack of board.edit(fromArray([4, 5, 6].map((i) => addCard(`ch-${i}`, newCard(`c${i}`, `Card ${i}`)))))) t.is(ack.rejectedReason, undefined);
  const after = await board.getBoard({ boardId: BOARD_ID });
  t.is(after.revision, 6n);
  t.is(Object.keys(after.cards).length, 6);

  t.is(await app.stop("SIGINT", 20_000), 0, app.lines.join("\n"));
  t.true(app.lines.includes("stopped"));
  for (const [name, pid] of Object.entries(pids)) t.false(alive(pid), `${name} (pid ${pid}) is gone`);
});
