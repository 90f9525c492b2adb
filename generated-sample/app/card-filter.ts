/**
 * What the board shows: cards whose title or body contains a text, and
 * optionally only one author's cards. Set by the toolbar (and the presence
 * list), read by the board view; both live in the window, so this is a
 * plain object with change listeners rather than a service.
 */
import type { Author, Card } from "../gen/board/v1/board_pb.js";

export class CardFilter {
  text = "";
  author: Author | undefined;
  private listeners = new Set<() => void>();

  set(change: { text?: string; author?: Author | null }): void {
    if (change.text !== undefined) this.text = change.text;
    if (change.author !== undefined) this.author = change.author ?? undefined;
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  matches(card: Card): boolean {
    if (this.author && card.createdBy?.id !== this.author.id) return false;
    const text = this.text.trim().toLowerCase();
    return !text || card.title.toLowerCase().includes(text) || card.body.toLowerCase().includes(text);
  }

  get active(): boolean {
    return Boolean(this.author || this.text.trim());
  }
}
