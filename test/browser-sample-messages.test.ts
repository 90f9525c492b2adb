/**
 * The sample's message line, in Chromium: news ("Added “x”") fades by itself
 * after a few seconds, an error stays until it is dismissed or another
 * message replaces it, and the line keeps its height: a long message is cut
 * with an ellipsis (all of it in the tooltip), so neither it nor the
 * filter's author chip moves the board.
 */
import test from "ava";
import type { Page } from "playwright-core";
import { FADE_AFTER_MS } from "../generated-sample/app/notice.js";
import { launchChromium, openPage } from "./helpers/browser.js";
import { startSampleApp } from "./helpers/sample-app.js";

interface Shown {
  text: string;
  tooltip: string;
  kind: string;
  revision: string;
  /** Wider than the line: cut with an ellipsis. */
  cut: boolean;
  dismissable: boolean;
  boardTop: number;
}

const shown = (page: Page): Promise<Shown> =>
  page.evaluate(() => {
    const message = document.getElementById("message")!;
    return {
      text: message.textContent ?? "",
      tooltip: message.title,
      kind: message.dataset.kind ?? "",
      revision: message.dataset.revision ?? "",
      cut: message.scrollWidth > message.clientWidth,
      dismissable: !document.getElementById("dismiss")!.hidden,
      boardTop: document.getElementById("board")!.getBoundingClientRect().top,
    };
  });

/** Waits until the message is `text` (of `kind`; "" for none). */
const until = (page: Page, text: string, kind: string, timeout = 10_000) =>
  page.waitForFunction(
    ([text, kind]) => document.getElementById("message")!.textContent === text && (document.getElementById("message")!.dataset.kind ?? "") === kind,
    [text, kind] as const,
    { timeout },
  );

async function addCard(page: Page, title: string): Promise<void> {
  await page.fill("#add-card input[name=title]", title);
  await page.click("#add-card button[type=submit]");
}

/** A title over the board's 200 characters, past the input's maxlength (set by script, which it does not stop): refused. */
async function addTooLong(page: Page): Promise<void> {
  await page.evaluate(() => {
    const form = document.querySelector<HTMLFormElement>("#add-card")!;
    form.querySelector("input")!.value = "x".repeat(201);
    form.requestSubmit();
  });
}
const REFUSED = "Not applied: a title has at most 200 characters";

test("news fades, an error stays until dismissed or replaced, and no message moves the board", async (t) => {
  const browser = await launchChromium(); // first: without Chromium, fail at once with how to install it
  t.teardown(() => browser.close());
  const app = await startSampleApp(t);
  const page = await openPage(browser);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(app.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  const { boardTop, text: before } = await shown(page);
  t.is(before, "", "nothing said yet");

  // Long news: one line, cut, the whole of it in the tooltip; the revision for tools, not in the words.
  const long = "A card whose title is much longer than the message line is wide ".repeat(3).trim();
  await addCard(page, long);
  await until(page, `Added “${long}”`, "info");
  t.like(await shown(page), { tooltip: `Added “${long}”`, revision: "1", cut: true, dismissable: false, boardTop });

  // A refused card: its error replaces the news at once, and does not fade; it goes when dismissed.
  await addTooLong(page);
  await until(page, REFUSED, "error");
  t.like(await shown(page), { revision: "", dismissable: true, boardTop });
  await page.waitForTimeout(FADE_AFTER_MS + 1500);
  t.like(await shown(page), { text: REFUSED, kind: "error", dismissable: true }, "the error is still there after news would have faded");
  await page.click("#dismiss");
  t.like(await shown(page), { text: "", kind: "", tooltip: "", dismissable: false, boardTop });

  // An error replaced by news; the news fades by itself, not before its time.
  await addTooLong(page);
  await until(page, REFUSED, "error");
  await addCard(page, "Short");
  await until(page, "Added “Short”", "info");
  const shownAt = Date.now();
  const card = page.locator("#board .card", { hasText: "Short" });
  await card.waitFor({ timeout: 5000 });
  t.like(await shown(page), { revision: (await card.getAttribute("data-revision")) ?? "none", cut: false, dismissable: false, boardTop });
  await until(page, "", "", FADE_AFTER_MS + 5000);
  const lasted = Date.now() - shownAt;
  t.true(lasted >= FADE_AFTER_MS - 1000, `news went after ${lasted} ms, before its ${FADE_AFTER_MS} ms`);
  t.like(await shown(page), { revision: "", tooltip: "", boardTop });

  // The filter's author chip appears in the toolbar's row: the board stays put.
  await page.click("#present .person");
  await page.waitForSelector("#filter-author:not([hidden])");
  t.is((await shown(page)).boardTop, boardTop, "the author chip did not move the board");
  t.deepEqual(errors, []);
  t.log(`news shown for ${lasted} ms`);
});
