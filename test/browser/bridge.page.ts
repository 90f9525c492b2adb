/**
 * The bridge tests' window: each `runBridge(input)` starts the worker
 * (test/browser/bridge.worker.ts), connects to it with connectWorker in the
 * mode asked for, and calls it through the generated Echo client.
 */
import { type BridgeOptions, connectWorker, type WorkerConnection } from "streampath/runtime/view";
import { createEchoClient, type EchoClient } from "echo-generated/echo_host.js";
import { cancel } from "./bridge-cancel.js";
import { caught, crossedBinary, drain, events, find, fromArray, over, payloadOf, probe, probeUntil, request, sleep } from "./bridge-common.js";
import { protocol } from "./bridge-protocol.js";

/** "auto": what connectWorker picks when asked for nothing in particular (port). */
export type Mode = "streams" | "port" | "auto";
export type Encoding = "auto" | "clone";

export type BridgeInput =
  | { kind: "bidi"; mode: Mode; encoding: Encoding; count: number }
  | { kind: "calls"; mode: Mode; encoding: Encoding }
  | { kind: "errors"; mode: Mode }
  | { kind: "cancel"; mode: Mode }
  | { kind: "host-cancel"; mode: Mode }
  | { kind: "protocol"; mode: Mode }
  | { kind: "stall"; mode: Mode; window: number; maxBatch: number; readFirst: number }
  | { kind: "broken-worker"; mode: Mode };

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
    case "broken-worker":
      return brokenWorkers(options, started);
  }
}

/** Workers that never serve: a script that is not there, one that throws before serveBridge. */
async function brokenWorkers(options: BridgeOptions, started: number) {
  const throwing = URL.createObjectURL(new Blob(['throw new Error("boom before serving");'], { type: "text/javascript" }));
  const result: Record<string, unknown> = {};
  for (const [name, url] of [["missing", "/no-such-worker.js"], ["throwing", throwing]] as const) {
    const broken = new Worker(url, { type: "module" });
    const at = performance.now();
    const error = await caught(createEchoClient(connectWorker(broken, options)).say(request("anyone?")));
    result[name] = { error, ms: performance.now() - at };
    broken.terminate();
  }
  return { ...result, totalMs: performance.now() - started };
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
  // What the caller hears besides messages, in order: headers, then (after the last message or the failure) trailers.
  const heard: string[] = [];
  const metadata = (label: string) => ({
    onHeaders: (h: Record<string, unknown>) => void heard.push(`${label} headers ${JSON.stringify(h)}`),
    onTrailers: (t: Record<string, unknown>) => void heard.push(`${label} trailers ${JSON.stringify(t)}`),
  });
  const say = await client.say(request("hi"), { headers: { "x-custom": "custom-header" }, ...metadata("say") });
  await caught(client.say(request("no", { failWith: 9 }), metadata("failed say")));
  const indexes: number[] = [];
  for await (const r of client.repeat(request("r", { repeat: 10_000 }), metadata("repeat"))) {
    if (r.index === 0) heard.push("repeat first message");
    indexes.push(r.index);
  }
  heard.push("repeat done");
  const texts = Array.from({ length: 5000 }, (_, i) => request(String(i % 10)));
  const collected = await client.collect(fromArray(texts));
  const chat = (await drain(client.chat(fromArray(Array.from({ length: 1000 }, (_, i) => request(`c${i}`)))))).items.map((r) => r.text);
  // Big messages: batches are cut by bytes too (binary), not only by count.
  const big = (i: number) => String(i % 10).repeat(100_000);
  const bigChat = (await drain(client.chat(fromArray(Array.from({ length: 200 }, (_, i) => request(big(i))))))).items;
  // A second connection to the same worker, used alongside the first: each takes only its own replies.
  const second = createEchoClient(connectWorker(worker, { mode: connection.mode }));
  const both = await Promise.all([drain(second.repeat(request("two", { repeat: 3000 }))), drain(client.repeat(request("one", { repeat: 3000 })))]);
  return {
    binary: await crossedBinary(client, "/test.echo.Echo/Repeat"),
    twoConnections: both.map((d) => ({ count: d.items.length, texts: [...new Set(d.items.map((r) => r.text))], error: d.error })),
    mode: connection.mode,
    say: { text: say.text, header: say.header },
    heard,
    repeat: { count: indexes.length, inOrder: indexes.every((index, i) => index === i) },
    collect: { index: collected.index, length: collected.text.length, head: collected.text.slice(0, 12) },
    chat: { count: chat.length, inOrder: chat.every((text, i) => text === `c${i}`) },
    bigChat: { count: bigChat.length, intact: bigChat.every((r, i) => r.text === big(i)) },
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
