/**
 * The bridge tests' window: each `runBridge(input)` starts the worker
 * (test/browser/bridge.worker.ts), connects to it with connectWorker in the
 * mode asked for, and calls it through the generated Echo client.
 */
import { type CallOptions, StreampathError } from "streampath/runtime/core";
import { type BridgeOptions, connectWorker, type WorkerConnection } from "streampath/runtime/view";
import { createEchoClient, type EchoClient } from "echo-generated/echo_host.js";
import type { WorkerRecord } from "./bridge.worker.js";

export type Mode = "streams" | "port";
export type Encoding = "auto" | "clone";

export type BridgeInput =
  | { kind: "bidi"; mode: Mode; encoding: Encoding; count: number }
  | { kind: "calls"; mode: Mode; encoding: Encoding }
  | { kind: "errors"; mode: Mode }
  | { kind: "cancel"; mode: Mode }
  | { kind: "host-cancel"; mode: Mode }
  | { kind: "protocol"; mode: Mode }
  | { kind: "stall"; mode: Mode; window: number; maxBatch: number; readFirst: number };

const request = (text: string, init: { repeat?: number; failWith?: number; delayMs?: number } = {}) => ({
  text,
  repeat: init.repeat ?? 0,
  failWith: init.failWith ?? 0,
  delayMs: init.delayMs ?? 0,
});

export function payloadOf(seq: number): Uint8Array {
  return new Uint8Array(64).map((_, i) => (seq * 31 + i) & 0xff);
}

async function* events(count: number) {
  for (let seq = 1; seq <= count; seq++) yield { seq: BigInt(seq), payload: payloadOf(seq) };
}

async function* fromArray<T>(items: T[]) {
  yield* items;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Caught {
  name: string;
  code?: number;
  message: string;
}

/** What `promise` rejected with, or throws if it resolved. */
async function caught(promise: Promise<unknown>): Promise<Caught> {
  try {
    await promise;
  } catch (error) {
    const e = error as StreampathError;
    return { name: e.name, code: e.code, message: e.message };
  }
  throw new Error("expected a rejection");
}

async function drain<T>(responses: AsyncIterable<T>): Promise<{ items: T[]; error?: Caught }> {
  const items: T[] = [];
  try {
    for await (const item of responses) items.push(item);
    return { items };
  } catch (error) {
    const e = error as StreampathError;
    return { items, error: { name: e.name, code: e.code, message: e.message } };
  }
}

async function probe(client: EchoClient): Promise<WorkerRecord[]> {
  return JSON.parse((await client.say(request("probe"))).text);
}

/** Polls the worker's records until `check` finds what it wants (up to 5 s); returns the last records either way. */
async function probeUntil(client: EchoClient, check: (records: WorkerRecord[]) => boolean): Promise<WorkerRecord[]> {
  let records = await probe(client);
  for (let i = 0; i < 100 && !check(records); i++) {
    await sleep(50);
    records = await probe(client);
  }
  return records;
}

/** Whether the worker saw the (first) call of `path` open as binary. */
async function crossedBinary(client: EchoClient, path: string): Promise<boolean | undefined> {
  const opened = JSON.parse((await client.say(request("opened"))).text) as { path: string; binary: boolean }[];
  return opened.find((o) => o.path === path)?.binary;
}

const find = (records: WorkerRecord[], method: string, text: string) => records.find((r) => r.method === method && r.text === text);
const over = (method: string, text: string) => (records: WorkerRecord[]) => {
  const r = find(records, method, text);
  return r !== undefined && r.aborted && r.finished;
};

async function run(input: BridgeInput, worker: Worker): Promise<unknown> {
  const options: BridgeOptions = {
    mode: input.mode,
    ...("encoding" in input ? { encoding: input.encoding } : {}),
    ...(input.kind === "stall" ? { window: input.window, maxBatch: input.maxBatch } : {}),
  };
  const connection = connectWorker(worker, options);
  const client = createEchoClient(connection);
  const started = performance.now();
  switch (input.kind) {
    case "bidi":
      return bidi(connection, client, input.count, started);
    case "calls":
      return calls(connection, client, worker);
    case "errors":
      return errors(connection, client, worker);
    case "cancel":
      return cancel(connection, client, worker);
    case "host-cancel": {
      const controller = new AbortController();
      const flood = client.flood(request("host-flood", { repeat: 64 }), { signal: controller.signal })[Symbol.asyncIterator]();
      for (let i = 0; i < 10; i++) await flood.next();
      controller.abort();
      const error = await caught(flood.next());
      const records = await probeUntil(client, over("flood", "host-flood"));
      return { error, record: find(records, "flood", "host-flood") };
    }
    case "stall":
      return stall(client, input);
    case "protocol":
      return protocol(client, worker);
  }
}

async function bidi(connection: WorkerConnection, client: EchoClient, count: number, started: number) {
  let expected = 1;
  for await (const event of client.events(events(count))) {
    const want = payloadOf(expected);
    if (Number(event.seq) !== expected || event.payload.length !== 64 || !event.payload.every((x, i) => x === want[i])) {
      throw new Error(`echo ${expected}: got seq ${event.seq} with payload ${event.payload.slice(0, 4)}`);
    }
    expected++;
  }
  const ms = performance.now() - started;
  const record = find(await probe(client), "events", "");
  return { mode: connection.mode, received: expected - 1, ms, record, binary: await crossedBinary(client, "/test.echo.Echo/Events") };
}

async function calls(connection: WorkerConnection, client: EchoClient, worker: Worker) {
  const say = await client.say(request("hi"), { headers: { "x-custom": "custom-header" } });
  const indexes: number[] = [];
  for await (const r of client.repeat(request("r", { repeat: 10_000 }))) indexes.push(r.index);
  const texts = Array.from({ length: 5000 }, (_, i) => request(String(i % 10)));
  const collected = await client.collect(fromArray(texts));
  const chat = (await drain(client.chat(fromArray(Array.from({ length: 1000 }, (_, i) => request(`c${i}`)))))).items.map((r) => r.text);
  // A second connection to the same worker, used alongside the first: each takes only its own replies.
  const second = createEchoClient(connectWorker(worker, { mode: connection.mode }));
  const both = await Promise.all([drain(second.repeat(request("two", { repeat: 3000 }))), drain(client.repeat(request("one", { repeat: 3000 })))]);
  return {
    binary: await crossedBinary(client, "/test.echo.Echo/Repeat"),
    twoConnections: both.map((d) => ({ count: d.items.length, texts: [...new Set(d.items.map((r) => r.text))], error: d.error })),
    mode: connection.mode,
    say: { text: say.text, header: say.header },
    repeat: { count: indexes.length, inOrder: indexes.every((index, i) => index === i) },
    collect: { index: collected.index, length: collected.text.length, head: collected.text.slice(0, 12) },
    chat: { count: chat.length, inOrder: chat.every((text, i) => text === `c${i}`) },
  };
}

async function errors(connection: WorkerConnection, client: EchoClient, worker: Worker) {
  const unary = await caught(client.say(request("bad argument", { failWith: 3 })));
  const plain = await caught(client.say(request("a plain Error", { failWith: -1 })));
  const midStream = await drain(client.repeat(request("five then fail", { repeat: 5, failWith: 9 })));
  const nope = { name: "Nope", path: "/test.echo.Echo/Nope", kind: "unary", input: undefined, output: undefined } as never;
  const unknown = await caught(drain(connection.call(nope, fromArray([{}]))).then((r) => Promise.reject(r.error)));
  let requestsFinished = false;
  async function* broken() {
    try {
      yield request("one");
      throw new Error("the requests broke");
    } finally {
      requestsFinished = true;
    }
  }
  const brokenRequests = await caught(client.collect(broken()));
  // A message structured clone cannot carry (a function in it), on a connection that clones.
  const cloning = createEchoClient(connectWorker(worker, { mode: connection.mode, encoding: "clone" }));
  const uncloneable = await caught(cloning.say({ ...request("has a function"), extra: () => 1 } as never));
  const uncloneableStream = await caught(drain(cloning.chat(fromArray([request("fine"), { ...request("not"), extra: () => 1 } as never]))).then((r) => Promise.reject(r.error)));
  const after = await client.say(request("still fine"));
  const afterCloning = await cloning.say(request("cloning still fine"));
  return {
    unary,
    plain,
    midStream: { count: midStream.items.length, error: midStream.error },
    unknown,
    brokenRequests,
    requestsFinished,
    uncloneable,
    uncloneableStream,
    after: after.text,
    afterCloning: afterCloning.text,
  };
}

async function cancel(connection: WorkerConnection, client: EchoClient, worker: Worker) {
  // The window's signal.
  const controller = new AbortController();
  const flood = client.flood(request("signal", { repeat: 8 }), { signal: controller.signal })[Symbol.asyncIterator]();
  for (let i = 0; i < 10; i++) await flood.next();
  controller.abort();
  const signalError = await caught(flood.next());
  const signal = find(await probeUntil(client, over("flood", "signal")), "flood", "signal");

  // Breaking out of for-await.
  let seen = 0;
  for await (const _ of client.repeat(request("break", { repeat: 1_000_000 }))) if (++seen === 3) break;
  const broke = find(await probeUntil(client, over("repeat", "break")), "repeat", "break");

  // A deadline.
  const t0 = performance.now();
  const deadlineError = await caught(client.say(request("slow", { delayMs: 30_000 }), { timeoutMs: 300 } satisfies CallOptions));
  const deadlineMs = performance.now() - t0;
  const deadline = find(await probeUntil(client, over("say", "slow")), "say", "slow");

  // The worker's handler fails mid-call: the window's iteration ends with its error, and the window's requests stop.
  let requestsFinished = false;
  let pulled = 0;
  async function* chatter() {
    try {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield request(`m${i}`, { failWith: i === 2 ? 10 : 0 });
      }
    } finally {
      requestsFinished = true;
    }
  }
  const failed = await drain(client.chat(chatter()));
  for (let i = 0; i < 100 && !requestsFinished; i++) await sleep(20);

  // Closing the connection fails running calls and later ones; the handler is aborted.
  const running = client.flood(request("closing", { repeat: 8 }))[Symbol.asyncIterator]();
  await running.next();
  connection.close();
  const closedRunning = await caught(running.next());
  const closedLater = await caught(client.say(request("after close")));
  const other = createEchoClient(connectWorker(worker, { mode: connection.mode }));
  const closing = find(await probeUntil(other, over("flood", "closing")), "flood", "closing");

  // The worker closing its bridge fails a running call with its reason.
  const last = other.flood(request("bridge-close", { repeat: 8 }))[Symbol.asyncIterator]();
  await last.next();
  worker.postMessage({ closeBridge: true });
  let bridgeClosed: Caught | undefined;
  for (let i = 0; i < 1_000_000 && !bridgeClosed; i++) {
    try {
      await last.next();
    } catch (error) {
      bridgeClosed = { name: (error as Error).name, code: (error as StreampathError).code, message: (error as Error).message };
    }
  }
  const afterBridgeClosed = await caught(other.say(request("after bridge close")));
  return {
    afterBridgeClosed,
    signal: { error: signalError, record: signal },
    broke,
    deadline: { error: deadlineError, ms: deadlineMs, record: deadline },
    failed: { count: failed.items.length, error: failed.error, requestsFinished, pulled },
    closed: { running: closedRunning, later: closedLater, record: closing },
    bridgeClosed,
  };
}

async function stall(client: EchoClient, input: Extract<BridgeInput, { kind: "stall" }>) {
  const flood = client.flood(request("stall", { repeat: 64 }))[Symbol.asyncIterator]();
  for (let i = 0; i < input.readFirst; i++) await flood.next();
  // Stop reading; wait until the handler stops producing (the same count twice, 200 ms apart).
  let previous = -1;
  let produced = 0;
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    produced = find(await probe(client), "flood", "stall")!.produced;
    if (produced === previous) break;
    previous = produced;
  }
  const stalled = produced;
  await sleep(300);
  const stillStalled = find(await probe(client), "flood", "stall")!.produced;
  const more = 2 * input.window;
  for (let i = 0; i < more; i++) await flood.next();
  const resumed = find(await probe(client), "flood", "stall")!.produced;
  await flood.return!();
  const record = find(await probeUntil(client, over("flood", "stall")), "flood", "stall");
  return { stalled, stillStalled, read: input.readFirst + more, resumed, record };
}

interface RawPacket {
  messages?: unknown[];
  bytes?: Uint8Array;
  count?: number;
  end?: true;
  error?: { code: number; message: string };
  credit?: number;
  cancel?: { code: number; message: string };
}

/**
 * Opens a call by hand on its own port, as a window that breaks the rules
 * would, sends `packets`, and resolves with what the worker answers until
 * its error or end (or 3 s).
 */
function rawCall(worker: Worker, open: Record<string, unknown>, packets: RawPacket[]): Promise<RawPacket[]> {
  const { port1, port2 } = new MessageChannel();
  const seen: RawPacket[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(seen), 3000);
    port1.onmessage = (event: MessageEvent) => {
      seen.push(event.data as RawPacket);
      if ((event.data as RawPacket).error || (event.data as RawPacket).end) {
        clearTimeout(timer);
        port1.close();
        resolve(seen);
      }
    };
    worker.postMessage({ "streampath-bridge": "open", id: -1, window: 4, maxBatch: 4, ...open, port: port2 }, [port2]);
    for (const packet of packets) port1.postMessage(packet);
  });
}

async function protocol(client: EchoClient, worker: Worker) {
  const chat = "/test.echo.Echo/Chat";
  const five = Array.from({ length: 5 }, (_, i) => request(`m${i}`));
  const errorOf = (packets: RawPacket[]) => packets.find((p) => p.error)?.error;
  return {
    // The handler takes the first request and waits on it, so no credit comes back for these ten.
    pastCredit: errorOf(
      await rawCall(worker, { path: chat, window: 8, maxBatch: 8 }, [
        { messages: [request("slow", { delayMs: 30_000 }), ...five.slice(1)] },
        { messages: five },
      ]),
    ),
    pastBatch: errorOf(await rawCall(worker, { path: chat, window: 8, maxBatch: 4 }, [{ messages: five }])),
    badCredit: errorOf(await rawCall(worker, { path: chat }, [{ credit: -3 }])),
    badWindow: errorOf(await rawCall(worker, { path: chat, window: 0 }, [])),
    noPath: errorOf(await rawCall(worker, { path: 42 }, [])),
    badDeadline: errorOf(await rawCall(worker, { path: chat, timeoutMs: "soon" }, [])),
    binaryUnknown: errorOf(await rawCall(worker, { path: "/test.echo.Echo/Nope", binary: true }, [])),
    garbageBytes: errorOf(await rawCall(worker, { path: chat, binary: true }, [{ bytes: new Uint8Array([0xff, 0xff, 0xff]), count: 1 }])),
    // The same worker still answers a proper call.
    after: (await client.say(request("after"))).text,
  };
}

async function runBridge(input: BridgeInput, timeoutMs: number): Promise<{ ok: boolean; result?: unknown; error?: string }> {
  const worker = new Worker("/worker.js", { type: "module" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs} ms`)), timeoutMs);
    });
    return { ok: true, result: await Promise.race([run(input, worker), timeout]) };
  } catch (error) {
    return { ok: false, error: String((error as Error)?.stack ?? error) };
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
}

(window as unknown as { runBridge: typeof runBridge }).runBridge = runBridge;
