/**
 * `npm start` keeps the board: cards added, the app stopped (SIGTERM: drained,
 * files closed) and started again on the same data directory, the board is
 * the same — cards, revision, history. And after a crash (SIGKILL, nothing
 * flushed or closed) too: every change answered was already in the file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "ava";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import type { Board } from "../generated-sample/gen/board/v1/board_pb.js";
import { fromArray } from "./helpers/host.js";
import { appClient, startSampleApp } from "./helpers/sample-app.js";
import { addCard, moveCard, newCard } from "./helpers/sample-hosts.js";
import { Lane } from "../generated-sample/gen/board/v1/board_pb.js";

const withoutPresence = (board: Board) => ({ ...board, present: {} });

test("the single-instance app has the same board after a restart and after a crash", async (t) => {
  const parent = mkdtempSync(path.join(tmpdir(), "streampath-board-"));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = path.join(parent, "board"); // not there yet, as on a first `npm start`

  const first = await startSampleApp(t, { DATA_DIR: dataDir });
  await first.waitForLine(/^board: revision 0, 0 cards, kept in /);
  const one = appClient(t, first);
  for await (const ack of one.edit(fromArray([addCard("ch-1", newCard("c1", "Kept")), addCard("ch-2", newCard("c2", "Also kept")), moveCard("ch-3", "c1", Lane.LANE_DONE)]))) {
    t.is(ack.rejectedReason, undefined);
  }
  const before = await one.getBoard({ boardId: BOARD_ID });
  t.is(before.revision, 3n);
  t.is(await first.stop("SIGTERM"), 0, first.lines.join("\n"));

  const second = await startSampleApp(t, { DATA_DIR: dataDir });
  await second.waitForLine(/^board: revision 3, 2 cards, kept in /);
  const two = appClient(t, second);
  const after = await two.getBoard({ boardId: BOARD_ID });
  t.deepEqual(withoutPresence(after), withoutPresence(before), "the same cards, revision and history");
  for await (const ack of two.edit(fromArray([addCard("ch-4", newCard("c3", "Added before a crash"))]))) t.is(ack.revision, 4n);
  t.is(await second.stop("SIGKILL"), null);

  const third = await startSampleApp(t, { DATA_DIR: dataDir });
  await third.waitForLine(/^board: revision 4, 3 cards, kept in /);
  const board = await appClient(t, third).getBoard({ boardId: BOARD_ID });
  t.deepEqual(Object.keys(board.cards).sort(), ["c1", "c2", "c3"]);
  t.is(board.historyId, before.historyId);
  t.is(await third.stop("SIGINT"), 0);
});
