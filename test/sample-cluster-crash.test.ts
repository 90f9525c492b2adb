/**
 * One of three sample board instances crashes (no drain: its connections cut,
 * its NATS connections gone) while tabs watch and edit, right after the
 * broker stored a change it never answered. Tabs on the other
 * instances never notice: one Watch, one Edit call each, throughout. Tabs
 * whose calls were on the crashed instance lose them, resume through
 * haproxy, and converge; the unanswered change, resent, is recognised by the
 * broker (its id) and answered. Nothing added is lost or applied twice.
 */
import test from "ava";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import type { ChangeAck } from "../generated-sample/gen/board/v1/board_pb.js";
import { startHaproxy } from "./helpers/haproxy.js";
import { sleep } from "./helpers/host.js";
import { startNats } from "./helpers/nats.js";
import type { BoardStore } from "../generated-sample/app/board-store.js";
import { type Tab, author, logCounts, startBoardCluster, startTab } from "./helpers/sample-cluster.js";
import { addCard, newCard } from "./helpers/sample-hosts.js";
import { selfSigned } from "./helpers/tls.js";

const EDITS = 40;
const EVERY_MS = 100;

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const value = await check();
    if (value) return value;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test("one of three crashes while tabs watch and edit: tabs on the others are unaffected, tabs on it converge, nothing lost or applied twice", async (t) => {
  const nats = await startNats(t);
  // C crashes right after the broker stored the 10th change sent through it, before it answers: its tab resends it elsewhere.
  let storedThroughC = 0;
  let crashNow!: () => void;
  const crashPoint = new Promise<void>((resolve) => (crashNow = resolve));
  const wrapStore = (name: string, store: BoardStore): BoardStore => name !== "b3" ? store : {
    ...store,
    log: {
      ...store.log,
      async publish(...args: Parameters<BoardStore["log"]["publish"]>) {
        const result = await store.log.publish(...args);
        if (++storedThroughC === 10) {
          crashNow();
          await new Promise(() => undefined); // the answer never leaves
        }
        return result;
      },
    },
  };
  const [a, b, c] = await startBoardCluster(t, nats, undefined, { wrapStore });
  const haproxy = await startHaproxy(t, { route: "round-robin", tls: selfSigned(), backends: [a!, b!, c!].map((i) => ({ name: i.name, url: i.url })) });
  // Tabs that reach C directly while it lives (as a browser whose connection landed there), haproxy after.
  let crashed = false;
  const viaC = (fetch: import("../runtime/guest/index.js").Fetch): import("../runtime/guest/index.js").Fetch => (input, init) =>
    fetch(crashed ? input : c!.url + input.slice(haproxy.url.length), init);
  const unaffected = [startTab(t, a!.url, author("on-a")), startTab(t, b!.url, author("on-b"))];
  const affected = [startTab(t, haproxy.url, author("on-c1"), viaC), startTab(t, haproxy.url, author("on-c2"), viaC)];
  const tabs: Tab[] = [...unaffected, ...affected];
  for (const tab of tabs) await tab.reader.current({ boardId: BOARD_ID }); // every tab watches

  const failures: string[] = [];
  const submitted = tabs.map(async (tab, i) => {
    const answers: Promise<ChangeAck>[] = [];
    for (let j = 0; j < EDITS; j++) {
      const started = performance.now();
      const answer = tab.writer.submit(addCard(`t${i}-${j}`, newCard(`t${i}-${j}`, `Tab ${i}, card ${j}`)));
      if (i < unaffected.length) void answer.then(() => performance.now() - started > 2000 && failures.push(`t${i}-${j} took ${Math.round(performance.now() - started)} ms`));
      answers.push(answer);
      await sleep(EVERY_MS);
    }
    return Promise.all(answers);
  });
  await crashPoint;
  await c!.crash();
  crashed = true;
  const crashedAt = performance.now();
  const acks = (await Promise.all(submitted)).flat();
  t.log(`all edits answered ${Math.round(performance.now() - crashedAt)} ms after the crash`);

  const total = tabs.length * EDITS;
  t.deepEqual(acks.filter((ack) => ack.rejectedReason).map((ack) => ack.changeId), [], "no edit was refused");
  t.is(new Set(acks.map((ack) => ack.changeId)).size, total);
  for (const [i, tab] of tabs.entries()) {
    await until(`tab ${i} to reach revision ${total}`, async () => (await tab.reader.current({ boardId: BOARD_ID })).revision === BigInt(total));
  }
  const counts = await logCounts(nats);
  t.is(counts.size, total, "every edit is in the log");
  t.deepEqual([...counts].filter(([, n]) => n > 1), [], "none twice");
  t.is(a!.server!.replica.feed.revision, BigInt(total), "revision = changes applied: none twice");

  t.deepEqual(unaffected.map((tab) => [tab.board.live!.watches, tab.board.edits!.calls]), [[1, 1], [1, 1]], "tabs on A and B: one Watch and one Edit call throughout");
  t.deepEqual(failures, [], "no edit of theirs waited on the crash");
  for (const tab of affected) t.true(tab.board.live!.watches >= 2, "the Watch on C was resumed");
  const duplicates = [a!, b!, c!].reduce((n, i) => n + i.duplicates, 0);
  t.true(duplicates >= 1, "the change C stored but never answered was resent, and the broker knew it");
  t.log(`tabs on C: Watch calls ${affected.map((tab) => tab.board.live!.watches).join(", ")}, Edit calls ${affected.map((tab) => tab.board.edits!.calls).join(", ")}; resends the broker had already stored: ${duplicates}`);
});
