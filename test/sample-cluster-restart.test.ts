/**
 * A rolling restart of the sample board: three equal instances on NATS
 * behind Debian's haproxy (TLS front, round-robin per request, health
 * checks), four tabs (the worker's services in Node) each submitting a
 * steady stream of edits while the instances are drained, closed and
 * started again one by one on their names and ports. Nothing is lost,
 * nothing applied twice, and every tab's copy converges.
 */
import test from "ava";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import type { ChangeAck } from "../generated-sample/gen/board/v1/board_pb.js";
import { BoardSnapshot } from "../generated-sample/gen/board/v1/hosts_pb.js";
import { startHaproxy } from "./helpers/haproxy.js";
import { sleep } from "./helpers/host.js";
import { startNats } from "./helpers/nats.js";
import { author, logCounts, startBoardCluster, startTab } from "./helpers/sample-cluster.js";
import { addCard, newCard } from "./helpers/sample-hosts.js";
import { selfSigned } from "./helpers/tls.js";

const TABS = 4;
const EDITS = 50;
const EVERY_MS = 200;

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const value = await check();
    if (value) return value;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test("rolling restart behind haproxy while 4 tabs edit: 0 edits lost, 0 applied twice, every tab converges", async (t) => {
  const nats = await startNats(t);
  const instances = await startBoardCluster(t, nats);
  const haproxy = await startHaproxy(t, { route: "round-robin", tls: selfSigned(), backends: instances.map((i) => ({ name: i.name, url: i.url })) });
  const tabs = Array.from({ length: TABS }, (_, i) => startTab(t, haproxy.url, author(`tab${i}`)));

  const started = performance.now();
  const submitted = tabs.map(async (tab, i) => {
    const answers: Promise<ChangeAck>[] = [];
    for (let j = 0; j < EDITS; j++) {
      answers.push(tab.writer.submit(addCard(`t${i}-${j}`, newCard(`t${i}-${j}`, `Tab ${i}, card ${j}`))));
      await sleep(EVERY_MS);
    }
    return Promise.all(answers);
  });
  const restarts: string[] = [];
  const restarting = (async () => {
    await sleep(500);
    for (const instance of instances) {
      const from = performance.now();
      await instance.drain(1500);
      await instance.start();
      restarts.push(`${instance.name} ${Math.round(performance.now() - from)} ms`);
      await sleep(1200); // haproxy's health check sees it up (rise 2 × 500 ms)
    }
  })();
  const acks = (await Promise.all(submitted)).flat();
  await restarting;
  t.log(`restarts (drain, close, start): ${restarts.join(", ")}; all edits answered after ${Math.round(performance.now() - started)} ms`);

  t.deepEqual(acks.filter((ack) => ack.rejectedReason).map((ack) => `${ack.changeId}: ${ack.rejectedReason?.value}`), [], "no edit was refused");
  const total = TABS * EDITS;
  t.is(new Set(acks.map((ack) => ack.changeId)).size, total, "every edit was answered");

  // Every tab's Watch converges to the same board.
  for (const [i, tab] of tabs.entries()) {
    await until(`tab ${i} to reach revision ${total}`, async () => (await tab.reader.current({ boardId: BOARD_ID })).revision === BigInt(total));
  }
  const boards = await Promise.all(tabs.map((tab) => tab.reader.current({ boardId: BOARD_ID })));
  t.deepEqual(new Set(boards.map((b) => Object.keys(b.cards).length)), new Set([total]));
  t.deepEqual(new Set(boards.map((b) => b.historyId)).size, 1);

  // The log: each change once (the broker's dedup caught every resend), and each applied once.
  const counts = await logCounts(nats);
  const twice = [...counts].filter(([, n]) => n > 1);
  t.is(counts.size, total);
  t.deepEqual(twice, [], "no change id twice in the log");
  const snapshots = instances.map((i) => Buffer.from(BoardSnapshot.encode(i.server!.replica.snapshot())).toString("base64"));
  t.is(new Set(snapshots).size, 1, "every instance holds the same board");
  t.is(instances[0]!.server!.replica.feed.revision, BigInt(total), "revision = changes applied: none twice");

  const duplicates = instances.reduce((sum, i) => sum + i.duplicates, 0);
  t.log(`${total} edits, ${counts.size} in the log, revision ${total}; Edit calls per tab ${tabs.map((tab) => tab.board.edits!.calls).join(", ")}; Watch calls per tab ${tabs.map((tab) => tab.board.live!.watches).join(", ")}; resends the broker had already stored (deduplicated): ${duplicates}`);
});
