/**
 * The sample board as people see it, in two tabs of Debian's Chromium,
 * compared with reference images (test/fixtures/screenshots/) by pixelmatch:
 * Ada adds two cards in her tab, Grace sees them in hers, and once both
 * tabs are still, each is captured at 1000×700 (device scale 1).
 *
 * What varies is pinned: who each tab is (name, color, id: the app's
 * sessionStorage key, set before the page runs), the board (a fresh one per
 * run), animations, transitions and the caret (CSS added to each page), the
 * news message (waited out: it fades), focus and hover. Nothing on the page
 * shows a time, a port or a revision. Antialiasing is what the tolerance is
 * for: pixelmatch's threshold 0.03, at most 0.5 % of the pixels different
 * and at most 16 in any 16×16 square (so a changed word still fails).
 *
 * UPDATE_SCREENSHOTS=1 writes the images taken as the new references and
 * fails, so an update never passes silently (in CI or anywhere).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test from "ava";
import pixelmatch from "pixelmatch";
import type { Browser, Page } from "playwright-core";
import { PNG } from "pngjs";
import { AUTHOR_KEY } from "../generated-sample/app/identity.js";
import { FADE_AFTER_MS } from "../generated-sample/app/notice.js";
import type { Author } from "../generated-sample/gen/board/v1/board_pb.js";
import { launchChromium } from "./helpers/browser.js";
import { ROOT } from "./helpers/generated.js";
import { startSampleApp } from "./helpers/sample-app.js";

const REFERENCES = path.join(ROOT, "test/fixtures/screenshots");
const VIEWPORT = { width: 1000, height: 700 };
/**
 * pixelmatch's per-pixel color distance (OKLab HyAB, 0..1) up to which two pixels are the same.
 * Not its default 0.1: this page's pastels are closer than that (the lanes' #e4e7ee and the
 * page's #f3f4f7 are 0.045 apart), so at 0.1 lanes turned green or gone would pass. Edge
 * antialiasing is told apart by pixelmatch itself, whatever the threshold.
 */
const THRESHOLD = 0.03;
/** The share of pixels that may differ: antialiasing and font hinting, never a changed element. */
const MAX_DIFFERENT = 0.005;
/**
 * And at most this many in any WINDOW×WINDOW square: noise is scattered, a change is not (one word
 * of the status line changed is ~110 pixels, 0.02 % of the image, but ~60 in one square).
 */
const WINDOW = 16;
const MAX_IN_WINDOW = 16;
const STILL = "*, *::before, *::after { transition: none !important; animation: none !important; caret-color: transparent !important; }";
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";

const ADA: Author = { id: "screenshot-ada", displayName: "Ada", color: "#e76f51" };
const GRACE: Author = { id: "screenshot-grace", displayName: "Grace", color: "#457b9d" };

/** A tab of its own (its own sessionStorage) that is `author`, on the board, ready. */
async function openTab(browser: Browser, url: string, author: Author, errors: string[]): Promise<Page> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    colorScheme: "light",
    reducedMotion: "reduce",
    locale: "en-US",
    timezoneId: "UTC",
  });
  // A string, not a function: tsx would wrap a function in a helper the page does not have.
  await context.addInitScript({ content: `sessionStorage.setItem(${JSON.stringify(AUTHOR_KEY)}, ${JSON.stringify(JSON.stringify(author))});` });
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(`${author.displayName}: page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${author.displayName}: console error: ${message.text()}`);
  });
  await page.goto(url);
  await page.addStyleTag({ content: STILL });
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  return page;
}

async function addCard(page: Page, title: string, lane: string): Promise<void> {
  await page.fill("#add-card input[name=title]", title);
  await page.selectOption("#add-card select[name=lane]", { label: lane });
  await page.click("#add-card button[type=submit]");
  await page.waitForSelector(`#message[data-kind=info]:text-is("Added “${title}”")`, { timeout: 10_000 });
}

/** Waits until nothing on the page is on its way: live, nothing pending, no message, fonts loaded; no focus or hover. */
async function still(page: Page, cards: number): Promise<void> {
  await page.waitForFunction(
    (cards) =>
      document.getElementById("status")!.dataset.state === "live" &&
      document.getElementById("status")!.dataset.waiting === "0" &&
      document.querySelectorAll("#pending li").length === 0 &&
      document.querySelectorAll("#present .person").length === 2 &&
      document.querySelectorAll("#board .card:not(.busy)").length === cards &&
      document.getElementById("message")!.textContent === "",
    cards,
    { timeout: FADE_AFTER_MS + 10_000 },
  );
  await page.evaluate(() => document.fonts.ready.then(() => (document.activeElement as HTMLElement | null)?.blur()));
  await page.mouse.move(0, 0);
}

/** A screenshot once two taken in a row are the same (nothing left to render). */
async function stableScreenshot(page: Page): Promise<Buffer> {
  let last = await page.screenshot({ animations: "disabled", caret: "hide" });
  for (let i = 0; i < 10; i++) {
    await page.waitForTimeout(200);
    const next = await page.screenshot({ animations: "disabled", caret: "hide" });
    if (next.equals(last)) return next;
    last = next;
  }
  throw new Error("the page kept changing: ten screenshots 200 ms apart all differed");
}

/** Compares with the reference `name`.png: how many pixels differ, and why it does not match (with the actual and diff images' paths). */
function compare(name: string, actual: Buffer): { different: number; inWindow?: number; problem?: string } {
  const referencePath = path.join(REFERENCES, `${name}.png`);
  if (!existsSync(referencePath)) return { different: NaN, problem: `no reference ${referencePath}: make it with UPDATE_SCREENSHOTS=1 npx ava test/browser-sample-screenshot.test.ts` };
  const reference = PNG.sync.read(readFileSync(referencePath));
  const image = PNG.sync.read(actual);
  const { width, height } = image;
  const sameSize = width === reference.width && height === reference.height;
  const diff = new PNG({ width, height });
  const different = sameSize ? pixelmatch(reference.data, image.data, diff.data, width, height, { threshold: THRESHOLD }) : NaN;
  const inWindow = sameSize ? pixelmatch(reference.data, image.data, null, width, height, { threshold: THRESHOLD, windowSize: WINDOW }) : NaN;
  const share = different / (width * height);
  if (share <= MAX_DIFFERENT && inWindow <= MAX_IN_WINDOW) return { different, inWindow };
  // Kept for a person to look at: not removed after the test.
  const out = mkdtempSync(path.join(tmpdir(), `streampath-screenshot-${name}-`));
  const actualPath = path.join(out, `${name}.actual.png`);
  writeFileSync(actualPath, actual);
  if (!sameSize) return { different, problem: `${name}: ${width}×${height}, the reference ${referencePath} is ${reference.width}×${reference.height}; actual: ${actualPath}` };
  const diffPath = path.join(out, `${name}.diff.png`);
  writeFileSync(diffPath, PNG.sync.write(diff));
  const percent = (share * 100).toFixed(2);
  const counts = `${different} pixels differ (${percent} %; at most ${MAX_DIFFERENT * 100} % allowed), ${inWindow} in one ${WINDOW}×${WINDOW} square (at most ${MAX_IN_WINDOW})`;
  return { different, inWindow, problem: `${name}: ${counts} from ${referencePath}; actual: ${actualPath}, diff: ${diffPath}` };
}

test("two tabs of the sample board look as in the reference screenshots", async (t) => {
  const browser = await launchChromium(); // first: without Chromium, fail at once with how to install it
  t.teardown(() => browser.close());
  const app = await startSampleApp(t);
  const errors: string[] = [];
  const ada = await openTab(browser, app.url, ADA, errors);
  const grace = await openTab(browser, app.url, GRACE, errors);

  await addCard(ada, "Write the release notes", "To do");
  await addCard(ada, "Review the new design", "Doing");
  for (const page of [ada, grace]) await still(page, 2);
  t.deepEqual(
    await grace.evaluate(() => Array.from(document.querySelectorAll("#board .lane"), (lane) => Array.from(lane.querySelectorAll(".card .title"), (e) => e.textContent))),
    [["Write the release notes"], ["Review the new design"], []],
    "Grace's tab shows Ada's cards",
  );

  const shots: [string, Buffer][] = [
    ["sample-tab1", await stableScreenshot(ada)],
    ["sample-tab2", await stableScreenshot(grace)],
  ];
  t.deepEqual(errors, [], "no errors in either tab");
  if (UPDATE) {
    mkdirSync(REFERENCES, { recursive: true });
    for (const [name, png] of shots) writeFileSync(path.join(REFERENCES, `${name}.png`), png);
    t.fail(`UPDATE_SCREENSHOTS=1: wrote ${shots.map(([name]) => `${name}.png`).join(" and ")} in ${REFERENCES}; look at them, then run again without UPDATE_SCREENSHOTS`);
    return;
  }
  for (const [name, png] of shots) {
    const { different, inWindow, problem } = compare(name, png);
    t.true(problem === undefined, problem);
    t.log(`${name}: ${different} pixels differ from the reference, at most ${inWindow} in one ${WINDOW}×${WINDOW} square`);
  }
});
