/**
 * The app's page, scripts and styles, for the board host's `fallback`:
 * GET and HEAD only, `/` is index.html, anything else unknown is 404.
 */
import { readFileSync } from "node:fs";
import type http2 from "node:http2";
import { fileURLToPath } from "node:url";
import type { AppBundle } from "./bundle.js";

const APP = fileURLToPath(new URL(".", import.meta.url));

interface File {
  type: string;
  body: string;
}

export function staticFiles(bundle: AppBundle): (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void {
  const files = new Map<string, File>([
    ["/", { type: "text/html; charset=utf-8", body: readFileSync(APP + "index.html", "utf8") }],
    ["/style.css", { type: "text/css; charset=utf-8", body: readFileSync(APP + "style.css", "utf8") }],
  ]);
  for (const [path, body] of Object.entries(bundle)) files.set(path, { type: "text/javascript; charset=utf-8", body });

  return (stream, headers) => {
    const method = headers[":method"];
    const path = String(headers[":path"] ?? "/").split("?")[0]!;
    const file = files.get(path === "/index.html" ? "/" : path);
    const respond = (status: number, type: string, body: string, extra: http2.OutgoingHttpHeaders = {}) => {
      stream.respond({ ":status": status, "content-type": type, "cache-control": "no-cache", ...extra });
      stream.end(method === "HEAD" ? undefined : body);
    };
    if (method !== "GET" && method !== "HEAD") return respond(405, "text/plain", `${method} is not allowed here\n`, { allow: "GET, HEAD" });
    if (!file) return respond(404, "text/plain", `no ${path} here\n`);
    respond(200, file.type, file.body);
  };
}
