/**
 * createHost({ static }): a folder's files for GET and HEAD over HTTP/2 and
 * HTTP/1.1 beside the services, index.html for folders, revalidation with
 * last-modified, and nothing outside the folder or hidden in it.
 */
import test from "ava";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHost } from "../runtime/host/index.js";
import { echoServedBy } from "./helpers/host.js";

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

function site(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-static-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, "public");
  mkdirSync(path.join(root, "docs"), { recursive: true });
  writeFileSync(path.join(root, "index.html"), "<h1>home</h1>");
  writeFileSync(path.join(root, "main.js"), "console.log(1)");
  writeFileSync(path.join(root, "docs/index.html"), "<h1>docs</h1>");
  writeFileSync(path.join(root, "a b.css"), "body{}");
  writeFileSync(path.join(root, ".env"), "SECRET=1");
  writeFileSync(path.join(dir, "outside.txt"), "secret");
  symlinkSync(path.join(dir, "outside.txt"), path.join(root, "link.txt"));
  return root;
}

function h2get(url: string, pathname: string, method = "GET", extra: http2.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.once("error", reject);
    const request = session.request({ ":method": method, ":path": pathname, ...extra }, { endStream: true });
    let headers: Record<string, unknown> = {};
    let body = "";
    request.once("response", (h) => (headers = h));
    request.setEncoding("utf8");
    request.on("data", (d: string) => (body += d));
    request.once("end", () => {
      session.close();
      resolve({ status: Number(headers[":status"]), headers, body });
    });
    request.once("error", reject);
  });
}

function h1get(url: string, pathname: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(new URL(pathname, url), { agent: false }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (d: string) => (body += d));
        response.once("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      })
      .once("error", reject);
  });
}

test("files by path over HTTP/2 and HTTP/1.1, index.html for folders, with types and last-modified", async (t) => {
  const host = await createHost({ h2c: true, static: site(t), services: [await echoServedBy({})] });
  t.teardown(() => host.close());
  for (const get of [h2get, h1get]) {
    const home = await get(host.url, "/");
    t.is(home.status, 200);
    t.is(home.body, "<h1>home</h1>");
    t.is(home.headers["content-type"], "text/html; charset=utf-8");
    t.is(home.headers["cache-control"], "no-cache");
    t.truthy(home.headers["last-modified"]);
    const script = await get(host.url, "/main.js?v=3");
    t.is(script.body, "console.log(1)");
    t.is(script.headers["content-type"], "text/javascript; charset=utf-8");
    t.is((await get(host.url, "/docs")).body, "<h1>docs</h1>");
    t.is((await get(host.url, "/docs/")).body, "<h1>docs</h1>");
    t.is((await get(host.url, "/a%20b.css")).body, "body{}");
  }
});

test("HEAD answers the length without a body; if-modified-since gets 304", async (t) => {
  const host = await createHost({ h2c: true, static: site(t), services: [await echoServedBy({})] });
  t.teardown(() => host.close());
  const head = await h2get(host.url, "/main.js", "HEAD");
  t.is(head.status, 200);
  t.is(head.headers["content-length"], "14");
  t.is(head.body, "");
  const first = await h2get(host.url, "/main.js");
  const again = await h2get(host.url, "/main.js", "GET", { "if-modified-since": String(first.headers["last-modified"]) });
  t.is(again.status, 304);
  t.is(again.body, "");
});

test("nothing outside the folder, nor hidden in it; unknown paths go on to the fallback or 404", async (t) => {
  const host = await createHost({ h2c: true, static: { root: site(t) }, services: [await echoServedBy({})] });
  t.teardown(() => host.close());
  for (const pathname of ["/../outside.txt", "/%2e%2e/outside.txt", "/docs/..%2f..%2foutside.txt", "/.env", "/link.txt", "/%E0%A4%A", "/nothing.js"]) {
    const answer = await h2get(host.url, pathname);
    t.is(answer.status, 404, pathname);
    t.false(answer.body.includes("secret") || answer.body.includes("SECRET"), pathname);
  }
  const withFallback = await createHost({
    h2c: true,
    static: site(t),
    services: [await echoServedBy({})],
    fallback: (stream) => {
      stream.respond({ ":status": 200, "content-type": "text/plain" });
      stream.end("from the fallback");
    },
  });
  t.teardown(() => withFallback.close());
  t.is((await h2get(withFallback.url, "/api/thing")).body, "from the fallback");
  t.is((await h2get(withFallback.url, "/")).body, "<h1>home</h1>", "files first");
});

test("a busy port is refused with a message naming the port and what to do", async (t) => {
  const first = await createHost({ h2c: true, services: [await echoServedBy({})] });
  t.teardown(() => first.close());
  const error = await t.throwsAsync(createHost({ h2c: true, port: first.port, services: [await echoServedBy({})] }));
  t.is((error as NodeJS.ErrnoException).code, "EADDRINUSE");
  t.regex(error!.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: port ${first.port} is in use: stop what listens there, or choose another port`));
});
