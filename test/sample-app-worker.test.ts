/**
 * The sample app's worker services in Node (the same code the browser
 * worker serves, over a Node gateway): two tabs on two board hosts see each
 * other's changes and presence, a writer's acknowledgement comes after its
 * own reader has the change, and both survive their board host restarting.
 */
import test, { type ExecutionContext } from "ava";
import { type Author, Lane, type WatchUpdate } from "../generated-sample/gen/board/v1/board_pb.js";
import { createBoardReaderClient, createBoardWriterClient } from "../generated-sample/gen/board/v1/worker_guest.js";
import { startBoardHost } from "../generated-sample/app/board-host.js";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import { boardWorker } from "../generated-sample/app/worker-services.js";
import { serveWorker } from "../runtime/guest/index.js";
import { nodeGateway } from "./helpers/guest.js";
import { fromArray, sleep } from "./helpers/host.js";
import { addCard, moveCard, newCard, startSampleHosts } from "./helpers/sample-hosts.js";
import { selfSigned } from "./helpers/tls.js";

function startTab(t: ExecutionContext, url: string, me: Author) {
  const board = boardWorker({ me });
  const registry = serveWorker({ gateway: nodeGateway(t, url, { retry: { attempts: 20, baseMs: 50, capMs: 500 } }), services: board.services });
  t.teardown(() => {
    board.close();
    registry.close();
  });
  return { board, reader: createBoardReaderClient(registry.transport), writer: createBoardWriterClient(registry.transport) };
}

const ADA = { id: "ada", displayName: "Ada", color: "#3a7" };
const BOB = { id: "bob", displayName: "Bob", color: "#a37" };
const CAROL = { id: "carol", displayName: "Carol", color: "#37a" };

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const value = await check();
    if (value) return value;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

test("two tabs on two board hosts: one's change reaches the other's reader through the board's log; presence is shared by the tabs of one board host", async (t) => {
  const { boardHosts } = await startSampleHosts(t, 2);
  const ada = startTab(t, boardHosts[0]!.host.url, ADA);
  const bob = startTab(t, boardHosts[1]!.host.url, BOB);
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const bobUpdates = bob.reader.updates({ boardId: BOARD_ID, afterRevision: 0n }, { signal: stop.signal })[Symbol.asyncIterator]();
  t.is((await bobUpdates.next()).value?.update.case, "snapshot");

  const ack = await ada.writer.submit(addCard("ch-1", newCard("c1", "From Ada")));
  t.like(ack, { changeId: "ch-1", revision: 1n, rejectedReason: undefined });
  t.like((await ada.reader.current({ boardId: BOARD_ID })).cards.c1, { title: "From Ada" }, "read your write: the ack came after the reader had it");
  let update: WatchUpdate | undefined;
  do update = (await bobUpdates.next()).value; while (update?.update.case === "snapshot"); // presence snapshots may come first
  t.is(update?.update.case === "event" && update.update.value.change?.kind.case, "added");
  t.is(boardHosts[1]!.replica.feed.revision, 1n);

  const acks = [];
  for await (const a of bob.writer.submitAll(fromArray([moveCard("ch-2", "c1", Lane.LANE_DONE), moveCard("ch-3", "nope", Lane.LANE_DONE)]))) acks.push(a);
  t.deepEqual(acks.map((a) => [a.revision, a.rejectedReason?.value]), [[2n, undefined], [2n, "no card nope on the board"]]);
  // Bob's answer came once Bob's reader had it; Ada's copy is another host's, a moment later.
  await until("Ada's reader to have Bob's move", async () => (await ada.reader.current({ boardId: BOARD_ID })).cards.c1?.lane === Lane.LANE_DONE);

  // Presence is fanned out by each board host among its own clients: Carol, on Ada's host, sees Ada, not Bob.
  const carol = startTab(t, boardHosts[0]!.host.url, CAROL);
  const present = await until("Ada and Carol to see each other", async () => {
    const [a, c] = [await ada.reader.current({ boardId: BOARD_ID }), await carol.reader.current({ boardId: BOARD_ID })];
    return Object.keys(a.present).length === 2 && Object.keys(c.present).length === 2 && c.present;
  });
  t.deepEqual(present, { ada: ADA, carol: CAROL });
  t.deepEqual(Object.keys((await bob.reader.current({ boardId: BOARD_ID })).present), ["bob"]);
  t.is(ada.board.edits?.calls, 1, "every change of a tab went up one Edit call");
});

test("a board host restart: the reader resumes after its revision, and a change submitted while the host is down is sent when it is back, once", async (t) => {
  const { store, boardHosts } = await startSampleHosts(t, 2);
  const first = boardHosts[0]!;
  const port = first.host.port;
  const ada = startTab(t, first.host.url, ADA);
  const bob = startTab(t, boardHosts[1]!.host.url, BOB);
  await ada.writer.submit(addCard("ch-1", newCard("c1", "Before")));
  await first.close();

  const during = bob.writer.submit(addCard("ch-2", newCard("c2", "While Ada's host is down")));
  t.is((await during).revision, 2n);
  const pending = ada.writer.submit(addCard("ch-3", newCard("c3", "Sent while down")));
  await sleep(300);
  const again = await startBoardHost({ store, tls: selfSigned(), port });
  t.teardown(() => again.close());

  t.like(await pending, { revision: 3n, rejectedReason: undefined });
  const board = await until("Ada's reader to have every change", async () => {
    const b = await ada.reader.current({ boardId: BOARD_ID });
    return b.revision === 3n && b;
  });
  t.deepEqual(Object.keys(board.cards).sort(), ["c1", "c2", "c3"]);
  t.is(boardHosts[1]!.replica.feed.revision, 3n, "nothing applied twice");
  t.is(boardHosts[1]!.replica.position, 3n, "nothing published twice");
  t.true(ada.board.live!.watches >= 2, "the reader watched again");
  t.true(ada.board.edits!.calls >= 2, "the writer opened a new Edit call");
});
