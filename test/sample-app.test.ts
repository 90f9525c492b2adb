/**
 * The sample app end to end, as `npm start` runs it, in Debian's Chromium:
 * two tabs (two people) on the board host; a card added through one tab's
 * form appears in the other tab, with the revision the board's log gave it (the
 * app prints each change it applies); a move made in the second tab
 * comes back to the first; each tab lists both people, and the one left
 * sees the other leave when that tab closes. A screenshot of the running
 * app is saved, and Ctrl-C (SIGINT) stops everything with exit 0 and frees
 * the port.
 */
import { mkdirSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import path from "node:path";
import test from "ava";
import type { Page } from "playwright-core";
import { launchChromium, openPage } from "./helpers/browser.js";
import { ROOT } from "./helpers/generated.js";
import { startSampleApp } from "./helpers/sample-app.js";

const SCREENSHOT = path.join(ROOT, "test-results/sample-app.png");

async function openBoard(page: Page, url: string): Promise<string[]> {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  return errors;
}

/** Whether the host answers a GET within `ms` (a host stuck in a loop does not). */
function answers(url: string, ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const session = http2.connect(url, { rejectUnauthorized: false });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    session.on("error", () => done(false));
    const request = session.request({ ":path": "/style.css" });
    request.on("response", (headers) => done(headers[":status"] === 200));
    request.on("error", () => done(false));
    request.end();
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

test("two tabs edit one board live through the worker, the board host and its log; Ctrl-C stops the app cleanly", async (t) => {
  const app = await startSampleApp(t);
  t.log(`the app at ${app.url}`);
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const [ada, bob] = [await openPage(browser), await openPage(browser)];
  const errors = [...(await openBoard(ada, app.url)), ...(await openBoard(bob, app.url))];

  // Presence: each tab lists both people (its own name marked "(you)").
  for (const page of [ada, bob]) await page.waitForFunction(() => document.querySelectorAll("#present .person").length === 2, undefined, { timeout: 10_000 });
  t.is(await ada.locator("#present .person", { hasText: "(you)" }).count(), 1);

  // Ada adds a card through the form; it appears in Bob's tab.
  const title = `Card from the e2e test ${Date.now()}`;
  await ada.fill("#add-card input[name=title]", title);
  await ada.selectOption("#add-card select[name=lane]", { label: "To do" });
  await ada.click("#add-card button[type=submit]");
  const bobCard = bob.locator(".lane[data-lane=LANE_TODO] .card", { hasText: title });
  await bobCard.waitFor({ timeout: 10_000 });

  // The revision Bob's tab shows is the one the board host applied it at (it prints each change).
  const [, addRevision] = await app.waitForLine(new RegExp(`^board: revision (\\d+): .* added "${title}"$`), 5000);
  t.is(await bobCard.getAttribute("data-revision"), addRevision);
  // The writer is told in words; the revision is kept in the message's data-revision (news fades after a few seconds).
  const said = await ada.waitForFunction((revision) => {
    const message = document.getElementById("message")!;
    return message.dataset.revision === revision && message.textContent;
  }, addRevision, { timeout: 3000 });
  t.is(await said.jsonValue(), `Added “${title}”`);

  // Bob moves it to Doing; Ada's tab follows.
  await bobCard.getByTitle("Move right").click();
  const adaCard = ada.locator(".lane[data-lane=LANE_DOING] .card", { hasText: title });
  await adaCard.waitFor({ timeout: 10_000 });
  const [, moveRevision] = await app.waitForLine(/^board: revision (\d+): .* moved /, 5000);
  t.is(await adaCard.getAttribute("data-revision"), moveRevision);
  t.is(Number(moveRevision), Number(addRevision) + 1);
  t.is(await ada.locator(".lane[data-lane=LANE_TODO] .card", { hasText: title }).count(), 0);

  // The filter narrows Ada's board; clearing it brings the card back.
  await ada.fill("#filter", "no card has this title");
  await ada.locator(".card", { hasText: title }).waitFor({ state: "detached", timeout: 5000 });
  await ada.fill("#filter", "");
  await adaCard.waitFor({ timeout: 5000 });

  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await ada.fill("#add-card input[name=title]", "Try moving this card");
  await ada.click("#add-card button[type=submit]");
  await bob.locator(".card", { hasText: "Try moving this card" }).waitFor({ timeout: 10_000 });
  await ada.screenshot({ path: SCREENSHOT, fullPage: true });
  t.log(`screenshot of the running app: ${SCREENSHOT}`);

  t.deepEqual(errors, [], "no errors in either tab");

  // Bob closes his tab: his calls end, the host stays up, and Ada sees him leave.
  await bob.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.true(await answers(app.url), "the board host still answers after a tab with open calls closed");
  // (after the host gives up waiting for his broken calls to resume: 5 s)
  await ada.waitForFunction(() => document.querySelectorAll("#present .person").length === 1, undefined, { timeout: 15_000 });
  await ada.fill("#add-card input[name=title]", "After Bob left");
  await ada.click("#add-card button[type=submit]");
  await app.waitForLine(/^board: revision \d+: .* added "After Bob left"$/, 10_000);
  await browser.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.true(await answers(app.url), "the board host still answers after the browser went away");

  t.is(await app.stop("SIGINT"), 0, `exit code after SIGINT; the app printed:\n${app.lines.join("\n")}`);
  t.true(app.lines.includes("stopped"));
  t.true(await canListen(app.port), `port ${app.port} is free again`);
});
