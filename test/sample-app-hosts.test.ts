/**
 * The sample app's hosts, called as a browser worker calls them (a Node
 * guest over the pair): writes through one board host go into the board's
 * log and reach another board host's watchers; acknowledgements, refusals,
 * resent changes, resumed watches (by revision and history), import and presence.
 */
import test from "ava";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import { Lane, type Change, type PresenceUpdate, type WatchUpdate } from "../generated-sample/gen/board/v1/board_pb.js";
import { createBoardHostClient } from "../generated-sample/gen/board/v1/hosts_host.js";
import { nodeGateway } from "./helpers/guest.js";
import { Channel, Code } from "../runtime/core/index.js";
import { connectHost } from "../runtime/host/index.js";
import { selfSigned } from "./helpers/tls.js";
import { fromArray, waitFor } from "./helpers/host.js";
import { startBoardHost } from "../generated-sample/app/board-host.js";
import { openMemoryStore } from "../generated-sample/app/board-store.js";
import { addCard, moveCard, newCard, startSampleHosts } from "./helpers/sample-hosts.js";

async function next<T>(updates: AsyncIterator<T>, ms = 5000): Promise<T> {
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

test("a change written through one board host goes into the log and reaches another board host's watcher", async (t) => {
  const { boardHosts } = await startSampleHosts(t, 2);
  const a = createBoardHostClient(nodeGateway(t, boardHosts[0]!.host.url));
  const b = createBoardHostClient(nodeGateway(t, boardHosts[1]!.host.url));
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const watch = b.watch({ boardId: BOARD_ID, afterRevision: 0n }, { signal: stop.signal })[Symbol.asyncIterator]();
  const first = await next(watch);
  t.is(first.update.case, "snapshot");

  const acks = [];
  for await (const ack of a.edit(fromArray([addCard("ch-1", newCard("c1", "Write the sample")), moveCard("ch-2", "c1", Lane.LANE_DOING)]))) acks.push(ack);
  t.deepEqual(acks.map((ack) => [ack.changeId, ack.revision, ack.rejectedReason]), [["ch-1", 1n, undefined], ["ch-2", 2n, undefined]]);
  t.like(boardHosts[0]!.stats, { published: 2, duplicates: 0 });
  t.is(boardHosts[1]!.stats.published, 0);

  const seen: WatchUpdate[] = [await next(watch), await next(watch)];
  t.deepEqual(seen.map((u) => (u.update.case === "event" ? u.update.value.revision : u.update.case)), [1n, 2n]);
  const added = seen[0]!.update.case === "event" ? seen[0]!.update.value.change : undefined;
  t.truthy(added?.at, "the receiving host stamped the change's time");
  const board = await b.getBoard({ boardId: BOARD_ID });
  t.is(board.revision, 2n);
  t.like(board.cards.c1, { title: "Write the sample", lane: Lane.LANE_DOING, rank: 1, revision: 2n });
  t.truthy(board.cards.c1!.createdAt);
  t.deepEqual(board, { ...(await a.getBoard({ boardId: BOARD_ID })), present: board.present }, "both copies are the same board");
  t.truthy(board.historyId, "the log's first change named the board's history");
});

test("an acknowledgement comes once the host's own copy has the change, and refusals say why without ending the call", async (t) => {
  const { boardHosts } = await startSampleHosts(t);
  const host = createBoardHostClient(nodeGateway(t, boardHosts[0]!.host.url));
  const changes = new Channel<Change>(4);
  const acks = host.edit(changes)[Symbol.asyncIterator]();

  await changes.send(addCard("ch-1", newCard("c1", "One")));
  t.is((await next(acks)).revision, 1n);
  t.is((await host.getBoard({ boardId: BOARD_ID })).revision, 1n, "read after the ack sees the write");

  await changes.send(addCard("ch-2", newCard("c2", "  ")));
  t.like(await next(acks), { changeId: "ch-2", revision: 1n, rejectedReason: { value: "a card needs a title" } });
  await changes.send(moveCard("ch-3", "nope", Lane.LANE_DONE));
  t.like(await next(acks), { rejectedReason: { value: "no card nope on the board" } });
  await changes.send({ changeId: "ch-4", kind: { case: undefined } });
  t.regex((await next(acks)).rejectedReason?.value ?? "", /needs a kind/);
  await changes.send(addCard("ch-1", newCard("c1", "One")));
  t.like(await next(acks), { changeId: "ch-1", revision: 1n, rejectedReason: undefined }, "a resent change gets its first answer");
  await changes.send(moveCard("ch-5", "c1", Lane.LANE_DONE));
  t.like(await next(acks), { changeId: "ch-5", revision: 2n, rejectedReason: undefined });
  await changes.send(addCard("x".repeat(65), newCard("c9", "Long id")));
  t.like(await next(acks), { revision: 2n, rejectedReason: { value: "a change_id is 1-64 visible ASCII characters" } });
  changes.close();
  t.true((await acks.next()).done);
  t.like(boardHosts[0]!.stats, { published: 6, duplicates: 1 }, "the resent ch-1 was the broker's duplicate; the long id never reached it");
  t.is(boardHosts[0]!.replica.position, 5n, "refusals are in the log too, with no revision");
});

test("a watch resumed inside the host's log, in the same history, gets the events it missed and no snapshot; one from too far, another history or none gets a snapshot", async (t) => {
  const { boardHosts } = await startSampleHosts(t);
  const host = createBoardHostClient(nodeGateway(t, boardHosts[0]!.host.url));
  for await (const _ of host.edit(fromArray([1, 2, 3].map((i) => addCard(`ch-${i}`, newCard(`c${i}`, `Card ${i}`)))))) void _;
  const { historyId } = await host.getBoard({ boardId: BOARD_ID });
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const resumed = host.watch({ boardId: BOARD_ID, afterRevision: 1n, historyId }, { signal: stop.signal })[Symbol.asyncIterator]();
  const kinds = [await next(resumed), await next(resumed)].map((u) => (u.update.case === "event" ? u.update.value.revision : u.update.case));
  t.deepEqual(kinds, [2n, 3n]);
  for (const other of [undefined, "another history"]) {
    const first = await next(host.watch({ boardId: BOARD_ID, afterRevision: 1n, historyId: other }, { signal: stop.signal })[Symbol.asyncIterator]());
    t.like(first.update, { case: "snapshot", value: { revision: 3n, historyId } }, `history ${other}`);
  }
  const ahead = host.watch({ boardId: BOARD_ID, afterRevision: 99n, historyId }, { signal: stop.signal })[Symbol.asyncIterator]();
  const snapshot = await next(ahead);
  t.is(snapshot.update.case, "snapshot");
  t.is(snapshot.update.case === "snapshot" && snapshot.update.value.revision, 3n);
  t.deepEqual(Object.keys(snapshot.update.case === "snapshot" ? snapshot.update.value.cards : {}).sort(), ["c1", "c2", "c3"]);
});

test("import sends many cards up and gets one summary; unknown boards are NotFound; ping answers", async (t) => {
  const { boardHosts } = await startSampleHosts(t);
  const host = createBoardHostClient(nodeGateway(t, boardHosts[0]!.host.url));
  const summary = await host.import(fromArray([newCard("i1", "Imported"), newCard("i2", ""), newCard("i3", "Also")]));
  t.deepEqual(summary, { accepted: 2, rejected: 1, revision: 2n });
  t.is(boardHosts[0]!.replica.feed.revision, 2n);
  t.deepEqual(Object.keys((await host.getBoard({ boardId: BOARD_ID })).cards).sort(), ["i1", "i3"]);
  t.like(await t.throwsAsync(host.getBoard({ boardId: "b2" })), { code: Code.NotFound });
  const watch = host.watch({ boardId: "b2", afterRevision: 0n })[Symbol.asyncIterator]();
  t.like(await t.throwsAsync(watch.next()), { code: Code.NotFound });
  // Ping over a host link: undici's HTTP/2 never ends a request with an empty body (the Node guest's fetch; Chromium's is fine).
  const link = connectHost(boardHosts[0]!.host.url, { ca: selfSigned().cert });
  t.teardown(() => link.close());
  t.deepEqual(await createBoardHostClient(link).ping({}), {});
});

test("presence: each client sees who else is here, and who left when their call ended", async (t) => {
  const { boardHosts } = await startSampleHosts(t);
  const url = boardHosts[0]!.host.url;
  const ada = createBoardHostClient(nodeGateway(t, url));
  const bob = createBoardHostClient(nodeGateway(t, url));
  const adaUp = new Channel<PresenceUpdate>(4);
  const bobUp = new Channel<PresenceUpdate>(4);
  const hello = (id: string): PresenceUpdate => ({ author: { id, displayName: id, color: "#123" }, boardId: BOARD_ID, focusCardId: "", left: false });
  const adaDown = ada.presence(adaUp)[Symbol.asyncIterator]();
  await adaUp.send(hello("ada"));
  await waitFor(() => boardHosts[0]!.presence.authors().ada, 5000, "ada present");
  const bobDown = bob.presence(bobUp)[Symbol.asyncIterator]();
  await bobUp.send(hello("bob"));
  t.like(await next(bobDown), { author: { id: "ada" }, left: false }, "bob is told ada is already here");
  t.like(await next(adaDown), { author: { id: "bob" }, left: false }, "ada is told bob came");
  t.deepEqual(Object.keys((await ada.getBoard({ boardId: BOARD_ID })).present).sort(), ["ada", "bob"]);
  bobUp.close();
  t.like(await next(adaDown), { author: { id: "bob" }, left: true });
  t.true((await bobDown.next()).done);
  await adaUp.send({ ...hello("mallory"), author: { id: "", displayName: "", color: "" } });
  t.like(await t.throwsAsync(next(adaDown)), { code: Code.InvalidArgument });
});

test("a board host restarted on the same broker has the board; one on a broker that lost its data starts a new history, which a resuming watcher sees", async (t) => {
  const store = await openMemoryStore();
  t.teardown(() => store.close());
  const first = await startBoardHost({ store, tls: selfSigned() });
  const port = first.host.port;
  const client = createBoardHostClient(nodeGateway(t, first.host.url));
  for await (const _ of client.edit(fromArray([addCard("ch-1", newCard("old1", "Old")), addCard("ch-2", newCard("old2", "Older"))]))) void _;
  const before = await client.getBoard({ boardId: BOARD_ID });
  await first.close();

  const again = await startBoardHost({ store, tls: selfSigned(), port });
  const after = await client.getBoard({ boardId: BOARD_ID });
  t.deepEqual({ ...after, present: {} }, { ...before, present: {} }, "the same board, revision and history");
  await again.close();

  const lost = await openMemoryStore();
  t.teardown(() => lost.close());
  const fresh = await startBoardHost({ store: lost, tls: selfSigned(), port });
  t.teardown(() => fresh.close());
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const watch = client.watch({ boardId: BOARD_ID, afterRevision: before.revision, historyId: before.historyId }, { signal: stop.signal })[Symbol.asyncIterator]();
  t.like((await next(watch)).update, { case: "snapshot", value: { revision: 0n, historyId: undefined, cards: {} } }, "an empty board, not a continuation");
  for await (const _ of client.edit(fromArray([addCard("ch-3", newCard("new1", "New"))]))) void _;
  t.like((await next(watch)).update, { case: "event", value: { revision: 1n } });
  const board = await client.getBoard({ boardId: BOARD_ID });
  t.truthy(board.historyId, "the first change named the new history");
  t.not(board.historyId, before.historyId);
});

test("a resend of a change refused before a host's copy began is answered as refused, with why, not failed forever", async (t) => {
  const store = await openMemoryStore();
  t.teardown(() => store.close());
  const a = await startBoardHost({ store, tls: selfSigned(), snapshotEvery: 2 });
  t.teardown(() => a.close());
  const onA = createBoardHostClient(nodeGateway(t, a.host.url));
  const first = [];
  for await (const ack of onA.edit(fromArray([addCard("ch-1", newCard("c1", "One")), moveCard("ch-2", "nope", Lane.LANE_DONE)]))) first.push(ack);
  t.like(first[1], { rejectedReason: { value: "no card nope on the board" } });
  await waitFor(() => a.sync.published === 1, 5000, "the snapshot at position 2");

  const b = await startBoardHost({ store, tls: selfSigned(), snapshotEvery: 2 });
  t.teardown(() => b.close());
  t.is(b.sync.loaded, 1, "b's copy began at the snapshot, after ch-2");
  const onB = createBoardHostClient(nodeGateway(t, b.host.url));
  const again = await onB.edit(fromArray([moveCard("ch-2", "nope", Lane.LANE_DONE)]))[Symbol.asyncIterator]().next();
  t.regex(again.value?.rejectedReason?.value ?? "", /already in the board's log \(position 2\) before this host's copy began/);
  t.is(b.stats.duplicates, 1);
});
