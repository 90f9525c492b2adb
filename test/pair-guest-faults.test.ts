/**
 * The guest under faults a network really has: a resumed down whose
 * response never comes (and a fetch that never settles even when aborted)
 * is given up after `responseTimeoutMs` and resumed again; one up that
 * fails early does not switch the gateway to batches for good, though
 * streaming that never reaches the host does; finished calls do not hold
 * the host's per-principal pair slots, even unacknowledged.
 */
import test from "ava";
import { PAIR_CONTENT_TYPE, PairFlag, PairHeader } from "../runtime/core/pair.js";
import type { Fetch } from "../runtime/guest/index.js";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import { type Event, envelope, loadEcho, parseEnvelopes, rawRequest, rawSession, request, startEchoHost } from "./helpers/host.js";

const half = (init: RequestInit) => (init.headers as Record<string, string>)[PairHeader.half];

async function* events(count: number, everyMs = 0): AsyncGenerator<Event> {
  for (let seq = 1; seq <= count; seq++) {
    if (everyMs) await new Promise((resolve) => setTimeout(resolve, everyMs));
    yield { seq: BigInt(seq), payload: new Uint8Array([seq & 0xff]) };
  }
}

async function echoed(calls: AsyncIterable<Event>): Promise<number[]> {
  const seqs: number[] = [];
  for await (const event of calls) seqs.push(Number(event.seq));
  return seqs;
}

test("a resumed down that never gets its response headers is given up after responseTimeoutMs and resumed again", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  let downs = 0;
  let hung = 0;
  const wrap = (inner: Fetch): Fetch => async (input, init) => {
    if (half(init) !== "down") return inner(input, init);
    downs++;
    // The first down is broken after its first chunk; the second (the resume) never answers,
    // and ignores its abort signal too: a fetch is not trusted to end.
    if (downs === 2) {
      hung++;
      return new Promise<Response>(() => undefined);
    }
    const response = await inner(input, init);
    if (downs !== 1) return response;
    let chunks = 0;
    const body = response.body!.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => (chunks++ < 1 ? controller.enqueue(chunk) : controller.error(new Error("injected: down broken"))),
    }));
    return new Response(body, { status: response.status, headers: response.headers });
  };
  const gateway = nodeGateway(t, echo.url, { wrapFetch: wrap, responseTimeoutMs: 500 });
  const client = (await loadEcho()).createEchoClient(gateway);
  const started = Date.now();
  const seqs = await echoed(client.events(events(40, 20)));
  t.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => i + 1));
  t.is(hung, 1);
  t.true(downs >= 3, `${downs} downs: the hung resume was followed by another`);
  t.true(Date.now() - started >= 500, "the hung down was waited for responseTimeoutMs");
  t.is((await echo.call("events")).received, 40);
});

test("one up that fails before the host has it does not switch the gateway to batches", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  let ups = 0;
  const wrap = (inner: Fetch): Fetch => async (input, init) => {
    if (half(init) === "up" && ++ups === 1) throw new TypeError("injected: the up was reset before it was sent");
    return inner(input, init);
  };
  const gateway = nodeGateway(t, echo.url, { wrapFetch: wrap, upload: "auto" });
  t.is(gateway.upload, "stream");
  const client = (await loadEcho()).createEchoClient(gateway);
  t.deepEqual(await echoed(client.events(events(100))), Array.from({ length: 100 }, (_, i) => i + 1));
  t.is(gateway.upload, "stream", "still streaming after one early failure");
  t.true(ups >= 2);
});

test("request streaming that never reaches the host switches the gateway to batches, and the call completes", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  let ups = 0;
  const wrap = (inner: Fetch): Fetch => async (input, init) => {
    if (half(init) === "up") {
      ups++;
      throw new TypeError("injected: Failed to fetch (as over HTTP/1.1)");
    }
    return inner(input, init);
  };
  const gateway = nodeGateway(t, echo.url, { wrapFetch: wrap, upload: "auto", retry: { baseMs: 5, capMs: 20 } });
  const client = (await loadEcho()).createEchoClient(gateway);
  t.deepEqual(await echoed(client.events(events(100))), Array.from({ length: 100 }, (_, i) => i + 1));
  t.is(gateway.upload, "batch");
  t.is(ups, 3, "three failed ups in a row, then batches");
});

test("finished calls do not hold the per-principal pair slots, even when their ends are never acknowledged", async (t) => {
  const echo = await startEchoHost(t, { pair: { maxPairsPerPrincipal: 20 } });
  const { EchoRequest } = await loadEcho();
  const session = await rawSession(t, echo.url);
  const headers = (halfName: string, extra: Record<string, string> = {}) => ({
    ":method": "POST", ":path": "/test.echo.Echo/Repeat", "content-type": PAIR_CONTENT_TYPE, [PairHeader.half]: halfName, "x-user": "ada", ...extra,
  });
  // 60 server-streaming calls one after another, by a guest that sends its request and end, reads the
  // host's end, and never acknowledges it: each finished pair waits for an ack that never comes.
  for (let i = 0; i < 60; i++) {
    const down = rawRequest(session, headers("down"));
    const id = await new Promise<string>((resolve) => down.stream.once("response", (h) => resolve(String(h[PairHeader.id] ?? h[":status"]))));
    t.regex(id, /\./, `call ${i + 1} refused: ${id}`);
    const body = Buffer.concat([envelope(EchoRequest.encode(request({ text: "r", repeat: 2 }))), envelope(Buffer.from("{}"), PairFlag.End)]);
    rawRequest(session, headers("up", { [PairHeader.id]: id, [PairHeader.firstSeq]: "1" }), [body]);
    const { body: downBody } = await down.response;
    const ended = parseEnvelopes(downBody).some((e) => e.flags === PairFlag.End);
    t.true(ended, `call ${i + 1} ended`);
  }
  t.is(echo.calls.filter((c) => c.method === "repeat").length, 60);
});
