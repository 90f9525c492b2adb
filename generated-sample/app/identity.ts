/**
 * Who this tab is: a name and a color picked at random once per tab and
 * kept in sessionStorage, so a reload keeps it and another tab is someone
 * else (the sample has no accounts; the worker announces it as presence).
 */
import type { Author } from "../gen/board/v1/board_pb.js";

const NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Margaret", "Dennis", "Leslie"];
const COLORS = ["#2a9d8f", "#e76f51", "#457b9d", "#8338ec", "#d62828", "#2b9348", "#f4a261", "#3a86ff"];
/** The sessionStorage key of this tab's author (a test pins who a tab is by setting it first). */
export const AUTHOR_KEY = "streampath-sample-author";

export function tabAuthor(): Author {
  try {
    const saved = JSON.parse(sessionStorage.getItem(AUTHOR_KEY) ?? "null") as Author | null;
    if (saved?.id && saved.displayName && saved.color) return saved;
  } catch {
    // Unreadable: pick a new one.
  }
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
  const author = { id: crypto.randomUUID(), displayName: pick(NAMES), color: pick(COLORS) };
  sessionStorage.setItem(AUTHOR_KEY, JSON.stringify(author));
  return author;
}
