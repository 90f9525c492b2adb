/**
 * The one-line message under the toolbar. News ("Added “x”") fades after a
 * few seconds, so it never describes a board long gone; an error stays until
 * the next message or until dismissed. A new message replaces the old one.
 * Long text is cut with an ellipsis (all of it in the tooltip): the line has
 * a fixed height, so a message never moves the board.
 */
export type MessageKind = "info" | "error";

/**
 * Says `text`; `data` becomes data-* attributes of the message (details for tools and tests,
 * e.g. `{ revision: "4" }`); `data.detail`, the technical cause, is shown in the tooltip too.
 */
export type Say = (text: string, kind?: MessageKind, data?: Record<string, string>) => void;

/** How long news stays before it fades. */
export const FADE_AFTER_MS = 4000;
/** The fade itself; style.css's transition on #message[data-fading] matches it. */
const FADE_MS = 400;

export class Notice {
  private timers: ReturnType<typeof setTimeout>[] = [];
  private dataKeys: string[] = [];

  constructor(private readonly element: HTMLElement, private readonly dismiss: HTMLButtonElement) {
    dismiss.addEventListener("click", () => this.clear());
  }

  readonly say: Say = (text, kind = "info", data = {}) => {
    this.clear();
    const { element } = this;
    element.textContent = text;
    element.title = data.detail ? `${text}\n${data.detail}` : text;
    element.dataset.kind = kind;
    Object.assign(element.dataset, data);
    this.dataKeys = Object.keys(data);
    this.dismiss.hidden = kind !== "error";
    if (kind === "info") {
      // Timers rather than transitionend: it never fires with transitions turned off.
      this.timers.push(
        setTimeout(() => {
          element.dataset.fading = "true";
          this.timers.push(setTimeout(() => this.clear(), FADE_MS));
        }, FADE_AFTER_MS),
      );
    }
  };

  /** Takes the message away at once. */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    const { element } = this;
    element.textContent = "";
    element.removeAttribute("title");
    for (const key of [...this.dataKeys, "kind", "fading"]) delete element.dataset[key];
    this.dataKeys = [];
    this.dismiss.hidden = true;
  }
}
