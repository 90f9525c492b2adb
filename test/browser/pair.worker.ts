// The pair from a real browser worker: the generated echo client over connectGateway.
import { connectGateway } from "streampath/runtime/guest";
import { createEchoClient } from "echo-generated/echo_host.js";
import { serveTest } from "./worker-main.js";

type Upload = "stream" | "batch";

export type PairInput =
  | { kind: "bidi"; upload: Upload; count: number; window?: number; retry?: { attempts: number; baseMs: number; capMs: number } }
  | { kind: "client"; upload: Upload; count: number }
  | { kind: "server"; upload: Upload; count: number }
  | { kind: "many"; upload: Upload; calls: number; bidis: number; maxJoining?: number }
  | { kind: "mixed"; upload: Upload; calls: number; events: number }
  | { kind: "stall"; upload: Upload; window: number; windowBytes: number; readFirst: number; payloadBytes: number; floods: number };

const request = (text: string, repeat = 0) => ({ text, repeat, failWith: 0, delayMs: 0 });

/** The payload of event `seq`: 64 bytes that differ from those of its neighbours. */
export function payloadOf(seq: number): Uint8Array {
  return new Uint8Array(64).map((_, i) => (seq * 31 + i) & 0xff);
}

function samePayload(a: Uint8Array, seq: number): boolean {
  const b = payloadOf(seq);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function* events(count: number) {
  for (let seq = 1; seq <= count; seq++) yield { seq: BigInt(seq), payload: payloadOf(seq) };
}

/** What the host's test route `/probe` says: the flood calls' produced counts. */
async function probe(): Promise<{ produced: number[]; finished: boolean[] }> {
  return (await fetch(`${location.origin}/probe`, { cache: "no-store" })).json();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

serveTest(async (input: PairInput) => {
  const window = "window" in input ? input.window : undefined;
  const retry = "retry" in input ? input.retry : undefined;
  const windowBytes = "windowBytes" in input ? input.windowBytes : undefined;
  const maxJoining = "maxJoining" in input ? input.maxJoining : undefined;
  const gateway = connectGateway(location.origin, { upload: input.upload, window, windowBytes, retry, maxJoining });
  const client = createEchoClient(gateway);
  const started = performance.now();

  if (input.kind === "bidi") {
    let expected = 1;
    for await (const event of client.events(events(input.count))) {
      if (Number(event.seq) !== expected || !samePayload(event.payload, expected)) {
        throw new Error(`echo ${expected}: got seq ${event.seq} with payload ${event.payload.slice(0, 4)}`);
      }
      expected++;
    }
    return { upload: gateway.upload, received: expected - 1, ms: performance.now() - started };
  }
  if (input.kind === "client") {
    const count = input.count;
    async function* texts() {
      for (let i = 0; i < count; i++) yield request(String(i % 10));
    }
    const reply = await client.collect(texts());
    return { upload: gateway.upload, index: reply.index, length: reply.text.length, head: reply.text.slice(0, 12) };
  }
  if (input.kind === "many") {
    // Every call started at once on the origin's one HTTP/2 connection: server streams and bidis.
    const serverCalls = Array.from({ length: input.calls }, async (_, i) => {
      const indexes: number[] = [];
      for await (const reply of client.repeat(request(String(i), 5))) indexes.push(reply.index);
      return indexes.join(",") === "0,1,2,3,4";
    });
    const bidiCalls = Array.from({ length: input.bidis }, async () => {
      let expected = 1;
      for await (const event of client.events(events(20))) if (Number(event.seq) === expected && samePayload(event.payload, expected)) expected++;
      return expected === 21;
    });
    const results = await Promise.allSettled([...serverCalls, ...bidiCalls]);
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    const ok = results.filter((r) => r.status === "fulfilled" && r.value).length;
    return { upload: gateway.upload, ok, failures: failures.slice(0, 5), failed: failures.length, ms: performance.now() - started };
  }
  if (input.kind === "mixed") {
    // `calls` each of bidi, client-streaming and server-streaming, all at once; every message checked.
    const n = input.events;
    const bidis = Array.from({ length: input.calls }, async (_, call) => {
      let expected = 1;
      for await (const event of client.events(events(n))) {
        if (Number(event.seq) !== expected || !samePayload(event.payload, expected)) throw new Error(`bidi ${call}: got ${event.seq} for ${expected}`);
        expected++;
      }
      if (expected !== n + 1) throw new Error(`bidi ${call}: ${expected - 1} of ${n}`);
    });
    const clients = Array.from({ length: input.calls }, async (_, call) => {
      async function* texts() {
        for (let i = 0; i < n; i++) yield request(String(i % 10));
      }
      const reply = await client.collect(texts());
      if (reply.index !== n || reply.text !== Array.from({ length: n }, (_, i) => i % 10).join("")) throw new Error(`collect ${call}: ${reply.index}`);
    });
    const servers = Array.from({ length: input.calls }, async (_, call) => {
      let expected = 0;
      for await (const reply of client.repeat(request(`r${call}`, n))) {
        if (reply.index !== expected++) throw new Error(`repeat ${call}: got ${reply.index}`);
      }
      if (expected !== n) throw new Error(`repeat ${call}: ${expected} of ${n}`);
    });
    const results = await Promise.allSettled([...bidis, ...clients, ...servers]);
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    return { upload: gateway.upload, ok: results.length - failures.length, failures: failures.slice(0, 5), failed: failures.length, ms: performance.now() - started };
  }
  if (input.kind === "server") {
    const indexes: number[] = [];
    for await (const reply of client.repeat(request("r", input.count))) indexes.push(reply.index);
    const inOrder = indexes.every((index, i) => index === i);
    return { upload: gateway.upload, count: indexes.length, inOrder };
  }

  // Endless floods, each read a little and then not at all: the host must stop at
  // the credit window, and the connection must still carry another call.
  const floods = Array.from({ length: input.floods }, (_, i) => i).map((i) => client.flood(request(`stall-${i}`, input.payloadBytes))[Symbol.asyncIterator]());
  for (const flood of floods) {
    for (let n = 0; n < input.readFirst; n++) await flood.next();
  }
  let stalled = await probe();
  for (let polls = 0; polls < 50; polls++) {
    await sleep(200);
    const next = await probe();
    const still = next.produced.length === input.floods && next.produced.every((p, i) => p === stalled.produced[i]);
    stalled = next;
    if (still) break;
  }
  const third = performance.now();
  const say = await client.say(request("third"));
  let echoed = 0;
  for await (const _ of client.events(events(2000))) echoed++;
  const thirdMs = performance.now() - third;
  const afterThird = await probe();
  // Consuming again grants credit again: the first flood moves on.
  for (let n = 0; n < 2 * input.window; n++) await floods[0].next();
  const resumed = await probe();
  await Promise.all(floods.map((flood) => flood.return!()));
  let ended = await probe();
  for (let polls = 0; polls < 50 && !ended.finished.every(Boolean); polls++) {
    await sleep(50);
    ended = await probe();
  }
  return { upload: gateway.upload, stalled, say: say.text, echoed, thirdMs, afterThird, resumed, ended };
});
