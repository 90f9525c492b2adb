/**
 * The Toolbar: the "add card" form (a change for the worker's BoardWriter,
 * then the new card is focused on the BoardView) and the filter. Its Filter
 * method narrows the board to one author's cards (no author: everyone's).
 */
import { StreampathError } from "streampath/runtime/core";
import type { ViewService } from "streampath/runtime/view";
import { type Author, Card, type Lane } from "../gen/board/v1/board_pb.js";
import { defineToolbar } from "../gen/board/v1/views_view.js";
import { say } from "./board-view.js";
import type { CardFilter } from "./card-filter.js";

export interface ToolbarElements {
  addForm: HTMLFormElement;
  filterInput: HTMLInputElement;
  filterAuthor: HTMLElement;
  message: HTMLElement;
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
      const button = ui.addForm.querySelector("button")!;
      button.disabled = true;
      void (async () => {
        try {
          const ack = await boardWriter.submit({ changeId: crypto.randomUUID(), author: me, kind: { case: "added", value: card } });
          if (ack.rejectedReason) return say(ui.message, `Refused: ${ack.rejectedReason.value}`, "error");
          ui.addForm.reset();
          say(ui.message, `Added “${title}” (revision ${ack.revision})`);
          await boardView.focus({ cardId: card.id, toLane: card.lane, rank: 0 });
        } catch (error) {
          say(ui.message, `Could not add the card: ${StreampathError.from(error).message}`, "error");
        } finally {
          button.disabled = false;
        }
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
