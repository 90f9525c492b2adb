/**
 * Debian's curl as a plain HTTP/1.1 client of a host, h2c (HTTP/1.1 on the
 * cleartext port, told apart by its first bytes) and TLS (ALPN http/1.1):
 * Connect unary with a JSON body, server streaming as enveloped
 * application/connect+json, Connect errors as HTTP statuses and JSON, Connect
 * GET, a malformed JSON body, and the 505 that bidi streaming gets over 1.1.
 *
 * curl runs with async execFile: the host is in this process, so a
 * synchronous child would block the event loop that must answer it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { envelope, parseEnvelopes, startEchoHost, type EchoHost } from "./helpers/host.js";
import { selfSigned } from "./helpers/tls.js";

type Mode = "h2c" | "tls";

interface CurlResult {
  status: number;
  /** curl's `%{http_version}`: "1.1", "2", ... */
  version: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A scratch directory for curl's output and request bodies, removed at teardown. */
function scratch(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-curl-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let serial = 0;

/** Runs curl (never synchronously) and reads back its status line, headers and body. */
async function curl(dir: string, url: string, args: string[] = []): Promise<CurlResult> {
  const n = ++serial;
  const bodyFile = path.join(dir, `body-${n}`);
  const headerFile = path.join(dir, `headers-${n}`);
  const argv = ["-sS", "-g", "-k", "--http1.1", "--max-time", "20", "-o", bodyFile, "-D", headerFile, "-w", "%{http_code} %{http_version}", ...args, url];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile("curl", argv, { timeout: 30_000 }, (error, out, err) => {
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") return reject(new Error("curl not found: apt-get install -y curl"));
      if (error) return reject(new Error(`curl ${argv.join(" ")} failed: ${error.message}\n${err}`));
      resolve(out);
    });
  });
  const [status, version] = stdout.trim().split(" ");
  // The last header block (a 100 Continue would come before it).
  const blocks = readFileSync(headerFile, "latin1").split(/\r\n\r\n/).filter((b) => b.trim() !== "");
  const headers: Record<string, string> = {};
  for (const line of (blocks.at(-1) ?? "").split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), version, headers, body: readFileSync(bodyFile) };
}

async function setup(t: ExecutionContext, mode: Mode): Promise<{ echo: EchoHost; dir: string }> {
  const echo = await startEchoHost(t, mode === "tls" ? { tls: selfSigned() } : {});
  t.true(echo.url.startsWith(mode === "tls" ? "https://" : "http://"), echo.url);
  return { echo, dir: scratch(t) };
}

const json = (r: CurlResult) => JSON.parse(r.body.toString("utf8"));
const MODES: Mode[] = ["h2c", "tls"];

for (const mode of MODES) {
  test(`${mode}: unary Connect with a JSON body over HTTP/1.1 → 200 and the JSON reply`, async (t) => {
    const { echo, dir } = await setup(t, mode);
    const r = await curl(dir, `${echo.url}/test.echo.Echo/Say`, [
      ...["-H", "content-type: application/json", "-H", "x-set-header: from-curl"],
      ...["-d", '{"text":"hi","repeat":2}'],
    ]);
    t.is(r.version, "1.1", "curl spoke HTTP/1.1");
    t.is(r.status, 200, r.body.toString());
    t.regex(r.headers["content-type"] ?? "", /^application\/json/);
    t.is(r.headers["x-echo-header"], "from-curl");
    t.like(json(r), { text: "hi", principal: "anon" });
    const call = await echo.call("say", "hi");
    t.true(call.finished);
  });

  test(`${mode}: server streaming with application/connect+json over HTTP/1.1 → JSON envelopes, then end-stream`, async (t) => {
    const { echo, dir } = await setup(t, mode);
    const file = path.join(dir, "request.bin");
    writeFileSync(file, envelope(new TextEncoder().encode(JSON.stringify({ text: "s", repeat: 3 }))));
    const r = await curl(dir, `${echo.url}/test.echo.Echo/Repeat`, [
      ...["-H", "content-type: application/connect+json", "-H", "x-set-trailer: bye"],
      ...["--data-binary", `@${file}`],
    ]);
    t.is(r.version, "1.1");
    t.is(r.status, 200, r.body.toString());
    t.regex(r.headers["content-type"] ?? "", /^application\/connect\+json/);
    const frames = parseEnvelopes(r.body);
    t.is(frames.length, 4, `frames: ${frames.map((f) => f.flags).join(",")}`);
    const messages = frames.slice(0, 3).map((f) => {
      t.is(f.flags, 0);
      return JSON.parse(Buffer.from(f.data).toString("utf8"));
    });
    t.deepEqual(messages.map((m) => [m.text, m.index ?? 0]), [["s", 0], ["s", 1], ["s", 2]]);
    const end = frames[3];
    t.is(end.flags, 0x02, "the last envelope is the end-stream one");
    const trailer = JSON.parse(Buffer.from(end.data).toString("utf8"));
    t.is(trailer.error, undefined);
    t.deepEqual(trailer.metadata, { "x-echo-trailer": ["bye"] });
  });

  test(`${mode}: a failing call → Connect's HTTP status and JSON error over HTTP/1.1`, async (t) => {
    const { dir, echo } = await setup(t, mode);
    const cases: [number, number, string][] = [
      [5, 404, "not_found"],
      [3, 400, "invalid_argument"],
      [7, 403, "permission_denied"],
      [14, 503, "unavailable"],
    ];
    for (const [code, status, name] of cases) {
      const message = `failed with ${code}: ✗ 100%`;
      const r = await curl(dir, `${echo.url}/test.echo.Echo/Say`, [
        ...["-H", "content-type: application/json"],
        ...["-d", JSON.stringify({ text: message, fail_with: code })],
      ]);
      t.is(r.version, "1.1");
      t.is(r.status, status, `code ${code}`);
      t.regex(r.headers["content-type"] ?? "", /^application\/json/);
      t.deepEqual(json(r), { code: name, message });
    }
  });

  test(`${mode}: Connect GET with a JSON message in the query over HTTP/1.1`, async (t) => {
    const { echo, dir } = await setup(t, mode);
    const message = encodeURIComponent(JSON.stringify({ text: "got ✓" }));
    const r = await curl(dir, `${echo.url}/test.echo.Echo/Say?connect=v1&encoding=json&message=${message}`);
    t.is(r.version, "1.1");
    t.is(r.status, 200, r.body.toString());
    t.regex(r.headers["content-type"] ?? "", /^application\/json/);
    t.like(json(r), { text: "got ✓", principal: "anon" });
    t.is((await echo.call("say", "got ✓")).received, 1);
  });

  test(`${mode}: a malformed JSON body → 400 invalid_argument naming the message type`, async (t) => {
    const { echo, dir } = await setup(t, mode);
    for (const body of ['{"text":', '{"text": 5}', "[1,2]"]) {
      const r = await curl(dir, `${echo.url}/test.echo.Echo/Say`, ["-H", "content-type: application/json", "-d", body]);
      t.is(r.status, 400, body);
      const error = json(r);
      t.is(error.code, "invalid_argument", body);
      t.regex(error.message, /test\.echo\.EchoRequest/, body);
    }
    t.is(echo.calls.length, 0, "no handler ran");
  });

  test(`${mode}: bidi streaming (and gRPC) over HTTP/1.1 → 505, no handler runs`, async (t) => {
    const { echo, dir } = await setup(t, mode);
    const file = path.join(dir, "chat.bin");
    writeFileSync(file, envelope(new TextEncoder().encode(JSON.stringify({ text: "c" }))));
    const chat = await curl(dir, `${echo.url}/test.echo.Echo/Chat`, ["-H", "content-type: application/connect+json", "--data-binary", `@${file}`]);
    t.is(chat.version, "1.1");
    t.is(chat.status, 505);
    t.regex(chat.body.toString(), /bidi streaming.*HTTP\/2/);
    const grpc = await curl(dir, `${echo.url}/test.echo.Echo/Say`, ["-H", "content-type: application/grpc", "--data-binary", `@${file}`]);
    t.is(grpc.status, 505);
    t.regex(grpc.body.toString(), /gRPC needs HTTP\/2/);
    t.is(echo.calls.length, 0);
  });
}
