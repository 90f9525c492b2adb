/**
 * The protocol matrix of docs/protocols.md, observed: the stock clients of
 * @connectrpc/connect-node 2.1.1 (Connect, gRPC, gRPC-Web; binary and JSON;
 * HTTP/2 and HTTP/1.1) make each kind of call to an echo host, and every
 * cell of the documented table must equal what they got (✓ a correct result,
 * 505 refused for needing HTTP/2). connect-node has no gRPC over HTTP/1.1:
 * that row is observed with plain node:http requests.
 *
 * Besides the table, per protocol × format × transport a client has: an
 * error's code and non-ASCII message, a response header and trailer, a
 * deadline; and Connect's GET for the NO_SIDE_EFFECTS method.
 */
import http from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import test, { type ExecutionContext } from "ava";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code } from "../runtime/core/index.js";
import { echoService } from "./helpers/connect-es.js";
import { envelope, startEchoHost, waitFor, type EchoHost } from "./helpers/host.js";

const Echo = echoService();
const DOC = fileURLToPath(new URL("../docs/protocols.md", import.meta.url));

type Protocol = "Connect" | "gRPC" | "gRPC-Web";
type Format = "binary" | "JSON";
type Http = "HTTP/2" | "HTTP/1.1";
const PROTOCOLS: Protocol[] = ["Connect", "gRPC", "gRPC-Web"];
const FORMATS: Format[] = ["binary", "JSON"];
const HTTPS: Http[] = ["HTTP/2", "HTTP/1.1"];
const HEADER = ["Protocol", "Format", "Transport", "Unary", "Server streaming", "Client streaming", "Bidi"];

interface Reply { text: string; index: number }
interface Options { headers?: Record<string, string>; timeoutMs?: number; onHeader?(h: Headers): void; onTrailer?(h: Headers): void }
type Req = { text: string; repeat?: number; failWith?: number; delayMs?: number };
/** The Connect-ES client of Echo, as far as used here. */
interface EchoEs {
  say(request: Req, options?: Options): Promise<Reply>;
  repeat(request: Req, options?: Options): AsyncIterable<Reply>;
  collect(requests: AsyncIterable<Req>, options?: Options): Promise<Reply>;
  chat(requests: AsyncIterable<Req>, options?: Options): AsyncIterable<Reply>;
}

const N = 20;
const pick = ({ text, index }: Reply): Reply => ({ text, index });
const chunks = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}${i}·é`);
async function* requests(texts: string[]): AsyncGenerator<Req> {
  for (const text of texts) yield { text };
}
async function collectAll(replies: AsyncIterable<Reply>): Promise<Reply[]> {
  const out: Reply[] = [];
  for await (const r of replies) out.push(pick(r));
  return out;
}

/** A call that hangs fails as DEADLINE_EXCEEDED, named by its row and column, not by the test's timeout. */
const LIMIT: Options = { timeoutMs: 10_000 };

/** The four call kinds, in the table's column order: what to send, what must come back. */
const CALLS = [
  { kind: "Unary", method: "say", path: "Say", text: "say ✓ é", run: async (c: EchoEs) => pick(await c.say({ text: "say ✓ é" }, LIMIT)), expected: { text: "say ✓ é", index: 0 } },
  {
    kind: "Server streaming", method: "repeat", path: "Repeat", text: "repeat ✓",
    run: (c: EchoEs) => collectAll(c.repeat({ text: "repeat ✓", repeat: N }, LIMIT)),
    expected: Array.from({ length: N }, (_, index) => ({ text: "repeat ✓", index })),
  },
  { kind: "Client streaming", method: "collect", path: "Collect", text: "c0·é", run: async (c: EchoEs) => pick(await c.collect(requests(chunks("c")), LIMIT)), expected: { text: chunks("c").join(""), index: N } },
  { kind: "Bidi", method: "chat", path: "Chat", text: "b0·é", run: (c: EchoEs) => collectAll(c.chat(requests(chunks("b")), LIMIT)), expected: chunks("b").map((text, index) => ({ text, index })) },
] as const;

/** The content types the handler must see: [unary, streaming]. */
function contentTypes(protocol: Protocol, format: Format): [string, string] {
  const f = format === "binary" ? "proto" : "json";
  if (protocol === "Connect") return [`application/${f}`, `application/connect+${f}`];
  const type = `application/${protocol === "gRPC" ? "grpc" : "grpc-web"}+${f}`;
  return [type, type];
}

/** connect-node's transport for the combination, or undefined where it has none (gRPC over HTTP/1.1). */
function transportFor(url: string, protocol: Protocol, format: Format, transport: Http, useHttpGet = false): Transport | undefined {
  const common = { baseUrl: url, useBinaryFormat: format === "binary" };
  if (protocol === "gRPC") return transport === "HTTP/2" ? createGrpcTransport(common) : undefined;
  const version = transport === "HTTP/2" ? { httpVersion: "2" as const } : { httpVersion: "1.1" as const };
  return protocol === "Connect" ? createConnectTransport({ ...common, ...version, useHttpGet }) : createGrpcWebTransport({ ...common, ...version });
}

/** A POST over HTTP/1.1 (no keep-alive) to the host. */
function http1Post(url: string, path: string, contentType: string, body: Uint8Array): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: "POST", agent: false, headers: { "content-type": contentType, te: "trailers" } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text: Buffer.concat(parts).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The table between the markers of docs/protocols.md: its header and, by "Protocol | Format | Transport", its four cells. */
function documented(): { header: string[]; rows: Map<string, string[]> } {
  const doc = readFileSync(DOC, "utf8");
  const start = doc.indexOf("<!-- protocol-matrix:start -->");
  const end = doc.indexOf("<!-- protocol-matrix:end -->");
  if (start < 0 || end < start) throw new Error(`${DOC} has no protocol-matrix:start/end markers`);
  const lines = doc.slice(start, end).split("\n").filter((l) => l.trim().startsWith("|"));
  const cells = lines.map((l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
  const [header = [], , ...body] = cells;
  const rows = new Map<string, string[]>();
  for (const row of body) {
    const key = row.slice(0, 3).join(" | ");
    if (rows.has(key)) throw new Error(`${DOC}: row ${key} appears twice`);
    rows.set(key, row.slice(3));
  }
  return { header, rows };
}

const rowName = (p: Protocol, f: Format, h: Http) => `${p} | ${f} | ${h}`;

/** Every cell of a row against the docs: ✓ or 505 observed, and the same as documented. */
function assertRow(t: ExecutionContext, row: string, observed: string[]): void {
  const cells = documented().rows.get(row);
  if (!cells) return void t.fail(`docs/protocols.md has no row ${row}`);
  CALLS.forEach(({ kind }, i) => {
    t.true(observed[i] === "✓" || observed[i] === "505", `${row} / ${kind}: observed neither ✓ nor 505 but ${observed[i]}`);
    t.is(observed[i], cells[i], `${row} / ${kind}: observed ${observed[i]}, docs/protocols.md says ${cells[i]}`);
  });
}

test("docs/protocols.md has the matrix: every protocol × format × transport once, known cells", (t) => {
  const { header, rows } = documented();
  t.deepEqual(header, HEADER);
  const expected = PROTOCOLS.flatMap((p) => FORMATS.flatMap((f) => HTTPS.map((h) => rowName(p, f, h))));
  t.deepEqual([...rows.keys()].sort(), expected.sort());
  for (const [row, cells] of rows) t.true(cells.length === 4 && cells.every((c) => ["✓", "505", "—"].includes(c)), `${row}: ${cells.join(" | ")}`);
});

/** One call of each kind through `client`: the observed cells, the handler's records checked. */
async function observeCalls(t: ExecutionContext, echo: EchoHost, client: EchoEs, row: string, types: [string, string], transport: Http): Promise<string[]> {
  const observed: string[] = [];
  for (const call of CALLS) {
    const what = `${row} / ${call.kind}`;
    try {
      const actual = await call.run(client);
      const right = t.deepEqual(actual, call.expected as unknown, `${what}: the replies`);
      const record = await echo.call(call.method, call.text);
      t.is(record.headers["content-type"], call.kind === "Unary" ? types[0] : types[1], `${what}: the content type the handler saw`);
      t.is(record.headers[":method"], "POST", what);
      // HTTP/1.1 requests carry `host` (HTTP/2 ones `:authority` only): the call went over `transport`.
      t.is(record.headers.host !== undefined, transport === "HTTP/1.1", `${what}: went over ${transport}`);
      observed.push(right ? "✓" : "wrong replies");
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // connect-node names only the status ("HTTP 505"); the body saying why is checked by hand below.
      const refused = error instanceof ConnectError && /HTTP 505|HTTP\/2/.test(message);
      if (refused) t.falsy(echo.calls.find((c) => c.method === call.method), `${what}: refused, yet the handler ran`);
      observed.push(refused ? "505" : `failed: ${message}`);
    }
  }
  return observed;
}

/** Errors, response header and trailer, and deadline, through `client`. */
async function observeExtras(t: ExecutionContext, echo: EchoHost, client: EchoEs, row: string): Promise<void> {
  const message = `introuvable: «échec» ✗ 100% 日本`;
  const error = await t.throwsAsync(client.say({ text: message, failWith: Code.NotFound }), undefined, `${row}: an error`);
  t.true(error instanceof ConnectError, `${row}: ${String(error)}`);
  t.like(error, { code: Code.NotFound as number, rawMessage: message }, `${row}: the error's code and message`);

  const streamError = await t.throwsAsync(collectAll(client.repeat({ text: `late ✗ ${row}`, repeat: 2, failWith: Code.Aborted })));
  t.like(streamError, { code: Code.Aborted as number, rawMessage: `late ✗ ${row}` }, `${row}: a server stream's error`);

  for (const kind of ["unary", "server streaming"]) {
    const seen: { header?: string | null; trailer?: string | null } = {};
    const options: Options = {
      headers: { "x-set-header": `h-${kind}`, "x-set-trailer": `t-${kind}` },
      onHeader: (h) => (seen.header = h.get("x-echo-header")),
      onTrailer: (h) => (seen.trailer = h.get("x-echo-trailer")),
    };
    if (kind === "unary") await client.say({ text: "meta" }, options);
    else await collectAll(client.repeat({ text: "meta", repeat: 2 }, options));
    t.deepEqual(seen, { header: `h-${kind}`, trailer: `t-${kind}` }, `${row}: ${kind} response header and trailer`);
  }

  const started = Date.now();
  const late = await t.throwsAsync(client.say({ text: "slow", delayMs: 5000 }, { timeoutMs: 300 }), undefined, `${row}: a deadline`);
  t.is((late as ConnectError).code as number, Code.DeadlineExceeded, `${row}: DEADLINE_EXCEEDED`);
  t.true(Date.now() - started < 3000, `${row}: the deadline ended the call in time`);
  const record = await echo.call("say", "slow");
  await waitFor(() => record.aborted, 3000, `${row}: the handler's signal to abort`);
}

for (const protocol of PROTOCOLS) {
  for (const format of FORMATS) {
    for (const transport of HTTPS) {
      const row = rowName(protocol, format, transport);
      const types = contentTypes(protocol, format);
      const via = protocol === "gRPC" && transport === "HTTP/1.1" ? "plain node:http requests" : "connect-node";
      test(`${protocol} ${format} over ${transport} (${via}): unary, server/client streaming, bidi as docs/protocols.md says`, async (t) => {
        const echo = await startEchoHost(t);
        const connectNode = transportFor(echo.url, protocol, format, transport);
        if (!connectNode) {
          // gRPC over HTTP/1.1: by hand, each method with the gRPC content type.
          const observed: string[] = [];
          for (const call of CALLS) {
            const message = format === "binary" ? new Uint8Array() : new TextEncoder().encode("{}");
            const response = await http1Post(echo.url, `/test.echo.Echo/${call.path}`, types[0], envelope(message));
            t.regex(response.text, /needs HTTP\/2/, `${row} / ${call.kind}: the refusal says why`);
            observed.push(response.status === 505 ? "505" : `HTTP ${response.status} ${response.type}`);
          }
          t.is(echo.calls.length, 0, "no handler ran");
          return assertRow(t, row, observed);
        }
        const client = createClient(Echo, connectNode) as unknown as EchoEs;
        const observed = await observeCalls(t, echo, client, row, types, transport);
        assertRow(t, row, observed);
        if (observed[3] === "505") {
          // What connect-node does not show: the refusal's body names HTTP/2.
          const refusal = await http1Post(echo.url, "/test.echo.Echo/Chat", types[1], envelope(new Uint8Array()));
          t.like(refusal, { status: 505, type: "text/plain" }, `${row}: a raw bidi request`);
          t.regex(refusal.text, /bidi streaming method: it needs HTTP\/2/);
        }
        await observeExtras(t, echo, client, row);

        if (protocol === "Connect") {
          const getClient = createClient(Echo, transportFor(echo.url, protocol, format, transport, true)!) as unknown as EchoEs;
          t.deepEqual(pick(await getClient.say({ text: "get ✓ é" })), { text: "get ✓ é", index: 0 }, `${row}: say over GET`);
          const record = await echo.call("say", "get ✓ é");
          t.is(record.headers[":method"], "GET", `${row}: useHttpGet sent say as a GET`);
          t.regex(String(record.headers[":path"]), new RegExp(`[?&]encoding=${format === "binary" ? "proto" : "json"}(&|$)`));
        }
      });
    }
  }
}
