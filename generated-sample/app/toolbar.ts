/**
 * The Toolbar: the "add card" form (a change for the worker's BoardWriter,
 * then the new card is focused on the BoardView) and the filter. Its Filter
 * method narrows the board to one author's cards (no author: everyone's).
 */
import type { ViewService } from "streampath/runtime/view";
import { type Author, Card, type Lane } from "../gen/board/v1/board_pb.js";
import { defineToolbar } from "../gen/board/v1/views_view.js";
import type { CardFilter } from "./card-filter.js";
import { type PendingEdits, refusal } from "./pending-edits.js";

export interface ToolbarElements {
  addForm: HTMLFormElement;
  filterInput: HTMLInputElement;
  filterAuthor: HTMLElement;
  pending: PendingEdits;
}

export function toolbar(ui: ToolbarElements, me: Author, filter: CardFilter): ViewService {
  return defineToolbar(({ boardView, boardWriter }) => {
    ui.filterInput.addEventListener("input", () => filter.set({ text: ui.filterInput.value }));
    const showAuthor = () => {
      ui.filterAuthor.hidden = !filter.author;
      ui.filterAuthor.querySelector("span")!.textContent = filter.author ? `${filter.author.displayName}'s cards` : "";
    };
    filter.onChange(showAuthor);
    ui.filterAuthor.querySelector("button")!.addEventListener("click", () => filter.set({ author: null }));

    ui.addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(ui.addForm);
      const title = String(form.get("title") ?? "").trim();
      if (!title) return;
      const card = Card.create({ id: crypto.randomUUID(), title, lane: Number(form.get("lane")) as Lane, createdBy: me });
      // Not blocked while it waits: with the host away, edits queue (listed as pending) and go when it is back.
      ui.addForm.reset();
      void (async () => {
        const answer = boardWriter.submit({ changeId: crypto.randomUUID(), author: me, kind: { case: "added", value: card } });
        const ack = await ui.pending.track(`add “${title}”`, answer, () => `Added “${title}”`, (reason) => refusal(reason, title));
        if (ack && !ack.rejectedReason) await boardView.focus({ cardId: card.id, toLane: card.lane, rank: 0 }).catch(() => undefined);
      })();
    });

    return {
      filter(request) {
        filter.set({ author: request.author?.id ? request.author : null });
        return {};
      },
    };
  });
}
