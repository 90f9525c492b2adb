// The browser benchmark's dedicated module worker (bundled by
// bench/browser/build.ts, driven by bench/browser-echo.ts through the page).
// It answers commands `{ id, command }` with `{ id, ok, result | error }`:
//
// - setup: learns the WebSocket URL, reports what the worker runs on;
// - stream: events seq 1..count up one call of a peer while the echoes come
//   down, at most `window` in flight (a sender blocked by the window resumes
//   at half of it, as in bench/host); every echo is checked (seq in order,
//   payload byte for byte); resolves with the ms from opening the call to the
//   last echo;
// - ping: one event, wait for its echo, `count` times; the round-trip times;
// - close: closes the WebSockets.
//
// The peers, each as its users would write it:
//
// - streampath: the generated client over connectGateway(location.origin),
//   i.e. the pair (docs/protocol.md), protobuf-encoded events;
// - floor ("typed floor"): the least any typed streaming API must do, with
//   the same user code as streampath (an async generator of requests, a
//   `for await` over the echoes) over the raw pair's two requests and nothing
//   of the pair protocol (no credits, acks, sequence numbers, replay,
//   controls): up, each Event written with the generated codec into a
//   MessageBatch, one chunk per macrotask or 64 KiB; down, each chunk read →
//   EnvelopeDecoder.each → the Event decoded in place (decodeAt) per envelope
//   → an array per chunk → a bounded Channel → flatten() → the user's
//   `for await`;
// - raw: the same two requests with no encoding, no envelopes, no credits:
//   a down POST whose response body is read with a reader, and an up POST
//   with a ReadableStream body (duplex: "half"), paired by an id in a header;
//   records written back to back, many per chunk (a chunk per burst of the
//   sender or per 64 KiB, as the guest batches);
// - ws: one WebSocket (wss://, HTTP/1.1), one binary message per event;
// - ws-batched: the same socket kind, the raw peer's chunks as messages.
import {
  Channel,
  EnvelopeDecoder,
  Flusher,
  MessageBatch,
  type MessageCodec,
  decodeAt,
  flatten,
  nextTask,
} from "streampath/runtime/core";
import { connectGateway } from "streampath/runtime/guest";
import { createEchoClient, Echo, type Event } from "streampath-bench-echo";
import {
  checkRecord,
  RECORD_BYTES,
  RecordChecker,
  recordOf,
  writeRecord,
} from "./records.js";
import {
  type Command,
  FLOOR_DOWN_PATH,
  FLOOR_UP_PATH,
  type Peer,
  RAW_CONTENT_TYPE,
  RAW_DOWN_PATH,
  RAW_ID_HEADER,
  RAW_UP_PATH,
  type SetupReply,
  type StreamReply,
  pairWindows,
} from "./protocol.js";

const CHUNK_BYTES = 64 * 1024;
const resumeAt = (window: number): number => Math.floor(window / 2);

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections are awaited where they matter
  return { promise, resolve, reject };
}

// ---- streampath ------------------------------------------------------------

let gateway = connectGateway(location.origin);
let client = createEchoClient(gateway);

function checkEvent(event: Event, seq: number): void {
  if (Number(event.seq) !== seq)
    throw new Error(`echo out of order: expected seq ${seq}, got ${event.seq}`);
  if (event.payload.length !== RECORD_BYTES)
    throw new Error(
      `echo of seq ${seq}: payload of ${event.payload.length} bytes`,
    );
  checkRecord(event.payload, 0, seq);
}

/** A typed bidi call, as users see one: requests in, responses out. */
type TypedCall = (requests: AsyncIterable<Event>) => AsyncIterable<Event>;

/** The user's side of a typed peer (streampath, floor): the same code for both. */
async function streamTyped(call: TypedCall, count: number, window: number) {
  let sent = 0;
  let received = 0;
  let blocked: Deferred | undefined;
  async function* requests(): AsyncGenerator<Event> {
    while (sent < count) {
      if (sent - received >= window) {
        blocked = deferred();
        await blocked.promise;
      }
      sent++;
      yield { seq: BigInt(sent), payload: recordOf(sent) };
    }
  }
  const started = performance.now();
  let ms = 0;
  for await (const echo of call(requests())) {
    checkEvent(echo, ++received);
    if (blocked && sent - received <= resumeAt(window)) {
      const b = blocked;
      blocked = undefined;
      b.resolve();
    }
    if (received === count) ms = performance.now() - started;
  }
  if (received !== count)
    throw new Error(`stream ended after ${received} of ${count} echoes`);
  return ms;
}

async function pingTyped(call: TypedCall, count: number): Promise<number[]> {
  const times: number[] = [];
  let echoed = deferred();
  let sentAt = 0;
  async function* requests(): AsyncGenerator<Event> {
    for (let seq = 1; seq <= count; seq++) {
      sentAt = performance.now();
      yield { seq: BigInt(seq), payload: recordOf(seq) };
      await echoed.promise;
      echoed = deferred();
    }
  }
  let received = 0;
  for await (const echo of call(requests())) {
    times.push(performance.now() - sentAt);
    checkEvent(echo, ++received);
    echoed.resolve();
  }
  if (received !== count)
    throw new Error(`ping-pong ended after ${received} of ${count}`);
  return times;
}

// ---- floor: typed events over the raw pair, no pair protocol ----------------

/** The generated codec of bench.echo.Event (echo_pb.ts, through the descriptor). */
const EventCodec = Echo.methods.echo!.input as MessageCodec<Event>;
/** Decoded chunks the down reader may get ahead of the user's loop. */
const FLOOR_QUEUE_CHUNKS = 16;
const FLOOR_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * The raw pair's two requests (the floor's too): a down POST, answered at
 * once, then an up POST whose body streams what is enqueued on `up`, paired
 * by an id header.
 */
async function openTwoRequests(
  peer: string,
  downPath: string,
  upPath: string,
  signal: AbortSignal,
): Promise<{
  down: Response;
  up: ReadableStreamDefaultController<Uint8Array>;
  upDone: Promise<void>;
}> {
  const headers = {
    "content-type": RAW_CONTENT_TYPE,
    [RAW_ID_HEADER]: crypto.randomUUID(),
  };
  const down = await fetch(`${location.origin}${downPath}`, {
    method: "POST",
    headers,
    signal,
  });
  if (down.status !== 200) throw new Error(`${peer} down: HTTP ${down.status}`);
  let up!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (up = c) });
  const upDone = fetch(`${location.origin}${upPath}`, {
    method: "POST",
    headers,
    body,
    duplex: "half",
    signal,
  } as RequestInit).then((response) => {
    if (response.status !== 200)
      throw new Error(`${peer} up: HTTP ${response.status}`);
  });
  return { down, up, upDone };
}

/**
 * The least a typed streaming API must do per event, over the raw pair's two
 * requests: encode each request into the up body's batch (a chunk per task
 * or per 64 KiB), decode each envelope of the down body into an Event, and
 * hand them to the user's `for await` a chunk at a time. Nothing else: no
 * credits, acks, sequence numbers, replay or controls; the user's window is
 * the only bound on what is in flight, as for the raw pair.
 */
const floorEcho: TypedCall = (requests) => {
  const abort = new AbortController();
  const responses = new Channel<Event[]>(FLOOR_QUEUE_CHUNKS, {
    onCancel: () => abort.abort(),
  });
  const fail = (error: unknown): void => {
    responses.fail(error);
    abort.abort();
  };
  void (async () => {
    const { down, up, upDone } = await openTwoRequests(
      "floor",
      FLOOR_DOWN_PATH,
      FLOOR_UP_PATH,
      abort.signal,
    );
    // Up: the user's requests, written as they come.
    const sent = (async () => {
      const batch = new MessageBatch();
      const flusher = new Flusher(
        () => {
          try {
            const chunk = batch.take();
            if (chunk) up.enqueue(chunk);
          } catch (error) {
            fail(error);
          }
        },
        {
          maxBytes: CHUNK_BYTES,
          pending: () => batch.bytes,
          schedule: nextTask,
        },
      );
      for await (const event of requests) {
        batch.add(EventCodec, event);
        flusher.notify();
      }
      flusher.flushNow();
      up.close();
      await upDone;
    })();
    sent.catch(fail);
    // Down: a chunk's envelopes decoded into one array, queued for flatten.
    const reader = down.body!.getReader();
    const decoder = new EnvelopeDecoder({
      maxMessageBytes: FLOOR_MAX_MESSAGE_BYTES,
    });
    // Each envelope decoded in place (no view or object per envelope).
    let events: Event[] = [];
    const collect = (
      _: number,
      bytes: Uint8Array,
      start: number,
      end: number,
    ) => void events.push(decodeAt(EventCodec, bytes, start, end));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      decoder.each(value, collect);
      if (events.length === 0) continue;
      const decoded = events;
      events = [];
      if (!responses.offer(decoded)) await responses.send(decoded);
    }
    decoder.end();
    await sent;
    responses.close();
  })().catch(fail);
  return flatten(responses[Symbol.asyncIterator]());
};

const TYPED_PEERS: Record<"streampath" | "floor", TypedCall> = {
  streampath: (requests) => client.echo(requests),
  floor: floorEcho,
};

// ---- byte pipes: the raw pair and the WebSockets ----------------------------

/** One run's way up and down; the bytes that come down go to `onData`. */
interface Pipe {
  send(chunk: Uint8Array): void;
  /** The run is over: resolves when the peer has ended its side too. */
  finish(): Promise<void>;
  /** Something failed: drop everything. */
  abort(): void;
}

interface PipeEvents {
  data(chunk: Uint8Array): void;
  error(error: unknown): void;
}

type OpenPipe = (events: PipeEvents) => Promise<Pipe>;

interface BytePeer {
  open: OpenPipe;
  /** Many records per send (a chunk per burst, ≤ 64 KiB), or one each. */
  batched: boolean;
}

/** The raw pair: a down request read with a reader, an up request streamed. */
const openRawPair: OpenPipe = async (events) => {
  const abort = new AbortController();
  const { down, up, upDone } = await openTwoRequests(
    "raw",
    RAW_DOWN_PATH,
    RAW_UP_PATH,
    abort.signal,
  );
  const reader = down.body!.getReader();
  const downDone = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      events.data(value);
    }
  })();
  upDone.catch(events.error);
  downDone.catch(events.error);
  return {
    send: (chunk) => up.enqueue(chunk),
    finish: async () => {
      up.close();
      await Promise.all([upDone, downDone]);
    },
    abort: () => abort.abort(),
  };
};

/** A WebSocket kept open from run to run, as an app keeps its socket. */
class Socket {
  private socket: WebSocket | undefined;
  private events: PipeEvents | undefined;
  constructor(private readonly url: () => string) {}

  readonly open: OpenPipe = async (events) => {
    if (this.socket?.readyState !== WebSocket.OPEN) await this.connect();
    const socket = this.socket!;
    this.events = events;
    return {
      send: (chunk) => socket.send(chunk),
      finish: async () => void (this.events = undefined),
      abort: () => this.close(),
    };
  };

  private async connect(): Promise<void> {
    this.close();
    const socket = new WebSocket(this.url());
    socket.binaryType = "arraybuffer";
    const opened = deferred();
    socket.onopen = () => opened.resolve();
    socket.onerror = () => {
      opened.reject(new Error(`WebSocket ${this.url()}: error`));
      this.events?.error(new Error("WebSocket error"));
    };
    socket.onclose = (e) => {
      opened.reject(new Error(`WebSocket ${this.url()}: closed (${e.code})`));
      if (this.socket === socket) this.socket = undefined;
      this.events?.error(new Error(`WebSocket closed (${e.code})`));
    };
    socket.onmessage = (e) => {
      try {
        this.events?.data(new Uint8Array(e.data as ArrayBuffer));
      } catch (error) {
        this.events?.error(error);
      }
    };
    this.socket = socket;
    await opened.promise;
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.events = undefined;
    socket?.close();
  }
}

let wsUrl = "";
const sockets = {
  ws: new Socket(() => wsUrl),
  batched: new Socket(() => wsUrl),
};

const BYTE_PEERS: Record<Exclude<Peer, keyof typeof TYPED_PEERS>, BytePeer> = {
  raw: { open: openRawPair, batched: true },
  ws: { open: sockets.ws.open, batched: false },
  "ws-batched": { open: sockets.batched.open, batched: true },
};

async function streamBytes(
  peer: BytePeer,
  count: number,
  window: number,
): Promise<number> {
  const checker = new RecordChecker();
  const done = deferred();
  let sent = 0;
  let pipe: Pipe | undefined;
  const scratch = new Uint8Array(RECORD_BYTES); // WebSocket.send copies
  const pump = (): void => {
    if (!peer.batched) {
      while (sent < count && sent - checker.received < window) {
        writeRecord(scratch, 0, ++sent);
        pipe!.send(scratch);
      }
      return;
    }
    let chunk = new Uint8Array(CHUNK_BYTES);
    let used = 0;
    while (sent < count && sent - checker.received < window) {
      writeRecord(chunk, used, ++sent);
      used += RECORD_BYTES;
      if (used === CHUNK_BYTES) {
        pipe!.send(chunk);
        chunk = new Uint8Array(CHUNK_BYTES);
        used = 0;
      }
    }
    if (used > 0) pipe!.send(chunk.subarray(0, used));
  };
  const started = performance.now();
  let ms = 0;
  try {
    pipe = await peer.open({
      data: (chunk) => {
        checker.push(chunk);
        if (checker.received === count) {
          ms = performance.now() - started;
          done.resolve();
        } else if (sent - checker.received <= resumeAt(window)) pump();
      },
      error: (error) => done.reject(error),
    });
    pump();
    await done.promise;
    await pipe.finish();
    checker.complete(count);
    return ms;
  } catch (error) {
    pipe?.abort();
    throw error;
  }
}

async function pingBytes(peer: BytePeer, count: number): Promise<number[]> {
  const checker = new RecordChecker();
  const times: number[] = [];
  let echoed = deferred();
  let pipe: Pipe | undefined;
  try {
    pipe = await peer.open({
      data: (chunk) => {
        if (checker.push(chunk) > 0) echoed.resolve();
      },
      error: (error) => echoed.reject(error),
    });
    for (let seq = 1; seq <= count; seq++) {
      const sentAt = performance.now();
      pipe.send(recordOf(seq));
      await echoed.promise;
      times.push(performance.now() - sentAt);
      echoed = deferred();
    }
    await pipe.finish();
    checker.complete(count);
    return times;
  } catch (error) {
    pipe?.abort();
    throw error;
  }
}

// ---- commands ------------------------------------------------------------------

/**
 * BENCH_BROWSER_WIRE: counts the enqueues on ReadableStream controllers (the
 * up bodies of streampath, the floor and the raw pair; nothing else in this worker
 * makes streams) and the time spent inside them: Chromium hands a chunk to a
 * waiting fetch upload synchronously, inside enqueue.
 */
const enqueues = { calls: 0, bytes: 0, ms: 0, small: 0 };
let countingEnqueues = false;
function countEnqueues(): void {
  if (countingEnqueues) return;
  countingEnqueues = true;
  const proto = ReadableStreamDefaultController.prototype;
  const enqueue = proto.enqueue;
  proto.enqueue = function (
    this: ReadableStreamDefaultController,
    chunk?: unknown,
  ) {
    const t0 = performance.now();
    try {
      return enqueue.call(this, chunk);
    } finally {
      enqueues.ms += performance.now() - t0;
      enqueues.calls++;
      const bytes = (chunk as Uint8Array | undefined)?.byteLength ?? 0;
      enqueues.bytes += bytes;
      if (bytes <= 64) enqueues.small++;
    }
  };
}

async function stream(
  peer: Peer,
  count: number,
  window: number,
): Promise<StreamReply> {
  enqueues.calls = enqueues.bytes = enqueues.ms = enqueues.small = 0;
  const ms =
    peer === "streampath" || peer === "floor"
      ? await streamTyped(TYPED_PEERS[peer], count, window)
      : await streamBytes(BYTE_PEERS[peer], count, window);
  return countingEnqueues ? { ms, enqueues: { ...enqueues } } : { ms };
}

function timerStepUs(): number {
  let step = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    let t1 = t0;
    for (let spins = 0; t1 === t0 && spins < 1e6; spins++)
      t1 = performance.now();
    step = Math.min(step, t1 - t0);
  }
  return step * 1000;
}

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case "setup":
      wsUrl = command.wsUrl;
      if (command.wire) countEnqueues();
      if (command.pairWindow) {
        gateway = connectGateway(
          location.origin,
          pairWindows(command.pairWindow),
        );
        client = createEchoClient(gateway);
      }
      return {
        userAgent: navigator.userAgent,
        crossOriginIsolated: self.crossOriginIsolated,
        timerStepUs: timerStepUs(),
        upload: gateway.upload,
      } satisfies SetupReply;
    case "stream":
      return stream(command.peer, command.count, command.window);
    case "ping":
      return command.peer === "streampath" || command.peer === "floor"
        ? pingTyped(TYPED_PEERS[command.peer], command.count)
        : pingBytes(BYTE_PEERS[command.peer], command.count);
    case "close":
      sockets.ws.close();
      sockets.batched.close();
      return null;
  }
}

self.onmessage = async (
  event: MessageEvent<{ id: number; command: Command }>,
) => {
  const { id, command } = event.data;
  try {
    postMessage({ id, ok: true, result: await run(command) });
  } catch (error) {
    postMessage({
      id,
      ok: false,
      error: String((error as Error)?.stack ?? error),
    });
  }
};
