/**
 * The BoardView: renders the board's lanes and cards, and who is here, live
 * from the worker's BoardReader, and turns the card buttons (move left or
 * right, remove) into changes for the worker's BoardWriter. Plain DOM: the
 * whole board is re-rendered at most once per task, which is plenty for a
 * board of hundreds of cards.
 */
import { StreampathError } from "streampath/runtime/core";
import type { ViewService } from "streampath/runtime/view";
import { type Author, type Board, type Change, Lane } from "../gen/board/v1/board_pb.js";
import { defineBoardView } from "../gen/board/v1/views_view.js";
import type { BoardWriterClient } from "../gen/board/v1/worker_guest.js";
import { LANES, applyEvent, cardsOf } from "./board-state.js";
import type { CardFilter } from "./card-filter.js";
import { el } from "./dom.js";
import type { Say } from "./notice.js";
import { type PendingEdits, refusal } from "./pending-edits.js";
import type { StatusLine } from "./status-line.js";

export const LANE_NAMES: Record<number, string> = { [Lane.LANE_TODO]: "To do", [Lane.LANE_DOING]: "Doing", [Lane.LANE_DONE]: "Done" };

export interface BoardViewElements {
  board: HTMLElement;
  status: StatusLine;
  present: HTMLElement;
  /** The message line under the toolbar. */
  say: Say;
  /** Where this tab's edits wait for their answers. */
  pending: PendingEdits;
}

export function boardView(ui: BoardViewElements, me: Author, filter: CardFilter): ViewService {
  return defineBoardView(({ boardReader, boardWriter }) => {
    let board: Board | undefined;
    let showing: Promise<void> | undefined;
    let focusId: string | undefined;
    let scheduled = false;

    const render = () => {
      scheduled = false;
      if (!board) return;
      renderPresence(ui.present, board, me, filter);
      ui.board.replaceChildren(...LANES.map((lane) => renderLane(board!, lane, filter, focusId)));
      ui.board.dataset.revision = String(board.revision);
      const focused = focusId && ui.board.querySelector(`[data-card-id="${CSS.escape(focusId)}"]`);
      if (focused) {
        focused.scrollIntoView({ block: "nearest" });
        focusId = undefined;
      }
    };
    const schedule = () => {
      if (!scheduled) setTimeout(render, 0);
      scheduled = true;
    };
    filter.onChange(schedule);
    ui.board.addEventListener("click", (event) => void onClick(event, boardWriter, me, ui.pending, board));

    /** Follows the reader for as long as the page lives, resuming after the revision it has. */
    const follow = async (boardId: string, first: () => void) => {
      for (let failures = 0; ; failures++) {
        try {
          for await (const { update } of boardReader.updates({ boardId, afterRevision: board?.revision ?? 0n })) {
            if (update.case === "snapshot") {
              // Never silently: a board of another history, or one that went back in time, lost what it had
              // (the server's data was reset).
              const otherHistory = board?.historyId !== undefined && update.value.historyId !== board.historyId;
              if (board && (otherHistory || update.value.revision < board.revision)) {
                // The revisions stay in data-from/data-to: what a person can act on is that recent changes are gone.
                ui.say("The board was reset on the server: its latest changes are lost.", "error", { from: String(board.revision), to: String(update.value.revision) });
              }
              board = update.value;
            } else if (update.case === "event" && board) applyEvent(board, update.value);
            else continue;
            ui.status.setRevision(board!.revision);
            failures = 0;
            schedule();
            first();
          }
        } catch (error) {
          // The worker connection's state says what is wrong; this says what the board could not do.
          ui.say(`The board stopped updating (${StreampathError.from(error).message}); trying again…`, "error");
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** failures)));
      }
    };

    return {
      show(request) {
        // Shown once per page; the board stays live after Show returns.
        showing ??= new Promise<void>((resolve) => void follow(request.boardId, resolve));
        return showing.then(() => ({}));
      },
      focus(request) {
        focusId = request.cardId;
        schedule();
        return {};
      },
    };
  });
}

function renderPresence(list: HTMLElement, board: Board, me: Author, filter: CardFilter): void {
  const authors = Object.values(board.present).sort((a, b) => Number(b.id === me.id) - Number(a.id === me.id) || a.displayName.localeCompare(b.displayName));
  list.replaceChildren(
    ...authors.map((author) => {
      const chip = el("button", { className: "person", title: `Show only ${author.displayName}'s cards` }, author.id === me.id ? `${author.displayName} (you)` : author.displayName);
      chip.style.setProperty("--color", author.color);
      chip.dataset.authorId = author.id;
      if (filter.author?.id === author.id) chip.classList.add("selected");
      chip.addEventListener("click", () => filter.set({ author: filter.author?.id === author.id ? null : author }));
      return chip;
    }),
  );
}

function renderLane(board: Board, lane: Lane, filter: CardFilter, focusId: string | undefined): HTMLElement {
  const all = cardsOf(board, lane);
  const shown = all.filter((card) => filter.matches(card));
  const count = shown.length === all.length ? String(all.length) : `${shown.length} of ${all.length}`;
  const cards = shown.map((card) => {
    const item = el(
      "li",
      { className: card.id === focusId ? "card focused" : "card" },
      el("div", { className: "title" }, card.title),
      el("div", { className: "meta" }, `Added by ${card.createdBy?.displayName ?? "someone"}`),
      el(
        "div",
        { className: "actions" },
        el("button", { title: "Move left", disabled: lane === LANES[0] }, "←"),
        el("button", { title: "Move right", disabled: lane === LANES[LANES.length - 1] }, "→"),
        el("button", { title: "Remove", className: "remove" }, "✕"),
      ),
    );
    item.dataset.cardId = card.id;
    item.dataset.revision = String(card.revision);
    item.style.setProperty("--color", card.createdBy?.color ?? "#888");
    return item;
  });
  const section = el(
    "section",
    { className: "lane" },
    el("h2", {}, LANE_NAMES[lane] ?? String(lane), " ", el("span", { className: "count" }, count)),
    el("ol", { className: "cards" }, ...cards),
  );
  section.dataset.lane = Lane[lane];
  return section;
}

async function onClick(event: Event, writer: BoardWriterClient, me: Author, pending: PendingEdits, board: Board | undefined): Promise<void> {
  const button = (event.target as HTMLElement).closest("button");
  const card = button?.closest<HTMLElement>(".card");
  if (!button || !card?.dataset.cardId) return;
  const cardId = card.dataset.cardId;
  const title = board?.cards[cardId]?.title;
  const lane = Lane[card.closest<HTMLElement>(".lane")!.dataset.lane as keyof typeof Lane];
  const index = LANES.indexOf(lane as (typeof LANES)[number]);
  let kind: Change["kind"];
  let what: string;
  let done: string;
  if (button.title === "Remove") {
    kind = { case: "removedCardId", value: cardId };
    what = `remove “${title ?? "the card"}”`;
    done = `Removed “${title ?? "the card"}”`;
  } else {
    const toLane = LANES[index + (button.title === "Move left" ? -1 : 1)]!;
    kind = { case: "moved", value: { cardId, toLane, rank: 0 } };
    what = `move “${title ?? "the card"}” to ${LANE_NAMES[toLane]}`;
    done = `Moved “${title ?? "the card"}” to ${LANE_NAMES[toLane]}`;
  }
  card.classList.add("busy");
  try {
    const answer = writer.submit({ changeId: crypto.randomUUID(), author: me, kind });
    await pending.track(what, answer, () => done, (reason) => refusal(reason, title));
  } finally {
    card.classList.remove("busy");
  }
}
