/**
 * The app's window (bundled to /main.js): starts the worker, connects to it
 * over the bridge, serves the BoardView and the Toolbar, and shows the board.
 * The path of a change: this window → the worker (bridge) → a board host
 * (the pair, over HTTP/2) → the board's log, and back out to every tab. The
 * header says whether the host is reached now, and lists edits still waiting.
 */
import { connectWorker, serveView } from "streampath/runtime/view";
import { createBoardViewClient } from "../gen/board/v1/views_view.js";
import { BOARD_ID } from "./board-state.js";
import { boardView } from "./board-view.js";
import { CardFilter } from "./card-filter.js";
import { byId } from "./dom.js";
import { tabAuthor } from "./identity.js";
import { Notice } from "./notice.js";
import { PendingEdits } from "./pending-edits.js";
import { StatusLine } from "./status-line.js";
import { toolbar } from "./toolbar.js";

const me = tabAuthor();
const worker = new Worker(`/worker.js?${new URLSearchParams({ id: me.id, name: me.displayName, color: me.color })}`, { type: "module" });
const connection = connectWorker(worker);
const filter = new CardFilter();
const { say } = new Notice(byId("message"), byId<HTMLButtonElement>("dismiss"));
// What a person can do about it is reload; the cause is kept in the tooltip and data-detail.
worker.addEventListener("error", (event) => say("Something went wrong in this tab. Reload the page to try again.", "error", { detail: event.message || "did /worker.js load?" }));

const status = new StatusLine(byId("status"), connection);
const pending = new PendingEdits(byId("pending"), say, (count) => status.setWaiting(count));

const views = serveView({
  worker: connection,
  services: [
    boardView({ board: byId("board"), status, present: byId("present"), say, pending }, me, filter),
    toolbar({ addForm: byId<HTMLFormElement>("add-card"), filterInput: byId<HTMLInputElement>("filter"), filterAuthor: byId("filter-author"), pending }, me, filter),
  ],
});

addEventListener("pagehide", () => {
  views.close();
  connection.close();
  worker.terminate();
});

try {
  await createBoardViewClient(views.transport).show({ boardId: BOARD_ID });
  document.body.dataset.ready = "true";
} catch (error) {
  say("Could not show the board. Reload the page to try again.", "error", { detail: (error as Error).message });
}
