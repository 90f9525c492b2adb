/**
 * The sample board's log, in process (no hosts): copies fed the same log are
 * the same board; refusals and resends are recorded, never applied twice;
 * snapshots carry a copy past a trimmed log; a broker that lost its data
 * gives a new history, never a board that looks like the old one; the
 * largest board fits a snapshot in one NATS message.
 */
import test from "ava";
import { BoardReplica } from "../generated-sample/app/board-log.js";
import { LIMITS, timestampOf } from "../generated-sample/app/board-state.js";
import { type BoardStore, LOG_TOPIC, SNAPSHOT_LIMITS, openMemoryStore } from "../generated-sample/app/board-store.js";
import { BoardSync } from "../generated-sample/app/board-sync.js";
import { Change, Lane } from "../generated-sample/gen/board/v1/board_pb.js";
import { BoardSnapshot } from "../generated-sample/gen/board/v1/hosts_pb.js";
import { Code, StreampathError } from "../runtime/core/index.js";
import { createMemoryBroker } from "../runtime/host/index.js";
import { addCard, moveCard, newCard } from "./helpers/sample-hosts.js";

/** Publishes as a board host does: stamped with a time, the change id as the dedup id (unless `dedup` is false: a resend the broker forgot). */
async function publish(store: BoardStore, change: Change, dedup = true): Promise<bigint> {
  const data = Change.encode({ ...change, at: timestampOf(Date.now()) });
  return (await store.log.publish(LOG_TOPIC, data, dedup ? { id: change.changeId } : {})).position;
}

async function follow(t: import("ava").ExecutionContext, store: BoardStore, options: ConstructorParameters<typeof BoardReplica>[0] = {}, replica = new BoardReplica(options)) {
  const problems: string[] = [];
  const sync = await BoardSync.start(replica, store, { snapshotEvery: 10, onProblem: (p) => problems.push(p) });
  t.teardown(() => sync.close());
  return { replica, sync, problems };
}

const never = new AbortController().signal;
const encoded = (replica: BoardReplica) => Buffer.from(BoardSnapshot.encode(replica.snapshot())).toString("base64");

test("two copies of one log: the same board, history and recent change ids; a refusal is recorded with its reason, a resend the broker forgot is answered with the first revision", async (t) => {
  const store = await openMemoryStore();
  t.teardown(() => store.close());
  const a = await follow(t, store);
  await publish(store, addCard("ch-1", newCard("c1", "One")));
  const refused = await publish(store, moveCard("ch-2", "nope", Lane.LANE_DONE));
  await publish(store, moveCard("ch-3", "c1", Lane.LANE_DOING));
  const resent = await publish(store, addCard("ch-1", newCard("c1", "One")), false);
  t.is(resent, 4n, "stored again: the broker did not remember the id");
  const late = await follow(t, store);

  t.like(await a.replica.outcomeOf(refused, "ch-2", never, 1000), { revision: 1n, rejectedReason: "no card nope on the board" });
  t.like(await a.replica.outcomeOf(resent, "ch-1", never, 1000), { revision: 1n, repeated: true });
  t.is(a.replica.feed.revision, 2n, "two changes applied, of four messages");
  await late.replica.reach(4n, never, 1000);
  t.is(encoded(late.replica), encoded(a.replica), "the same snapshot, byte for byte");
  t.truthy(a.replica.historyId);
});

test("snapshots carry the board past a trimmed log: a fresh copy loads the newest and reads what follows; a copy whose position was trimmed takes it; with no snapshot, an error and no board", async (t) => {
  const limits = { maxMessages: 50 };
  const store: BoardStore = {
    log: await createMemoryBroker({ limits }),
    snapshots: await createMemoryBroker({ limits: SNAPSHOT_LIMITS }),
    description: "test",
    close: async () => undefined,
  };
  t.teardown(() => Promise.all([store.log.close(), store.snapshots.close()]));
  const a = await follow(t, store);
  const stale = await follow(t, store);
  await publish(store, addCard("ch-0", newCard("c", "Moved about")));
  await stale.replica.reach(1n, never, 1000);
  await stale.sync.close(); // stops at position 1, as a host that stalls
  for (let i = 1; i < 200; i++) await publish(store, moveCard(`ch-${i}`, "c", [Lane.LANE_TODO, Lane.LANE_DOING, Lane.LANE_DONE][i % 3]!));
  await a.replica.reach(200n, never, 5000);
  t.true(a.sync.published >= 19, `${a.sync.published} snapshots stored`);

  const fresh = await follow(t, store);
  t.is(fresh.sync.loaded, 1);
  t.is(encoded(fresh.replica), encoded(a.replica));

  const resumed = await follow(t, store, {}, stale.replica);
  await resumed.replica.reach(200n, never, 5000);
  t.is(resumed.sync.loaded, 1, "took the newest snapshot");
  t.regex(resumed.problems[0] ?? "", /no longer retained/);
  t.is(encoded(resumed.replica), encoded(a.replica));

  const bare: BoardStore = { ...store, snapshots: await createMemoryBroker() };
  t.teardown(() => bare.snapshots.close());
  const replica = new BoardReplica();
  const problems: string[] = [];
  const error = await t.throwsAsync(BoardSync.start(replica, bare, { catchUpMs: 500, onProblem: (p) => problems.push(p) }));
  t.is((error as StreampathError).code, Code.Unavailable);
  t.regex(problems.join("\n"), /no snapshot is newer/);
  t.is(replica.feed.revision, 0n, "nothing half-read is served");
});

test("the broker lost its data: the copy starts again from what the broker has, as a new history, and its watchers get a snapshot", async (t) => {
  const first = await openMemoryStore();
  t.teardown(() => first.close());
  const { replica, sync } = await follow(t, first);
  for (let i = 1; i <= 20; i++) await publish(first, addCard(`ch-${i}`, newCard(`c${i}`, `Card ${i}`)));
  await replica.reach(20n, never, 1000);
  const oldHistory = replica.historyId;
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const watch = replica.feed.updates(20n, stop.signal, 60_000);
  await sync.close();

  const lost = await openMemoryStore();
  t.teardown(() => lost.close());
  for (let i = 1; i <= 3; i++) await publish(lost, addCard(`n-${i}`, newCard(`n${i}`, `New ${i}`)));
  const again = await follow(t, lost, {}, replica);
  const update = (await watch.next()).value!;
  t.is(update.update.case, "snapshot");
  await replica.reach(3n, never, 1000);
  t.is(replica.feed.revision, 3n, "revision 20 → 3: backwards, and said so");
  t.truthy(replica.historyId);
  t.not(replica.historyId, oldHistory);
  t.deepEqual(Object.keys(replica.feed.board.cards).sort(), ["n1", "n2", "n3"]);
  t.regex(again.problems.join("\n"), /lost its data/);
});

test("the largest board with the most change ids fits a snapshot in one NATS message (1 MiB less headers)", async (t) => {
  const store = await openMemoryStore();
  t.teardown(() => store.close());
  const { replica } = await follow(t, store);
  const big = (id: string) => ({ ...newCard(id, "x".repeat(LIMITS.titleChars)), body: "y".repeat(LIMITS.bodyChars), thumbnail: new Uint8Array(LIMITS.thumbnailBytes).fill(7) });
  let refused = "";
  for (let i = 0; !refused; i++) {
    const position = await publish(store, addCard(`add-${i}`, big(`card-${i}`)));
    const outcome = await replica.outcomeOf(position, `add-${i}`, never, 1000);
    refused = (typeof outcome === "object" && outcome.rejectedReason) || "";
  }
  t.regex(refused, /the board is full/);
  for (let i = 0; i < 5000; i++) await publish(store, moveCard(`${i}`.padStart(LIMITS.changeIdChars, "m"), "card-0", [Lane.LANE_TODO, Lane.LANE_DOING][i % 2]!));
  await replica.reach(await store.log.last(LOG_TOPIC), never, 10_000);
  const size = BoardSnapshot.encode(replica.snapshot()).length;
  t.log(`snapshot of ${Object.keys(replica.feed.board.cards).length} cards and ${replica.snapshot().applied.length} change ids: ${size} bytes`);
  t.true(size < 1024 * 1024 - 1024, `${size} bytes`);
});
