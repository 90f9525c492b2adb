/**
 * docs/guide.md is run as written, in order, in an empty temporary folder:
 * streampath packed from this checkout (`npm pack`, as the guide says to
 * try an unpublished build), the create command, `npm install` from the
 * tarball and the npm registry, `npm run dev` in the background, each shell
 * command, each file checked against what the create command wrote, each
 * diff applied, and the window steps in Chromium: one call of each kind
 * through host, worker and window, then the new method. The guide cannot
 * drift from the code without this failing.
 */
import test, { type ExecutionContext } from "ava";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./helpers/browser.js";
import { ROOT } from "./helpers/generated.js";
import { cleanNpmEnv, packStreampath } from "./helpers/packed.js";
import { applyUnifiedDiff } from "./helpers/unified-diff.js";

const GUIDE = readFileSync(path.join(ROOT, "docs/guide.md"), "utf8");

/** streampath packed once for this file's tests, in a folder of its own. */
let packed: Promise<{ dir: string; tarball: string }> | undefined;
function packedOnce(): Promise<{ dir: string; tarball: string }> {
  packed ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "streampath-packed-"));
    return { dir, tarball: await packStreampath(dir) };
  })();
  return packed;
}
test.after.always(async () => {
  if (packed) rmSync((await packed).dir, { recursive: true, force: true });
});
/** The port the guide's commands and output name; the test's dev server listens on any free one. */
const GUIDE_PORT = "8443";

interface Block {
  lang: string;
  info: string;
  content: string;
  /** `file=PATH` in the info string. */
  file: string | undefined;
}

function guideBlocks(): Block[] {
  return [...GUIDE.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1]!,
    info: m[2]!.trim(),
    content: m[3]!,
    file: /file=(\S+)/.exec(m[2]!)?.[1],
  }));
}

interface Result {
  code: number | null;
  stdout: string;
  /** stdout and stderr as they came. */
  output: string;
}

function shell(command: string, cwd: string, timeoutMs = 240_000): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", command], { cwd, env: cleanNpmEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      output += d;
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, output });
    });
  });
}

/** `npm run dev`, in its own process group (esbuild's watch, tsx's watch and the host under it). */
class DevServer {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private exited = false;

  constructor(cwd: string) {
    this.child = spawn("bash", ["-c", "npm run dev"], { cwd, env: cleanNpmEnv({ PORT: "0" }), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop()!;
        this.lines.push(...parts);
      });
    }
    this.child.once("exit", () => (this.exited = true));
  }

  /** The address in the first "notes: …" line after line `from`. */
  async url(from = 0, ms = 120_000): Promise<{ url: string; line: string; index: number }> {
    const until = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const match = /^notes: (https:\/\/\S+?)\/? /.exec(this.lines[i]!);
        if (match) return { url: match[1]!, line: this.lines[i]!, index: i };
      }
      if (this.exited || Date.now() > until) throw new Error(`npm run dev printed no address${this.exited ? " and exited" : ""}:\n${this.lines.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Kills the whole group, even when npm itself has exited: its watchers and host may live on without it. */
  stop(): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

async function openApp(t: ExecutionContext, browser: Browser, url: string): Promise<Page> {
  const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  page.on("pageerror", (error) => t.fail(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") t.fail(`console error: ${message.text()}`);
  });
  await page.goto(url + "/");
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  await page.waitForSelector("#status[data-state=live]", { timeout: 20_000 });
  return page;
}

const notes = (page: Page) => page.locator("#notes li").allTextContents();
const waitForText = (page: Page, selector: string, text: string) =>
  page.waitForFunction(([s, want]) => document.querySelector(s!)?.textContent === want, [selector, text] as const, { timeout: 10_000 });

/** Section 1 in Chromium: one call of each kind, window → worker → host, and a second tab kept live. */
async function firstVisit(t: ExecutionContext, browser: Browser, url: string): Promise<void> {
  const page = await openApp(t, browser, url);
  t.is(await page.textContent("#status"), "Live");
  await page.fill("#add input[name=text]", "First note"); // Add: unary
  await page.click("#add button[type=submit]");
  await waitForText(page, "#message", "Added note 1");
  await page.waitForFunction(() => document.querySelectorAll("#notes li").length === 1); // Watch: server streaming
  t.deepEqual(await notes(page), ["First note"]);
  const other = await openApp(t, browser, url);
  t.deepEqual(await notes(other), ["First note"], "another tab sees it");
  await page.click("#import"); // Import: client streaming
  await waitForText(page, "#message", "Imported 3 notes");
  await other.waitForFunction(() => document.querySelectorAll("#notes li").length === 4, undefined, { timeout: 10_000 });
  t.deepEqual(await notes(other), ["First note", "Buy milk", "Call Ada", "Read the streampath guide"]);
  await page.fill("#add input[name=text]", "Buy milk"); // Check: bidi streaming, as you type
  await waitForText(page, "#check", "You have this note already");
  await page.fill("#add input[name=text]", "three new words");
  await waitForText(page, "#check", "3 words");
  await page.context().close();
  await other.context().close();
}

/** Section 3 in Chromium: the restarted host's page has the search box, and it finds. */
async function afterTheChange(t: ExecutionContext, browser: Browser, url: string): Promise<Page> {
  const page = await openApp(t, browser, url);
  await page.click("#import"); // the restarted host keeps no notes
  await waitForText(page, "#message", "Imported 3 notes");
  await page.fill("#search", "call ADA");
  await page.waitForFunction(() => document.querySelectorAll("#found li").length === 1, undefined, { timeout: 10_000 });
  t.deepEqual(await page.locator("#found li").allTextContents(), ["Call Ada"]);
  return page;
}

test("docs/guide.md, run as written from an empty folder, ends in a working app in Chromium", async (t) => {
  t.timeout(15 * 60_000);
  const work = mkdtempSync(path.join(tmpdir(), "streampath-guide-"));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const { dir: packDir, tarball } = await packedOnce();
  copyFileSync(path.join(packDir, tarball), path.join(work, tarball)); // where `npm pack` in the checkout leaves it

  const blocks = guideBlocks();
  const fromCheckout = blocks.find((b) => b.lang === "sh" && b.info === "from-checkout");
  t.truthy(fromCheckout, "the guide says how to create the app from a packed checkout");
  const createFromTarball = fromCheckout!.content.trim();
  t.true(createFromTarball.includes(`./${tarball}`), `the guide names the tarball npm pack makes (${tarball})`);
  const expectedAddress = blocks.find((b) => b.lang === "text" && b.content.startsWith("notes: "))!.content.trim();

  let cwd = work;
  let dev: DevServer | undefined;
  t.teardown(() => dev?.stop());
  let linesBeforeChange = 0;
  let changed = false;
  let page: Page | undefined;
  const ran: string[] = [];
  for (const block of blocks) {
    if (block.file) {
      const file = path.join(cwd, block.file);
      const current = readFileSync(file, "utf8");
      if (block.lang === "diff") {
        if (!changed) linesBeforeChange = dev!.lines.length;
        changed = true;
        writeFileSync(file, applyUnifiedDiff(current, block.content, block.file));
      } else if (block.info.includes("excerpt")) t.true(current.includes(block.content), `${block.file} has the guide's excerpt:\n${block.content}`);
      else t.is(current, block.content, `${block.file} is what the guide shows`);
      continue;
    }
    if (block.lang !== "sh" || block === fromCheckout) continue;
    for (const written of block.content.split("\n").filter((line) => line.trim() && !line.startsWith("#"))) {
      let line = written;
      if (line === "npx streampath init my-app") line = createFromTarball; // not on the registry yet
      ran.push(line);
      if (line.startsWith("cd ")) {
        cwd = path.join(cwd, line.slice(3).trim());
        continue;
      }
      if (line === "npm run dev") {
        dev = new DevServer(cwd);
        const { url, line: printed } = await dev.url();
        t.is(printed, expectedAddress.replace(`:${GUIDE_PORT}/`, `:${new URL(url).port}/`), "prints the address as the guide shows it");
        await firstVisit(t, browser, url);
        continue;
      }
      if (line.startsWith("curl ")) {
        // The change's restarted host: its page first, then curl beside it.
        const { url } = await waitForChangedHost(dev!, linesBeforeChange, cwd);
        page = await afterTheChange(t, browser, url);
        line = line.replace(`:${GUIDE_PORT}/`, `:${new URL(url).port}/`);
        const curl = await shell(line, cwd, 30_000);
        t.is(curl.code, 0, `${line}\n${curl.output}`);
        t.like(JSON.parse(curl.stdout) as object, { text: "from curl" });
        await page.waitForFunction(() => Array.from(document.querySelectorAll("#notes li")).some((li) => li.textContent === "from curl"), undefined, { timeout: 10_000 });
        continue;
      }
      const result = await shell(line, cwd);
      t.is(result.code, 0, `${line} (in ${path.relative(work, cwd) || "."}):\n${result.output}`);
      if (line === "npm test") t.regex(result.output, /# pass [1-9]\d*\n# fail 0\n/);
    }
  }
  t.deepEqual(ran.slice(0, 3), [createFromTarball, "cd my-app", "npm install"]);
  t.true(changed && page !== undefined, "the guide changed the app and the page showed the change");
});

/** After the change's diffs: the host tsx restarted with the new code, and a build of the page with the search box. */
async function waitForChangedHost(dev: DevServer, from: number, cwd: string): Promise<{ url: string }> {
  const until = Date.now() + 60_000;
  let latest = await dev.url(from);
  for (;;) {
    // The last restart wins: wait until no newer address came for a moment.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const newer = dev.lines.slice(latest.index + 1).some((line) => line.startsWith("notes: "));
    const built = readFileSync(path.join(cwd, "public/build/window.js"), "utf8").includes('"search"');
    if (!newer && built) return latest;
    if (newer) latest = await dev.url(latest.index + 1);
    if (Date.now() > until) throw new Error(`the dev server did not settle after the change:\n${dev.lines.join("\n")}`);
  }
}

test("npm create streampath: create-streampath, packed beside streampath, writes the app streampath init writes", async (t) => {
  t.timeout(5 * 60_000);
  const work = mkdtempSync(path.join(tmpdir(), "streampath-create-"));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const { dir: packDir, tarball } = await packedOnce();
  copyFileSync(path.join(packDir, tarball), path.join(work, tarball));
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "create-streampath/package.json"), "utf8"));
  t.is(manifest.dependencies.streampath, JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version, "it pins this version");
  const pack = await shell(`npm pack --pack-destination ${JSON.stringify(work)}`, path.join(ROOT, "create-streampath"), 60_000);
  t.is(pack.code, 0, pack.output);
  const create = `create-streampath-${manifest.version}.tgz`;
  // What `npm create streampath my-app` runs (npm exec create-streampath), with both packages from their tarballs.
  const made = await shell(`npx --yes --package ./${tarball} --package ./${create} create-streampath my-app --streampath ./${tarball}`, work);
  t.is(made.code, 0, made.output);
  t.regex(made.stdout, /^Created my-app: a notes app/);
  const init = await shell(`npx --yes --package ./${tarball} streampath init other-app --streampath ./${tarball}`, work);
  t.is(init.code, 0, init.output);
  const files = (dir: string): string[] => readdirSync(path.join(work, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(path.join(work, dir), path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
  t.deepEqual(files("my-app"), files("other-app"));
  for (const file of files("my-app")) {
    const ours = readFileSync(path.join(work, "my-app", file), "utf8");
    const theirs = readFileSync(path.join(work, "other-app", file), "utf8");
    t.is(ours, file === "package.json" ? theirs.replace('"name": "other-app"', '"name": "my-app"') : theirs, file);
  }
});
