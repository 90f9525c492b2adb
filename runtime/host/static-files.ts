/**
 * Files from one folder for GET and HEAD, so one origin serves an app's page,
 * scripts and assets beside its services (browsers need the page on the
 * host's origin for the worker's HTTP/2). HTTP/2 streams use node:http2's
 * `respondWithFile`; HTTP/1.1 responses pipe a file stream. Every file is
 * revalidated (`cache-control: no-cache` with `last-modified`), which suits
 * development and unhashed file names; put a CDN or a reverse proxy in front
 * for long-lived caching.
 */
import { createReadStream, type Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import http2 from "node:http2";
import path from "node:path";
import { pipeline } from "node:stream";
import type { Exchange } from "./exchange.js";

export interface StaticFilesOptions {
  /** The folder served at `/`. */
  root: string;
  /** Served for `/` and for a folder's path. Default `index.html`. */
  index?: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".webmanifest": "application/manifest+json",
};

export class StaticFiles {
  readonly #root: Promise<string>;
  readonly #index: string;

  constructor(options: StaticFilesOptions | string) {
    const { root, index = "index.html" } = typeof options === "string" ? { root: options } : options;
    // The real path, so a symlink inside cannot lead out of it unnoticed.
    this.#root = realpath(path.resolve(root)).catch(() => path.resolve(root));
    this.#index = index;
  }

  /** Answers a GET or HEAD with the file its path names; resolves false (nothing sent) when there is none. */
  async serve(exchange: Exchange): Promise<boolean> {
    const method = exchange.headers[":method"];
    if (method !== "GET" && method !== "HEAD") return false;
    const found = await this.#find(String(exchange.headers[":path"] ?? "/"));
    // The client may have gone while the file was looked up. (A HEAD stream's writable side is
    // ended from the start, so HTTP/2 is asked whether the stream is gone, not whether it ended.)
    const stream = exchange.stream;
    if (!found || (stream ? stream.destroyed || stream.closed : exchange.finished)) return false;
    const { file, stats } = found;
    const headers: http2.OutgoingHttpHeaders = {
      "content-type": TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "last-modified": stats.mtime.toUTCString(),
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    };
    const since = Date.parse(String(exchange.headers["if-modified-since"] ?? ""));
    if (!Number.isNaN(since) && Math.floor(stats.mtimeMs / 1000) <= Math.floor(since / 1000)) {
      exchange.reply(304, headers);
      return true;
    }
    if (method === "HEAD") {
      if (stream) stream.respond({ ...headers, "content-length": stats.size, ":status": 200 }, { endStream: true });
      else exchange.http1!.response.writeHead(200, { ...headers, "content-length": stats.size }).end();
      return true;
    }
    if (stream) {
      stream.respondWithFile(file, { ...headers, ":status": 200 }, {
        onError: () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), // removed since it was found
      });
      return true;
    }
    exchange.start(200, { ...headers, "content-length": stats.size });
    pipeline(createReadStream(file), exchange.out, () => undefined); // a dropped client ends it
    return true;
  }

  async #find(requestPath: string): Promise<{ file: string; stats: Stats } | undefined> {
    let pathname: string;
    try {
      pathname = decodeURIComponent(requestPath.split("?")[0]!.split("#")[0]!);
    } catch {
      return undefined; // malformed escapes name no file
    }
    // Hidden files and folders (.env, .git) are never served.
    if (pathname.includes("\0") || pathname.split("/").some((part) => part.startsWith("."))) return undefined;
    const root = await this.#root;
    let file = path.join(root, path.normalize("/" + pathname));
    try {
      let stats = await stat(file);
      if (stats.isDirectory()) {
        file = path.join(file, this.#index);
        stats = await stat(file);
      }
      const real = await realpath(file);
      if (!stats.isFile() || (real !== root && !real.startsWith(root + path.sep))) return undefined;
      return { file: real, stats };
    } catch {
      return undefined;
    }
  }
}
