/**
 * The host stays up, others unaffected. Hostile clients — rapid resets,
 * connections that never speak, oversize bodies, one principal grabbing
 * every stream or pair, malformed pair traffic — while a normal unary call
 * (Say) on a separate connection must complete within 1 s, and the host
 * must still serve afterwards.
 */
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import { PAIR_CONTENT_TYPE, PairHeader } from "../../runtime/core/pair.js";
import { connectGateway } from "../../runtime/guest/index.js";
import type { HandlerContext } from "../../runtime/host/index.js";
import { type EchoRequest, type Event, type RawResponse, envelope, grpcHeaders, parseEnvelopes, rawRequest } from "../helpers/host.js";
import {
  FailureTally, type HarnessHost, type Report, closeAll, closeWithin, describe, guestFetch, loadEcho, openFds, pollUntil, selfSigned, setPhase,
  sleep, startHost, waiting, within,
} from "./common.js";

export interface AbuseOptions {
  full: boolean;
  seed: number;
  report: Report;
}

const LIMIT = 1024 * 1024;
const SAY_BOUND_MS = 1000;
const { NGHTTP2_CANCEL } = http2.constants;
const ignore = () => undefined;

interface Probe {
  ok: boolean;
  ms: number;
  detail: string;
}

export async function runAbuse({ full, report }: AbuseOptions): Promise<void> {
  const { EchoRequest, EchoReply } = await loadEcho();
  setPhase("abuse: starting");

  // ------------------------------------------------------------- the host
  const runningBy = new Map<string, number>();
  let running = 0;
  const received = new Map<string, number>(); // Events requests by x-call
  const enter = (ctx: HandlerContext) => {
    const who = String(ctx.principal);
    running++;
    runningBy.set(who, (runningBy.get(who) ?? 0) + 1);
    return () => {
      running--;
      runningBy.set(who, (runningBy.get(who) ?? 1) - 1);
    };
  };
  const impl = {
    async say(req: EchoRequest) {
      return EchoReply.create({ text: req.text });
    },
    async *repeat(req: EchoRequest, ctx: HandlerContext) {
      const leave = enter(ctx);
      try {
        for (let i = 0; i < Math.min(req.repeat, 1000); i++) yield EchoReply.create({ text: req.text, index: i });
      } finally {
        leave();
      }
    },
    async collect(reqs: AsyncIterable<EchoRequest>, ctx: HandlerContext) {
      const leave = enter(ctx);
      try {
        let n = 0;
        for await (const _ of reqs) n++;
        return EchoReply.create({ index: n });
      } finally {
        leave();
      }
    },
    async *chat(reqs: AsyncIterable<EchoRequest>, ctx: HandlerContext) {
      const leave = enter(ctx);
      try {
        for await (const req of reqs) yield EchoReply.create({ text: req.text });
      } finally {
        leave();
      }
    },
    async *events(reqs: AsyncIterable<Event>, ctx: HandlerContext) {
      const leave = enter(ctx);
      const call = String(ctx.requestHeaders["x-call"] ?? "");
      try {
        for await (const e of reqs) {
          received.set(call, (received.get(call) ?? 0) + 1);
          yield e;
        }
      } finally {
        leave();
      }
    },
    async *flood(_req: EchoRequest, ctx: HandlerContext) {
      const leave = enter(ctx);
      try {
        for (let seq = 1; seq <= 100_000 && !ctx.signal.aborted; seq++) yield { seq: BigInt(seq), payload: new Uint8Array(8) };
      } finally {
        leave();
      }
    },
  };
  const h = await startHost({ impl, limits: { maxMessageBytes: LIMIT } });
  report.figure("host", `limits.maxMessageBytes ${LIMIT}, pair options default (maxPairsPerPrincipal 100, upTimeoutMs 10000), keepalive default`);

  /** A Connect unary Say on a fresh connection (connect included), bounded by 5 s. */
  const probe = async (): Promise<Probe> => {
    const start = performance.now();
    const session = http2.connect(h.url, { ca: selfSigned().cert });
    session.on("error", ignore);
    const outcome = await within(5000, (async () => {
      await once(session, "connect");
      const r = await rawRequest(session, { ":method": "POST", ":path": "/test.echo.Echo/Say", "content-type": "application/proto", "x-user": "probe" },
        [EchoRequest.encode({ text: "probe", repeat: 0, failWith: 0, delayMs: 0 })]).response;
      return r;
    })().catch((error: unknown) => error), "abuse: a probe Say");
    const ms = Math.round(performance.now() - start);
    setImmediate(() => session.destroy());
    if (outcome.timedOut) return { ok: false, ms, detail: "no answer within 5 s" };
    const r = outcome.value as RawResponse | Error;
    if (!(r && typeof r === "object" && "status" in r)) return { ok: false, ms, detail: describe(r) };
    let text = "";
    try {
      text = EchoReply.decode(r.body).text;
    } catch {
      // reported below
    }
    const ok = r.status === 200 && text === "probe";
    return { ok, ms, detail: ok ? `${ms} ms` : `HTTP ${r.status}, rst ${r.rstCode}, body ${r.body.toString().slice(0, 120)}` };
  };
  /** The two checks every case makes: a Say during it within 1 s, and one after it at all. */
  const probeChecks = async (name: string, during: Probe) => {
    report.check(`abuse: ${name}: a Say on another connection during it completes within ${SAY_BOUND_MS / 1000} s`,
      during.ok && during.ms <= SAY_BOUND_MS, during.ok ? `${during.ms} ms` : `${during.detail} (${during.ms} ms)`);
    const after = await probe();
    report.check(`abuse: ${name}: the host still serves afterwards`, after.ok, after.detail);
  };

  const cases: [string, () => Promise<void>][] = [
    ["rapid reset", () => rapidReset(h, report, probe, probeChecks)],
    ["slowloris", () => slowloris(h, report, probe, probeChecks, full)],
    ["oversize bodies", () => oversize(h, report, probe, probeChecks, EchoRequest.encode({ text: "x", repeat: 0, failWith: 0, delayMs: 0 }))],
    ["gRPC streams per principal", () => grpcPerPrincipal(h, report, probe, probeChecks, runningBy, EchoRequest)],
    ["pairs per principal", () => pairsPerPrincipal(h, report, probe, probeChecks)],
    ["malformed pair traffic", () => malformedPairs(h, report, probe, probeChecks, received)],
  ];
  for (const [name, run] of cases) {
    setPhase(`abuse: ${name}`);
    try {
      await run();
    } catch (error) {
      report.check(`abuse: ${name}: the case runs to completion`, false, `threw: ${(error as Error)?.stack?.split("\n").slice(0, 5).join(" | ") ?? String(error)}`);
    }
  }
  setPhase("abuse: closing");
  // Pairs whose connection closed wait pair.resumeTimeoutMs (15 s by default) for a resume before their handlers end.
  const ended = await pollUntil(() => running === 0, 20_000, "abuse: every handler to end");
  report.check("abuse: every handler has ended within 20 s after the last case (the pair resume timeout, 15 s, and 5 s)", ended !== undefined,
    `running ${running}: ${[...runningBy].filter(([, n]) => n > 0).map(([who, n]) => `${who} ${n}`).join(", ") || "none"}`);
  await closeAll(report, "abuse", [["host", () => h.close()]]);
}

type ProbeFn = () => Promise<Probe>;
type ProbeChecks = (name: string, during: Probe) => Promise<void>;

async function rawSession(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, { ca: selfSigned().cert });
  session.on("error", ignore);
  const outcome = await within(5000, once(session, "connect"), "abuse: a raw HTTP/2 connection");
  if (outcome.timedOut) {
    destroyLater(session);
    throw new Error("no HTTP/2 connection within 5 s");
  }
  return session;
}

/** Destroyed a turn later: Node 20 can spin forever destroying a session in the tick a peer reset one of its streams. */
function destroyLater(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => setImmediate(() => {
    session.destroy();
    resolve();
  }));
}

// ---------------------------------------------------------- rapid reset

async function rapidReset(h: HarnessHost, report: Report, probe: ProbeFn, probeChecks: ProbeChecks): Promise<void> {
  const total = 10_000;
  const session = await rawSession(h.url);
  const seenBefore = h.counters.streamsTotal;
  let goaway: string | undefined;
  let closedAfter: number | undefined;
  let sent = 0;
  session.on("goaway", (code: number, lastStreamId: number) =>
    (goaway ??= `GOAWAY code ${code}, last stream ${lastStreamId}, when ${sent} requests were made and the host had seen ${h.counters.streamsTotal - seenBefore} streams`));
  session.once("close", () => (closedAfter = sent));
  const start = performance.now();
  let during: Promise<Probe> | undefined;
  let error: string | undefined;
  for (let i = 0; i < total && !session.closed && !session.destroyed; i++) {
    try {
      const req = session.request(grpcHeaders("Events", { "x-user": "rapid" }));
      req.on("error", ignore);
      req.close(NGHTTP2_CANCEL);
      sent++;
    } catch (caught) {
      error = describe(caught);
      break;
    }
    // As fast as possible, yet letting the event loop (host included: it is this process) turn now and then.
    if (i % 250 === 249) {
      await new Promise((resolve) => setImmediate(resolve));
      during ??= probe();
    }
  }
  const loopMs = Math.round(performance.now() - start);
  const probed = await (during ?? probe());
  await pollUntil(() => session.closed || session.destroyed, 2000, "abuse: the rapid-reset connection to close (if the host closes it)");
  const hostSaw = h.counters.streamsTotal - seenBefore;
  report.figure("rapid reset", `${sent} streams opened and reset in ${loopMs} ms on one connection${error ? ` (request() threw: ${error})` : ""}; host saw ${hostSaw} streams; ${goaway ?? "no GOAWAY"}; connection ${session.closed || session.destroyed ? `closed (after ${closedAfter ?? sent} requests)` : "still open 2 s later"}`);
  await destroyLater(session);
  await probeChecks("rapid reset (10,000 streams opened and reset on one connection)", probed);
}

// ------------------------------------------------------------ slowloris

async function slowloris(h: HarnessHost, report: Report, probe: ProbeFn, probeChecks: ProbeChecks, full: boolean): Promise<void> {
  const silentTls = 500;
  const silentTcp = 100;
  const boundMs = 15_000;
  const watchMs = full ? 30_000 : 20_000;
  const fdsBefore = openFds();
  const hostSocketsBefore = h.counters.socketsOpen;
  const start = Date.now();
  interface Victim {
    socket: net.Socket;
    kind: "tls" | "tcp";
    openedAt: number;
    closedAt?: number;
  }
  const victims: Victim[] = [];
  const track = (socket: net.Socket, kind: Victim["kind"]) => {
    const v: Victim = { socket, kind, openedAt: Date.now() };
    victims.push(v);
    socket.on("error", ignore);
    socket.on("data", ignore); // the host's SETTINGS: read and dropped
    socket.once("end", () => socket.destroy());
    socket.once("close", () => (v.closedAt = Date.now()));
    return v;
  };
  // TLS completed (ALPN h2), then not one byte: no HTTP/2 preface. Opened 50 at a time.
  let tlsFailed = 0;
  for (let i = 0; i < silentTls; i += 50) {
    await waiting("abuse: slowloris TLS handshakes", Promise.all(Array.from({ length: Math.min(50, silentTls - i) }, () => new Promise<void>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: h.port, ca: selfSigned().cert, ALPNProtocols: ["h2"], servername: "localhost" });
      const v = track(socket, "tls");
      const timer = setTimeout(() => ((tlsFailed++), resolve()), 5000);
      socket.once("secureConnect", () => (clearTimeout(timer), resolve()));
      socket.once("close", () => (clearTimeout(timer), v.closedAt ??= Date.now(), resolve()));
    }))));
  }
  // TCP only: the TLS handshake never starts.
  await waiting("abuse: slowloris TCP connects", Promise.all(Array.from({ length: silentTcp }, () => new Promise<void>((resolve) => {
    const socket = net.connect(h.port, "127.0.0.1");
    track(socket, "tcp");
    socket.once("connect", () => resolve());
    socket.once("close", () => resolve());
  }))));
  const fdsDuring = openFds();
  const hostSocketsDuring = h.counters.socketsOpen - hostSocketsBefore;
  const during = await probe();
  const openOf = (kind: Victim["kind"]) => victims.filter((v) => v.kind === kind && v.closedAt === undefined).length;
  report.figure("slowloris", `${silentTls} TLS connections without an HTTP/2 preface (${tlsFailed} did not complete TLS within 5 s) and ${silentTcp} TCP connections without a TLS handshake, opened in ${Date.now() - start} ms; host sockets open ${hostSocketsDuring + hostSocketsBefore} (${hostSocketsBefore} before); fds ${fdsBefore} before → ${fdsDuring} during`);
  // Watch until every one is closed by the host, or watchMs.
  await pollUntil(() => openOf("tls") === 0 && openOf("tcp") === 0, watchMs, "abuse: the host to close the silent connections", 250);
  const after = Date.now() - start;
  const fdsAfter = openFds();
  const closeTimes = (kind: Victim["kind"]) => {
    const times = victims.filter((v) => v.kind === kind && v.closedAt !== undefined).map((v) => v.closedAt! - v.openedAt);
    return times.length ? `${times.length} closed by the host, the last ${Math.max(...times)} ms after it opened` : "none closed by the host";
  };
  report.figure("slowloris after", `${(after / 1000).toFixed(1)} s: still open ${openOf("tls")} TLS / ${openOf("tcp")} TCP; host sockets open ${h.counters.socketsOpen} (${hostSocketsBefore} before); fds ${fdsAfter}; TLS: ${closeTimes("tls")}; TCP: ${closeTimes("tcp")}`);
  const within15 = (kind: Victim["kind"]) => victims.filter((v) => v.kind === kind).every((v) => v.closedAt !== undefined && v.closedAt - v.openedAt <= boundMs);
  report.check(`abuse: preface slowloris: the host closes TLS connections that never send the HTTP/2 preface within ${boundMs / 1000} s`,
    within15("tls"), `${openOf("tls")} of ${silentTls} still open after ${(after / 1000).toFixed(1)} s; fds before ${fdsBefore}, during ${fdsDuring}, after ${fdsAfter}`);
  report.check(`abuse: TLS slowloris: the host closes TCP connections that never finish the TLS handshake within ${boundMs / 1000} s`,
    within15("tcp"), `${openOf("tcp")} of ${silentTcp} still open after ${(after / 1000).toFixed(1)} s`);
  for (const v of victims) v.socket.destroy();
  const released = await pollUntil(() => h.counters.socketsOpen <= hostSocketsBefore, 5000, "abuse: host sockets of the slowloris to close");
  report.figure("slowloris cleanup", `the harness closed its side; host sockets back to ${h.counters.socketsOpen}${released === undefined ? " (not within 5 s)" : ""}; fds ${openFds()}`);
  await probeChecks("slowloris (500 silent TLS + 100 silent TCP connections)", during);
}

// ------------------------------------------------------- oversize bodies

async function oversize(h: HarnessHost, report: Report, probe: ProbeFn, probeChecks: ProbeChecks, small: Uint8Array): Promise<void> {
  const session = await rawSession(h.url);
  const chunk = 64 * 1024;
  const chunks = (total: number, first?: Uint8Array): Buffer[] => {
    const out: Buffer[] = [];
    let left = total;
    if (first) {
      out.push(Buffer.from(first));
      left -= first.length;
    }
    while (left > 0) {
      const n = Math.min(chunk, left);
      out.push(Buffer.alloc(n, 0x61));
      left -= n;
    }
    return out;
  };
  const describeResponse = (r: RawResponse | undefined): string => {
    if (!r) return "no answer within 5 s";
    let code = "";
    try {
      code = JSON.parse(r.body.toString()).code;
    } catch {
      code = r.body.length ? `non-JSON body "${r.body.toString().slice(0, 80)}"` : "no body";
    }
    return `HTTP ${r.status ?? "none"}, ${r.headers["content-type"] ?? "no content type"}, code ${code || "none"}, stream reset code ${r.rstCode}`;
  };
  const expect429 = (r: RawResponse | undefined): boolean => {
    if (!r || r.status !== 429) return false;
    try {
      return JSON.parse(r.body.toString()).code === "resource_exhausted";
    } catch {
      return false;
    }
  };
  const send = async (headers: http2.OutgoingHttpHeaders, body: Buffer[]): Promise<RawResponse | undefined> => {
    const outcome = await within(5000, rawRequest(session, headers, body).response, "abuse: an oversize request's answer");
    return outcome.timedOut ? undefined : outcome.value;
  };
  const size = LIMIT + 256 * 1024;
  const unary = { ":method": "POST", ":path": "/test.echo.Echo/Say", "content-type": "application/proto", "x-user": "oversize" };
  const duringP = probe();
  const results: [string, RawResponse | undefined][] = [];
  results.push(["a Connect unary body over the limit streamed without content-length", await send(unary, chunks(size))]);
  results.push(["a Connect unary body over the limit with content-length", await send({ ...unary, "content-length": String(size) }, chunks(size))]);

  // A pair to send batches to: its down, open for the duration.
  const down = session.request({ ":method": "POST", ":path": "/test.echo.Echo/Events", "content-type": PAIR_CONTENT_TYPE, [PairHeader.half]: "down", "x-user": "oversize" });
  down.on("error", ignore);
  down.on("data", ignore);
  down.end();
  const head = await within(5000, once(down, "response") as Promise<[http2.IncomingHttpHeaders]>, "abuse: a pair down's response");
  const id = head.timedOut ? undefined : (head.value[0][PairHeader.id] as string | undefined);
  if (!id) {
    report.check("abuse: oversize: a pair down opens (200 with an id)", false, head.timedOut ? "no response within 5 s" : `HTTP ${head.value[0][":status"]}`);
  } else {
    const batchHeaders = { ":method": "POST", ":path": "/test.echo.Echo/Events", "content-type": PAIR_CONTENT_TYPE, [PairHeader.half]: "batch", [PairHeader.id]: id, [PairHeader.firstSeq]: "1", "x-user": "oversize" };
    // One envelope declaring (and carrying) twice the limit and more: over the message limit and over any body limit.
    const big = 2 * LIMIT + 1024;
    const header = envelope(new Uint8Array(0), 0, big);
    results.push(["a pair batch body over the limit streamed without content-length", await send(batchHeaders, chunks(big + 5, header))]);
    results.push(["a pair batch body over the limit with content-length", await send({ ...batchHeaders, "content-length": String(big + 5) }, chunks(big + 5, header))]);
  }
  down.close(NGHTTP2_CANCEL);
  const during = await duringP;
  for (const [what, r] of results) {
    report.figure("oversize", `${what}: ${describeResponse(r)}`);
    report.check(`abuse: ${what} → HTTP 429 with a JSON body, code resource_exhausted`, expect429(r), describeResponse(r));
  }
  // The connection that sent them is still usable.
  const after = await within(3000, rawRequest(session, { ...unary, "content-length": String(small.length) }, [Buffer.from(small)]).response, "abuse: a Say after the oversize bodies");
  report.check("abuse: oversize bodies: the same connection still serves a normal Say afterwards", !after.timedOut && after.value.status === 200,
    after.timedOut ? "no answer within 3 s" : `HTTP ${after.value.status}, stream reset code ${after.value.rstCode}`);
  await destroyLater(session);
  await probeChecks("oversize bodies", during);
}

// ------------------------------------------------ gRPC streams per principal

async function grpcPerPrincipal(
  h: HarnessHost, report: Report, probe: ProbeFn, probeChecks: ProbeChecks, runningBy: Map<string, number>,
  EchoRequest: { encode(r: EchoRequest): Uint8Array },
): Promise<void> {
  const total = 3000;
  const perSession = 750; // the host allows 1,000 concurrent streams per connection
  const sessions: http2.ClientHttp2Session[] = [];
  for (let i = 0; i < Math.ceil(total / perSession); i++) sessions.push(await rawSession(h.url));
  interface Outcome { status?: number; grpcStatus?: number; rst?: number; closed: boolean }
  const outcomes: Outcome[] = [];
  for (let i = 0; i < total; i++) {
    const o: Outcome = { closed: false };
    outcomes.push(o);
    const stream = sessions[Math.floor(i / perSession)]!.request(grpcHeaders("Events", { "x-user": "greedy", "x-call": `greedy-${i}` }));
    stream.on("error", ignore);
    stream.on("data", ignore);
    stream.on("response", (head) => {
      o.status = Number(head[":status"]);
      if (head["grpc-status"] !== undefined) o.grpcStatus = Number(head["grpc-status"]);
    });
    stream.on("trailers", (t) => t["grpc-status"] !== undefined && (o.grpcStatus = Number(t["grpc-status"])));
    stream.once("close", () => ((o.closed = true), (o.rst = stream.rstCode)));
    if (i % 250 === 249) await new Promise((resolve) => setImmediate(resolve));
  }
  // Until every stream is either running a handler or answered, or 10 s.
  const accounted = () => (runningBy.get("greedy") ?? 0) + outcomes.filter((o) => o.grpcStatus !== undefined || o.closed).length;
  await pollUntil(() => accounted() >= total, 10_000, "abuse: the 3,000 greedy streams to be served or refused", 100);
  await sleep(200);
  // Meanwhile another principal: a gRPC Say of its own, and the usual probe.
  const other = await rawSession(h.url);
  const otherStart = performance.now();
  const [otherOutcome, during] = await Promise.all([
    within(5000, rawRequest(other, grpcHeaders("Say", { "x-user": "other" }), [envelope(EchoRequest.encode({ text: "other", repeat: 0, failWith: 0, delayMs: 0 }))]).response, "abuse: another principal's Say"),
    probe(),
  ]);
  const otherMs = Math.round(performance.now() - otherStart);
  const accepted = runningBy.get("greedy") ?? 0;
  const refused = outcomes.filter((o) => o.grpcStatus === 8).length;
  const otherStatuses = new Map<string, number>();
  for (const o of outcomes) {
    if (o.grpcStatus === undefined || o.grpcStatus === 8) continue;
    const key = `grpc-status ${o.grpcStatus}`;
    otherStatuses.set(key, (otherStatuses.get(key) ?? 0) + 1);
  }
  const resets = outcomes.filter((o) => o.closed && o.grpcStatus === undefined).length;
  const silent = outcomes.filter((o) => !o.closed && o.grpcStatus === undefined).length;
  report.figure("gRPC per principal", `one principal opened ${total} Events streams over ${sessions.length} connections: ${accepted} handlers running, ${refused} refused with resource_exhausted, ${[...otherStatuses].map(([k, n]) => `${k} ×${n}`).join(", ") || "no other statuses"}, ${resets} reset without a status, ${silent - accepted > 0 ? silent - accepted : 0} waiting unanswered without a handler`);
  const otherOk = !otherOutcome.timedOut && otherOutcome.value.grpcStatus === 0;
  report.figure("gRPC per principal: another principal", otherOutcome.timedOut ? "no answer within 5 s" : `grpc-status ${otherOutcome.value.grpcStatus} in ${otherMs} ms`);
  report.check(`abuse: one principal's ${total} concurrent gRPC streams: those beyond a per-principal limit are refused with resource_exhausted`,
    refused > 0 && accepted < total, `${accepted} accepted (handlers running), ${refused} refused with resource_exhausted`);
  report.check(`abuse: while one principal holds ${total} gRPC streams, another principal's Say completes within ${SAY_BOUND_MS / 1000} s`,
    otherOk && otherMs <= SAY_BOUND_MS, otherOutcome.timedOut ? "no answer within 5 s" : `grpc-status ${otherOutcome.value.grpcStatus}, ${otherMs} ms`);
  await destroyLater(other);
  for (const s of sessions) await destroyLater(s);
  const ended = await pollUntil(() => (runningBy.get("greedy") ?? 0) === 0, 10_000, "abuse: the greedy handlers to end");
  report.check(`abuse: the ${total} streams' handlers end within 10 s after their connections close`, ended !== undefined,
    `${runningBy.get("greedy") ?? 0} still running${ended !== undefined ? ` (ended after ${ended} ms)` : ""}`);
  await probeChecks(`one principal opening ${total} gRPC streams`, during);
}

// ---------------------------------------------------- pairs per principal

async function pairsPerPrincipal(h: HarnessHost, report: Report, probe: ProbeFn, probeChecks: ProbeChecks): Promise<void> {
  const limit = 100;
  const session = await rawSession(h.url);
  const openDown = async (user: string): Promise<{ status?: number; code?: string; stream: http2.ClientHttp2Stream }> => {
    const stream = session.request({ ":method": "POST", ":path": "/test.echo.Echo/Events", "content-type": PAIR_CONTENT_TYPE, [PairHeader.half]: "down", "x-user": user });
    stream.on("error", ignore);
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.length < 4 && chunks.push(c));
    stream.end();
    const outcome = await within(5000, once(stream, "response") as Promise<[http2.IncomingHttpHeaders]>, "abuse: a pair down's response");
    if (outcome.timedOut) return { stream };
    const status = Number(outcome.value[0][":status"]);
    let code: string | undefined;
    if (status !== 200) {
      await within(1000, once(stream, "end"), "abuse: a refused down's body");
      try {
        code = JSON.parse(Buffer.concat(chunks).toString()).code;
      } catch {
        code = "no JSON body";
      }
    }
    return { status, code, stream };
  };
  const firsts = await Promise.all(Array.from({ length: limit }, () => openDown("pairs-greedy")));
  const firstOk = firsts.filter((d) => d.status === 200).length;
  const duringP = probe();
  const extra = await openDown("pairs-greedy");
  const other = await openDown("pairs-other");
  report.figure("pairs per principal", `${limit} downs of one principal: ${firstOk} answered 200; the ${limit + 1}st: HTTP ${extra.status ?? "none"} ${extra.code ?? ""}; another principal's down: HTTP ${other.status ?? "none"}`);
  report.check(`abuse: pairs: the ${limit + 1}st open down of one principal is refused 429 resource_exhausted (the first ${limit} open)`,
    firstOk === limit && extra.status === 429 && extra.code === "resource_exhausted", `${firstOk} of ${limit} opened; the ${limit + 1}st: HTTP ${extra.status ?? "none"} ${extra.code ?? ""}`);
  report.check("abuse: pairs: another principal still opens a pair meanwhile", other.status === 200, `HTTP ${other.status ?? "none"} ${other.code ?? ""}`);
  await destroyLater(session);

  // Finished pairs must not count: 1,000 short calls, at most 50 in flight, from one principal.
  const calls = 1000;
  const inFlight = 50;
  const guest = await guestFetch(h.url);
  const { createEchoClient } = await loadEcho();
  const client = createEchoClient(connectGateway(h.url, { fetch: guest.fetch, headers: { "x-user": "pairs-short" } }));
  const failures = new FailureTally();
  let ok = 0;
  let next = 0;
  const start = Date.now();
  const runner = async () => {
    while (next < calls && Date.now() - start < 60_000) {
      next++;
      try {
        let got = 0;
        for await (const _ of client.repeat({ text: "s", repeat: 1, failWith: 0, delayMs: 0 })) got++;
        if (got === 1) ok++;
        else failures.add(new Error(`${got} replies instead of 1`));
      } catch (error) {
        failures.add(error);
      }
    }
  };
  const done = await within(70_000, Promise.all(Array.from({ length: inFlight }, runner)), "abuse: 1,000 short pair calls");
  report.figure("pairs: short calls", `${calls} Repeat calls, ≤ ${inFlight} in flight, one principal: ${ok} ok, ${failures.total} failed (${failures.summary()}) in ${Date.now() - start} ms${done.timedOut ? " (not all done within 70 s)" : ""}`);
  for (const m of failures.messages()) report.figure("pairs: short call failure", m);
  report.check(`abuse: pairs: finished pairs do not count (${calls} short calls of one principal, ≤ ${inFlight} in flight: none refused)`,
    ok === calls && failures.total === 0, `${ok} ok; failed: ${failures.summary()}`);
  await closeWithin("abuse: the short calls' fetch", () => guest.close());
  await probeChecks(`one principal opening ${limit + 1} pairs`, await duringP);
}

// ------------------------------------------------- malformed pair traffic

async function malformedPairs(h: HarnessHost, report: Report, probe: ProbeFn, probeChecks: ProbeChecks, received: Map<string, number>): Promise<void> {
  const session = await rawSession(h.url);
  const duringP = probe();
  const pairHeaders = (half: string, extra: Record<string, string> = {}): http2.OutgoingHttpHeaders => ({
    ":method": "POST", ":path": "/test.echo.Echo/Events", "content-type": PAIR_CONTENT_TYPE, [PairHeader.half]: half, "x-user": "malformed", ...extra,
  });
  const refusal = async (headers: http2.OutgoingHttpHeaders, body: Buffer[] = []): Promise<{ status?: number; code?: string; text: string }> => {
    const outcome = await within(5000, rawRequest(session, headers, body).response, "abuse: a malformed pair request's answer");
    if (outcome.timedOut) return { text: "no answer within 5 s" };
    const r = outcome.value;
    let code: string | undefined;
    try {
      code = JSON.parse(r.body.toString()).code;
    } catch {
      // no JSON
    }
    return { status: r.status, code, text: `HTTP ${r.status ?? "none"} ${code ?? `(body "${r.body.toString().slice(0, 60)}")`}, stream reset code ${r.rstCode}` };
  };

  /** A down of its own (x-call tags it), its envelopes collected as they come. */
  const openDown = async (call: string) => {
    const stream = session.request(pairHeaders("down", { "x-call": call }));
    stream.on("error", ignore);
    let body = Buffer.alloc(0);
    stream.on("data", (c: Buffer) => (body = Buffer.concat([body, c])));
    stream.end();
    const outcome = await within(5000, once(stream, "response") as Promise<[http2.IncomingHttpHeaders]>, "abuse: a pair down's response");
    const id = outcome.timedOut ? undefined : (outcome.value[0][PairHeader.id] as string | undefined);
    return { stream, id, envelopes: () => parseEnvelopes(body) };
  };

  // Ids that are unknown, of another instance, malformed.
  const probeDown = await openDown("malformed-id-source");
  const instance = probeDown.id?.split(".")[0] ?? "00000000";
  const randomId = (prefix: string) => `${prefix}.${Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))).toString("base64url")}`;
  const otherInstance = instance === "ffffffff" ? "00000000" : "ffffffff";
  const cases: [string, http2.OutgoingHttpHeaders, number, string][] = [
    ["an up with an unknown pair id", pairHeaders("up", { [PairHeader.id]: randomId(instance) }), 404, "not_found"],
    ["an up with a pair id of another host instance", pairHeaders("up", { [PairHeader.id]: randomId(otherInstance) }), 404, "not_found"],
    ["a down with a malformed pair id", pairHeaders("down", { [PairHeader.id]: "not-a-pair-id", [PairHeader.received]: "0" }), 400, "invalid_argument"],
    ["an up with a malformed pair id", pairHeaders("up", { [PairHeader.id]: "../../etc" }), 400, "invalid_argument"],
    ["a pair request with streampath-half sideways", pairHeaders("sideways"), 400, "invalid_argument"],
  ];
  for (const [what, headers, status, code] of cases) {
    const r = await refusal(headers, [envelope(new Uint8Array(0))]);
    report.check(`abuse: malformed pair: ${what} → HTTP ${status} ${code}`, r.status === status && r.code === code, r.text);
  }
  probeDown.stream.close(NGHTTP2_CANCEL);

  // Envelopes with flags outside the pair's kinds (data 0x00, end 0x02, control 0x04) on an up.
  const event = Buffer.from([0x08, 0x01, 0x12, 0x03, 0x01, 0x02, 0x03]); // Event { seq: 1, payload: 01 02 03 }
  for (const flags of [0x01, 0x08, 0x10, 0x80, 0x06]) {
    const call = `flags-${flags}`;
    const down = await openDown(call);
    const name = `abuse: malformed pair: an up envelope with flags 0x${flags.toString(16).padStart(2, "0")} → the pair ends with an error status, nothing delivered`;
    if (!down.id) {
      report.check(name, false, "the down did not open");
      continue;
    }
    const up = session.request(pairHeaders("up", { [PairHeader.id]: down.id, "x-call": call }));
    up.on("error", ignore);
    let upStatus: number | undefined;
    up.on("response", (head) => (upStatus = Number(head[":status"])));
    up.on("data", ignore);
    up.write(envelope(flags === 0x06 ? Buffer.from("{}") : event, flags));
    // The up stays open (no end envelope, no END_STREAM): the host must act on the envelope itself.
    const ended = () => down.envelopes().find((e) => e.flags & 0x02);
    await pollUntil(() => ended() !== undefined || down.stream.closed, 3000, `abuse: the down of ${call} to end`);
    const end = ended();
    let code = "none";
    if (end) {
      try {
        code = JSON.parse(Buffer.from(end.data).toString()).error?.code ?? "ok (no error)";
      } catch {
        code = "unparsable end";
      }
    }
    const data = down.envelopes().filter((e) => !(e.flags & 0x06)).length;
    const got = received.get(call) ?? 0;
    const what = `down: ${end ? `end envelope with ${code}` : down.stream.closed ? `closed without an end (reset code ${down.stream.rstCode})` : "no end within 3 s"}; ${data} data envelopes echoed; handler received ${got}; up answered ${upStatus ?? "nothing yet"}`;
    report.figure(`malformed pair: flags 0x${flags.toString(16).padStart(2, "0")}`, what);
    report.check(name, end !== undefined && code !== "ok (no error)" && code !== "unparsable end" && got === 0 && data === 0, what);
    up.close(NGHTTP2_CANCEL);
    down.stream.close(NGHTTP2_CANCEL);
  }
  await destroyLater(session);
  await probeChecks("malformed pair traffic", await duringP);
}
