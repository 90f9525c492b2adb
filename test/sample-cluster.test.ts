/**
 * The sample board on three equal board hosts and a real nats-server: an
 * edit through one instance reaches a Watch on another; a watcher that stops
 * reading while 20,000 edits go through costs its instance a bounded amount
 * (measured); a nats-server that lost its data gives the board a new
 * history, which a watcher is shown as a snapshot, never as more events.
 */
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import test from "ava";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import { Lane, type Change, type WatchUpdate } from "../generated-sample/gen/board/v1/board_pb.js";
import { BoardSnapshot } from "../generated-sample/gen/board/v1/hosts_pb.js";
import { createBoardHostClient } from "../generated-sample/gen/board/v1/hosts_host.js";
import { nodeGateway } from "./helpers/guest.js";
import { startNats } from "./helpers/nats.js";
import { startBoardCluster } from "./helpers/sample-cluster.js";
import { addCard, moveCard, newCard } from "./helpers/sample-hosts.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

async function next<T>(updates: AsyncIterator<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms)));
  try {
    const result = await Promise.race([updates.next(), timeout]);
    if (result.done) throw new Error("the stream ended");
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

const revisionOf = (u: WatchUpdate) => (u.update.case === "event" || u.update.case === "snapshot" ? u.update.value.revision : undefined);
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

test.serial("an edit through instance A reaches a Watch on instance C; every instance holds the same board", async (t) => {
  const nats = await startNats(t);
  const [a, , c] = await startBoardCluster(t, nats);
  const onA = createBoardHostClient(nodeGateway(t, a!.url));
  const onC = createBoardHostClient(nodeGateway(t, c!.url));
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const watch = onC.watch({ boardId: BOARD_ID, afterRevision: 0n }, { signal: stop.signal })[Symbol.asyncIterator]();
  t.is((await next(watch)).update.case, "snapshot");
  const acks = [];
  for await (const ack of onA.edit(async function* () {
    yield addCard("ch-1", newCard("c1", "Through A"));
    yield moveCard("ch-2", "c1", Lane.LANE_DONE);
  }())) acks.push(ack.revision);
  t.deepEqual(acks, [1n, 2n]);
  const seen = [await next(watch), await next(watch)];
  t.deepEqual(seen.map((u) => [u.update.case, revisionOf(u)]), [["event", 1n], ["event", 2n]]);
  const boards = await Promise.all([a, c].map((i) => i!.server!.replica.reach(2n, stop.signal, 5000).then(() => i!.server!.replica.snapshot())));
  const encoded = boards.map((b) => Buffer.from(BoardSnapshot.encode(b)).toString("base64"));
  t.is(encoded[0], encoded[1]);
});

test.serial("a stalled watcher on C while 20,000 edits go through A: C's memory stays bounded, and the watcher, read again, gets a snapshot", async (t) => {
  const nats = await startNats(t);
  const [a, , c] = await startBoardCluster(t, nats);
  const onA = createBoardHostClient(nodeGateway(t, a!.url));
  const onC = createBoardHostClient(nodeGateway(t, c!.url));
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const stalled = onC.watch({ boardId: BOARD_ID, afterRevision: 0n }, { signal: stop.signal })[Symbol.asyncIterator]();
  t.is((await next(stalled)).update.case, "snapshot");
  const before = heapMb();

  const EDITS = 20_000;
  // The heap after GC, every second while the edits go through: a guest generates its requests far
  // ahead of their answers (the host grants credit), so only the clock spreads the samples.
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(heapMb()), 1000);
  t.teardown(() => clearInterval(sampler));
  const started = performance.now();
  async function* edits(): AsyncGenerator<Change> {
    yield addCard("e-0", newCard("c1", "Moved 19,999 times"));
    for (let i = 1; i < EDITS; i++) yield moveCard(`e-${i}`, "c1", [Lane.LANE_TODO, Lane.LANE_DOING, Lane.LANE_DONE][i % 3]!);
  }
  let last = 0n;
  for await (const ack of onA.edit(edits())) last = ack.revision;
  const seconds = (performance.now() - started) / 1000;
  t.is(last, BigInt(EDITS));
  await c!.server!.replica.reach(BigInt(EDITS), stop.signal, 30_000);
  clearInterval(sampler);
  const after = heapMb();

  // Read the stalled watch again: what was in flight to it, then a snapshot (its cursor fell out of C's feed).
  let buffered = 0;
  let update = await next(stalled);
  while (update.update.case === "event") {
    buffered++;
    update = await next(stalled);
  }
  const drained = heapMb();
  const mb = (n: number) => n.toFixed(1);
  t.log(`${EDITS} edits through A in ${seconds.toFixed(1)} s (${Math.round(EDITS / seconds)}/s)`);
  t.log(`heap after GC (the three instances, their NATS clients and the guests share this process): ${mb(before)} MB before; each second: ${samples.map(mb).join(", ")}; ${mb(after)} MB at the end; ${mb(drained)} MB once the stalled watcher read what it held`);
  t.log(`the stalled watcher held ${buffered} events (its gateway grants 16,384 messages of credit), then got a snapshot at revision ${revisionOf(update)}`);
  t.is(update.update.case, "snapshot");
  t.is(revisionOf(update), BigInt(EDITS));
  // Bounded by the credit the watcher's gateway grants (the pair's window), not by the edits.
  t.true(buffered <= 16_384 + 1, `${buffered} events were buffered for the stalled watcher`);
  const peak = Math.max(after, ...samples);
  t.true(peak - before < 64, `heap grew by ${mb(peak - before)} MB`);
  // What the stall cost was that credit's worth, in flight: nothing of it stays on C.
  t.true(drained - before < 16, `heap ${mb(drained)} MB after, ${mb(before)} MB before`);
});

test.serial("nats-server lost its data: the board starts a new history, and a watcher gets a snapshot of it, not more events", async (t) => {
  const nats = await startNats(t);
  const [a] = await startBoardCluster(t, nats, ["b1"]);
  const onA = createBoardHostClient(nodeGateway(t, a!.url));
  for await (const _ of onA.edit(async function* () {
    for (let i = 1; i <= 5; i++) yield addCard(`ch-${i}`, newCard(`c${i}`, `Card ${i}`));
  }())) void _;
  const before = await onA.getBoard({ boardId: BOARD_ID });
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const watch = onA.watch({ boardId: BOARD_ID, afterRevision: before.revision, historyId: before.historyId }, { signal: stop.signal })[Symbol.asyncIterator]();

  await nats.kill();
  for (const entry of fs.readdirSync(nats.dir)) fs.rmSync(path.join(nats.dir, entry), { recursive: true, force: true });
  await nats.start();
  const update = await next(watch, 20_000);
  t.like(update.update, { case: "snapshot", value: { revision: 0n, historyId: undefined, cards: {} } });
  for await (const _ of onA.edit(async function* () {
    yield addCard("after", newCard("n1", "After the loss"));
  }())) void _;
  const now = await onA.getBoard({ boardId: BOARD_ID });
  t.is(now.revision, 1n);
  t.truthy(now.historyId);
  t.not(now.historyId, before.historyId, `${before.historyId} → ${now.historyId}`);
});
