/**
 * Who is here, across instances: two tabs whose Presence calls are on
 * different board hosts list each other (through the broker's presence
 * topic), and one sees the other leave when that tab goes. An instance that
 * dies without a word has its people forgotten after the TTL.
 */
import test from "ava";
import { PresenceHub } from "../generated-sample/app/presence-hub.js";
import { relayPresence } from "../generated-sample/app/presence-relay.js";
import { createMemoryBroker } from "../runtime/host/index.js";
import { waitFor } from "./helpers/host.js";
import { startNats } from "./helpers/nats.js";
import { author, startBoardCluster, startTab } from "./helpers/sample-cluster.js";
import { Channel } from "../runtime/core/index.js";
import type { PresenceUpdate } from "../generated-sample/gen/board/v1/board_pb.js";
import { BOARD_ID } from "../generated-sample/app/board-state.js";

const presentIn = (tab: ReturnType<typeof startTab>) => Object.keys(tab.board.live?.feed.board.present ?? {}).sort();

test("tabs on different instances list each other, and see each other leave", async (t) => {
  const nats = await startNats(t);
  const [b1, b2] = await startBoardCluster(t, nats, ["b1", "b2"]);
  const ada = startTab(t, b1!.url, author("ada"));
  const bob = startTab(t, b2!.url, author("bob"));
  await Promise.all([ada, bob].map((tab) => tab.reader.current({ boardId: BOARD_ID })));
  await waitFor(() => presentIn(ada).join() === "ada,bob" && presentIn(bob).join() === "ada,bob", 10_000, "both tabs listing both");
  t.deepEqual(Object.keys(b1!.server!.presence.authors()).sort(), ["ada", "bob"], "b1's snapshots carry bob, who is on b2");
  bob.board.close(); // the tab goes: its Presence call ends
  await waitFor(() => presentIn(ada).join() === "ada", 10_000, "ada seeing bob leave");
  t.pass();
});

test("an instance gone without a word: its people are forgotten after the TTL", async (t) => {
  const broker = await createMemoryBroker();
  t.teardown(() => broker.close());
  const [here, there] = [new PresenceHub(), new PresenceHub()];
  const relays = [relayPresence(here, broker, "here", { announceMs: 100 }), relayPresence(there, broker, "there", { announceMs: 100 })];
  const ended = new AbortController();
  t.teardown(() => ended.abort());
  // Someone on "there", and a call on "here" listening.
  const cara = new Channel<PresenceUpdate>(4);
  cara.offer({ author: author("cara"), boardId: BOARD_ID, focusCardId: "", left: false });
  const theirs = there.join(cara, ended.signal)[Symbol.asyncIterator]();
  void theirs.next();
  const listener = new Channel<PresenceUpdate>(4);
  listener.offer({ author: author("dan"), boardId: BOARD_ID, focusCardId: "", left: false });
  const heard: string[] = [];
  void (async () => {
    for await (const update of here.join(listener, ended.signal)) heard.push(`${update.author!.id}${update.left ? " left" : ""}`);
  })().catch(() => undefined);
  await waitFor(() => heard.includes("cara"), 3000, "dan hearing cara");
  relays[1]!.close(); // "there" dies: no leave, no more announcements
  const gone = Date.now();
  await waitFor(() => heard.includes("cara left"), 3000, "cara forgotten");
  const took = Date.now() - gone;
  t.true(took >= 150 && took < 1500, `forgotten after ${took} ms (TTL 300 ms)`);
  t.deepEqual(Object.keys(here.authors()), ["dan"]);
  relays[0]!.close();
});
