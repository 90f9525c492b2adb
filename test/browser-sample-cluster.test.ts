/**
 * The sample board scaled out, in Chromium: three board hosts on NATS
 * behind Debian's haproxy (TLS, HTTP/2, round-robin per request).
 * - One instance crashes while two tabs edit: a tab on the other instances
 *   is unaffected, the affected tabs show "reconnecting" within 2 s and come
 *   back without a reload, every tab converges to one revision, and every
 *   card added (during the crash too) is there once.
 * - A rolling restart of all three under a steady stream of edits from four
 *   tabs: no edit lost, none applied twice, every tab converges.
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import type { Browser, Page } from "playwright-core";
import { BOARD_ID } from "../generated-sample/app/board-state.js";
import { bundleApp } from "../generated-sample/app/bundle.js";
import { staticFiles } from "../generated-sample/app/static-files.js";
import { launchChromium, openPage } from "./helpers/browser.js";
import { startHaproxy } from "./helpers/haproxy.js";
import { sleep, waitFor } from "./helpers/host.js";
import { startNats } from "./helpers/nats.js";
import { author, logCounts, startBoardCluster, startTab } from "./helpers/sample-cluster.js";
import { selfSigned } from "./helpers/tls.js";

let browser: Browser;
let fallback: ReturnType<typeof staticFiles>;
test.before(async () => {
  browser = await launchChromium();
  fallback = staticFiles(await bundleApp());
});
test.after.always(() => browser?.close());

async function cluster(t: ExecutionContext) {
  const nats = await startNats(t);
  const instances = await startBoardCluster(t, nats, ["b1", "b2", "b3"], { fallback });
  const haproxy = await startHaproxy(t, { route: "round-robin", tls: selfSigned(), backends: instances.map(({ name, url }) => ({ name, url })) });
  return { nats, instances, haproxy };
}

interface StatusChange {
  state: string;
  text: string;
  at: number;
}

/** A tab on `url`, ready, recording every change of its status line (state, text, Date.now()); page errors go to `errors`. */
async function openTab(t: ExecutionContext, url: string, errors: string[]): Promise<Page> {
  const page = await openPage(browser);
  t.teardown(() => page.context().close());
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  await page.evaluate(() => {
    const status = document.getElementById("status")!;
    const changes: StatusChange[] = ((window as unknown as { statusChanges: StatusChange[] }).statusChanges = []);
    new MutationObserver(() => changes.push({ state: status.dataset.state ?? "", text: status.textContent ?? "", at: Date.now() }))
      .observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
  });
  return page;
}

const statusChanges = (page: Page) => page.evaluate(() => (window as unknown as { statusChanges: StatusChange[] }).statusChanges);

async function addCard(page: Page, title: string): Promise<void> {
  await page.fill("#add-card input[name=title]", title);
  await page.click("#add-card button[type=submit]");
}

/** The titles of the cards on a tab's board, and its revision. */
async function boardOf(page: Page): Promise<{ titles: string[]; revision: string }> {
  return page.evaluate(() => ({
    titles: Array.from(document.querySelectorAll("#board .card .title"), (e) => e.textContent ?? ""),
    revision: document.getElementById("board")!.dataset.revision ?? "",
  }));
}

const pendingCount = (page: Page) => page.evaluate(() => document.querySelectorAll("#pending li").length);

/** Waits until every tab has no edit pending and all show the same revision; returns the boards. */
async function converged(tabs: Page[], ms: number, settled: (boards: { titles: string[]; revision: string }[]) => boolean = () => true) {
  const until = Date.now() + ms;
  for (;;) {
    const pending = await Promise.all(tabs.map(pendingCount));
    const boards = await Promise.all(tabs.map(boardOf));
    const same = boards.every((b) => b.revision === boards[0]!.revision && b.titles.length === boards[0]!.titles.length);
    if (pending.every((n) => n === 0) && same && settled(boards)) return boards;
    if (Date.now() > until) throw new Error(`no convergence within ${ms} ms: pending ${pending}, revisions ${boards.map((b) => b.revision)}`);
    await sleep(100);
  }
}

const countsOf = (titles: string[]) => titles.reduce((m, title) => m.set(title, (m.get(title) ?? 0) + 1), new Map<string, number>());

test.serial("one of three instances crashes while two tabs edit: the others are unaffected, the affected tabs show reconnecting within 2 s and converge, nothing is lost or doubled", async (t) => {
  const { nats, instances, haproxy } = await cluster(t);
  const errors: string[] = [];
  const tabs = [await openTab(t, haproxy.url, errors), await openTab(t, haproxy.url, errors)];
  // A tab pinned to b1 (its worker's calls all on b1): what the crash of another instance must not touch.
  const pinned = startTab(t, instances[0]!.url, author("pinned"));
  await pinned.reader.current({ boardId: BOARD_ID });
  await waitFor(() => pinned.board.live?.status === "live", 10_000, "the pinned tab live");

  for (const [i, tab] of tabs.entries()) for (let n = 0; n < 3; n++) await addCard(tab, `before ${i}-${n}`);
  await converged(tabs, 20_000, (boards) => boards[0]!.titles.length === 6);
  const watchesBefore = pinned.board.live!.watches;

  const crashedAt = Date.now();
  await instances[1]!.crash();
  // Edits right after the crash: they wait, visibly, and go once the tab is through.
  for (const [i, tab] of tabs.entries()) for (let n = 0; n < 3; n++) await addCard(tab, `during ${i}-${n}`);

  const boards = await converged(tabs, 30_000, (all) => all[0]!.titles.length >= 12);
  const expected = [0, 1].flatMap((i) => [0, 1, 2].flatMap((n) => [`before ${i}-${n}`, `during ${i}-${n}`]));
  for (const [i, board] of boards.entries()) {
    const counts = countsOf(board.titles);
    t.deepEqual(expected.filter((title) => counts.get(title) !== 1), [], `tab ${i}: every card once`);
  }
  const changes = await Promise.all(tabs.map(statusChanges));
  const reconnected = changes.map((list) => list.find((c) => c.state === "reconnecting" && c.at >= crashedAt));
  t.log(`status after the crash: ${changes.map((list, i) => `tab ${i}: ${list.filter((c) => c.at >= crashedAt).map((c) => `${c.state}@+${c.at - crashedAt}ms`).join(" ") || "no change"}`).join("; ")}`);
  t.true(reconnected.some(Boolean), "at least one tab had a call on the crashed instance");
  for (const change of reconnected) if (change) t.true(change.at - crashedAt < 2000, `reconnecting after ${change.at - crashedAt} ms: ${change.text}`);
  for (const tab of tabs) t.is(await tab.evaluate(() => document.getElementById("status")!.dataset.state), "live", "back without a reload");

  // The tab on b1 never noticed: one Watch all along, its board at the same revision.
  t.is(pinned.board.live!.watches, watchesBefore, "the pinned tab's Watch was not restarted");
  await waitFor(() => String(pinned.board.live!.feed.revision) === boards[0]!.revision, 10_000, "the pinned tab converging");
  const log = await logCounts(nats);
  t.is(log.size, 12, "twelve changes in the board's log");
  t.deepEqual(errors, [], "no page errors");
});

test.serial("a rolling restart of all three instances under a steady stream of edits from four tabs: none lost, none doubled, every tab converges", async (t) => {
  const { instances, haproxy } = await cluster(t);
  const tabs: Page[] = [];
  const errors: string[] = [];
  for (let i = 0; i < 4; i++) tabs.push(await openTab(t, haproxy.url, errors));
  const perTab = 30; // edits for about 10 s: across the whole rolling restart
  const edits = tabs.map(async (tab, i) => {
    for (let n = 0; n < perTab; n++) {
      await addCard(tab, `tab ${i} card ${n}`);
      await sleep(250);
    }
  });
  for (const instance of instances) {
    await sleep(600);
    await instance.drain(1000);
    await sleep(300);
    await instance.start();
    await sleep(1200); // haproxy's health checks (2 × 500 ms) take it back
  }
  await Promise.all(edits);
  const boards = await converged(tabs, 60_000, (all) => all[0]!.titles.length >= 4 * perTab);
  const expected = tabs.flatMap((_, i) => Array.from({ length: perTab }, (_, n) => `tab ${i} card ${n}`));
  for (const [i, board] of boards.entries()) {
    const counts = countsOf(board.titles);
    t.deepEqual(expected.filter((title) => !counts.has(title)), [], `tab ${i}: none lost`);
    t.deepEqual(expected.filter((title) => (counts.get(title) ?? 0) > 1), [], `tab ${i}: none doubled`);
  }
  t.log(`${expected.length} cards from 4 tabs across a rolling restart; every tab at revision ${boards[0]!.revision}`);
  t.deepEqual(errors, [], "no page errors");
});
