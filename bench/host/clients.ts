// The client of each peer, as its users would write it. Every client gets
// the same two jobs:
//
// - stream: send events seq 1..count up one bidi stream while reading the
//   echoes down, never more than `window` in flight (a sender blocked by the
//   window resumes at `resumeAt(window)`), and resolve when the last echo is
//   back, having checked every echo (seq in order, each once, payload);
// - pingPong: on one stream, send one event, wait for its echo, repeat.
import http2 from "node:http2";
import { BASE_PEER, streampathRoot } from "./base.js";
import {
  ECHO_PATH,
  echoProto,
  loadProtobufEsEcho,
  loadStreampathCore,
  loadStreampathEcho,
  loadStreampathHost,
  type SpEvent,
} from "./generated.js";
import {
  CONNECTION_WINDOW,
  importCjs,
  STREAM_WINDOW,
  type Peer,
} from "./servers.js";
import {
  checkComplete,
  checkEcho,
  EnvelopeCounter,
  envelopeLength,
  payloadOf,
  resumeAt,
  sharedPayload,
  writeEventEnvelope,
  type StreamSpec,
} from "./wire.js";

export interface StreamResult {
  /** From the first event sent to the last echo received. */
  readonly ms: number;
}

export interface PeerClient {
  stream(spec: StreamSpec): Promise<StreamResult>;
  /** Round-trip times in milliseconds. */
  pingPong(count: number, payloadBytes: number): Promise<number[]>;
  close(): Promise<void>;
}

export function connect(peer: Peer, url: string): Promise<PeerClient> {
  switch (peer) {
    case "raw":
      return connectRaw(url);
    case "typed":
      return connectTyped(url);
    case "streampath":
    case BASE_PEER:
      return connectStreampath(url, streampathRoot(peer, "client"));
    case "grpc-js":
      return connectGrpcJs(url);
    case "connect":
      return connectConnect(url);
  }
}

/** A promise and its resolve, for a sender or a ping waiting on echoes. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

// ---- clients whose method takes and returns async iterables ----------------

/** `client.echo(requests)` of streampath and Connect, over plain events. */
type BidiCall<E> = (requests: AsyncIterable<E>) => AsyncIterable<E>;
type MakeEvent<E> = (seq: bigint, payload: Uint8Array) => E;
type ReadEvent<E> = (event: E) => { seq: bigint; payload: Uint8Array };

async function streamIterables<E>(
  call: BidiCall<E>,
  make: MakeEvent<E>,
  read: ReadEvent<E>,
  spec: StreamSpec,
): Promise<StreamResult> {
  const shared = sharedPayload(spec.payloadBytes);
  const resume = resumeAt(spec.window);
  let sent = 0;
  let received = 0;
  let blocked: ReturnType<typeof signal> | undefined;
  async function* requests(): AsyncGenerator<E> {
    while (sent < spec.count) {
      if (sent - received >= spec.window) {
        blocked = signal();
        await blocked.promise;
      }
      sent++;
      yield make(BigInt(sent), payloadOf(sent, spec, shared));
    }
  }
  const started = performance.now();
  let ms = 0;
  for await (const echo of call(requests())) {
    const { seq, payload } = read(echo);
    checkEcho(++received, seq, payload, spec);
    if (blocked && sent - received <= resume) {
      const b = blocked;
      blocked = undefined;
      b.resolve();
    }
    if (received === spec.count) ms = performance.now() - started;
  }
  checkComplete(received, spec);
  return { ms };
}

async function pingPongIterables<E>(
  call: BidiCall<E>,
  make: MakeEvent<E>,
  read: ReadEvent<E>,
  count: number,
  payloadBytes: number,
): Promise<number[]> {
  const payload = sharedPayload(payloadBytes);
  const times: number[] = [];
  let echoed = signal();
  let sentAt = 0;
  async function* requests(): AsyncGenerator<E> {
    for (let seq = 1; seq <= count; seq++) {
      sentAt = performance.now();
      yield make(BigInt(seq), payload);
      await echoed.promise;
      echoed = signal();
    }
  }
  let received = 0;
  for await (const echo of call(requests())) {
    times.push(performance.now() - sentAt);
    const { seq } = read(echo);
    if (Number(seq) !== ++received)
      throw new Error(`ping ${received}: got seq ${seq}`);
    echoed.resolve();
  }
  if (received !== count)
    throw new Error(`ping-pong ended after ${received} of ${count}`);
  return times;
}

/** Ours: a host link and the generated client, both of the package at `root`. */
async function connectStreampath(
  url: string,
  root: string,
): Promise<PeerClient> {
  const { connectHost } = await loadStreampathHost(root);
  const { createEchoClient } = await loadStreampathEcho(root);
  const link = connectHost(url);
  const client = createEchoClient(link);
  const call: BidiCall<SpEvent> = (requests) => client.echo(requests);
  const make: MakeEvent<SpEvent> = (seq, payload) => ({ seq, payload });
  const read: ReadEvent<SpEvent> = (event) => event;
  return {
    stream: (spec) => streamIterables(call, make, read, spec),
    pingPong: (count, bytes) =>
      pingPongIterables(call, make, read, count, bytes),
    close: () => link.close(),
  };
}

/** Connect-node: the gRPC protocol over HTTP/2 (what the other peers speak). */
async function connectConnect(url: string): Promise<PeerClient> {
  const { createClient } = await import("@connectrpc/connect");
  const { createGrpcTransport, Http2SessionManager } =
    await import("@connectrpc/connect-node");
  const { Echo } = await loadProtobufEsEcho();
  const sessionManager = new Http2SessionManager(url);
  const client = createClient(
    Echo,
    createGrpcTransport({ baseUrl: url, sessionManager }),
  ) as {
    echo(requests: AsyncIterable<SpEvent>): AsyncIterable<SpEvent>;
  };
  const call: BidiCall<SpEvent> = (requests) => client.echo(requests);
  // A message init (plain object); Connect calls create() on it.
  const make: MakeEvent<SpEvent> = (seq, payload) => ({ seq, payload });
  const read: ReadEvent<SpEvent> = (event) => event;
  return {
    stream: (spec) => streamIterables(call, make, read, spec),
    pingPong: (count, bytes) =>
      pingPongIterables(call, make, read, count, bytes),
    close: async () => sessionManager.abort(),
  };
}

// ---- @grpc/grpc-js ---------------------------------------------------------

interface GrpcEvent {
  seq: number | string;
  payload: Uint8Array;
}

async function connectGrpcJs(url: string): Promise<PeerClient> {
  const grpc = await importCjs<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
  const loader =
    await importCjs<typeof import("@grpc/proto-loader")>("@grpc/proto-loader");
  const definition = loader.loadSync(echoProto, { longs: String });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  const client = new pkg.bench.echo.Echo(
    new URL(url).host,
    grpc.credentials.createInsecure(),
  ) as {
    echo(): import("@grpc/grpc-js").ClientDuplexStream<GrpcEvent, GrpcEvent>;
    close(): void;
  };
  const toBuffer = (bytes: Uint8Array) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

  const stream = (spec: StreamSpec) =>
    new Promise<StreamResult>((resolve, reject) => {
      const shared = toBuffer(sharedPayload(spec.payloadBytes));
      const resume = resumeAt(spec.window);
      const call = client.echo();
      let sent = 0;
      let received = 0;
      let blocked = false;
      let ms = 0;
      let failed = false;
      const started = performance.now();
      const fail = (error: unknown) => {
        failed = true;
        call.cancel();
        reject(error);
      };
      const pump = () => {
        while (sent < spec.count) {
          if (sent - received >= spec.window) {
            blocked = true;
            return;
          }
          sent++;
          if (
            !call.write({
              seq: sent,
              payload: toBuffer(payloadOf(sent, spec, shared)),
            })
          ) {
            call.once("drain", pump);
            return;
          }
        }
        call.end();
      };
      call.on("data", (event: GrpcEvent) => {
        if (failed) return;
        try {
          checkEcho(++received, event.seq, event.payload, spec);
        } catch (error) {
          return fail(error);
        }
        if (received === spec.count) ms = performance.now() - started;
        if (blocked && sent - received <= resume) {
          blocked = false;
          pump();
        }
      });
      call.on("error", (error) => failed || fail(error));
      call.on("end", () => {
        if (failed) return;
        try {
          checkComplete(received, spec);
          resolve({ ms });
        } catch (error) {
          reject(error);
        }
      });
      pump();
    });

  const pingPong = async (count: number, payloadBytes: number) => {
    const payload = toBuffer(sharedPayload(payloadBytes));
    const call = client.echo();
    const times: number[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on("end", resolve);
      call.on("error", reject);
    });
    let echoed = signal();
    let last: GrpcEvent | undefined;
    call.on("data", (event: GrpcEvent) => {
      last = event;
      echoed.resolve();
    });
    for (let seq = 1; seq <= count; seq++) {
      const sentAt = performance.now();
      call.write({ seq, payload });
      await echoed.promise;
      times.push(performance.now() - sentAt);
      echoed = signal();
      if (Number(last?.seq) !== seq)
        throw new Error(`ping ${seq}: got seq ${last?.seq}`);
    }
    call.end();
    await ended;
    return times;
  };

  return { stream, pingPong, close: async () => client.close() };
}

// ---- raw node:http2 --------------------------------------------------------

/** A node:http2 session with the windows of streampath's link (STREAM_WINDOW, CONNECTION_WINDOW). */
async function rawSession(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, {
    settings: { initialWindowSize: STREAM_WINDOW },
  });
  session.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  session.setLocalWindowSize(CONNECTION_WINDOW);
  return session;
}

/** One gRPC echo stream, done when it closed with grpc-status 0. */
function openRawEcho(session: http2.ClientHttp2Session) {
  const request = session.request({
    ":method": "POST",
    ":path": ECHO_PATH,
    "content-type": "application/grpc+proto",
    te: "trailers",
  });
  let trailers: http2.IncomingHttpHeaders | undefined;
  request.once("trailers", (t) => (trailers = t));
  const done = new Promise<void>((resolve, reject) => {
    request.once("error", reject);
    request.once("close", () => {
      if (trailers?.["grpc-status"] === "0") resolve();
      else
        reject(
          new Error(
            `raw stream closed without grpc-status 0 (rst ${request.rstCode})`,
          ),
        );
    });
  });
  done.catch(() => undefined);
  return { request, done };
}

/** The largest write of the raw client, like streampath's batches (call.ts FLUSH_BYTES). */
const RAW_BATCH_BYTES = 64 * 1024;

/**
 * The ceiling: envelopes encoded by hand straight into one buffer per write
 * (up to RAW_BATCH_BYTES, many events a write when they are small), echoes
 * only counted, their seq read off the wire. No protobuf library, no
 * per-message objects or promises.
 */
async function connectRaw(url: string): Promise<PeerClient> {
  const session = await rawSession(url);
  const open = () => openRawEcho(session);

  const stream = async (spec: StreamSpec): Promise<StreamResult> => {
    const { request, done } = open();
    const shared = sharedPayload(spec.payloadBytes);
    const resume = resumeAt(spec.window);
    const largest = envelopeLength(spec.count, spec.payloadBytes);
    const perWrite = Math.max(1, Math.floor(RAW_BATCH_BYTES / largest));
    const sentChunks: Uint8Array[] = [];
    const receivedChunks: Uint8Array[] = [];
    let sent = 0;
    let received = 0;
    let blocked = false;
    let failure: unknown;
    let ms = 0;
    const started = performance.now();

    const pump = () => {
      while (sent < spec.count) {
        const room = Math.min(
          spec.window - (sent - received),
          spec.count - sent,
          perWrite,
        );
        if (room <= 0) {
          blocked = true;
          return;
        }
        const buf = Buffer.allocUnsafe(room * largest);
        let pos = 0;
        for (let i = 0; i < room; i++) {
          sent++;
          pos = writeEventEnvelope(
            buf,
            pos,
            sent,
            payloadOf(sent, spec, shared),
          );
        }
        const chunk = buf.subarray(0, pos);
        if (spec.verify) sentChunks.push(chunk);
        if (!request.write(chunk)) {
          request.once("drain", pump);
          return;
        }
      }
      request.end();
    };
    const counter = new EnvelopeCounter((seq, bodyLength) => {
      received++;
      if (failure) return;
      const expected = envelopeLength(received, spec.payloadBytes) - 5;
      if (seq !== received || bodyLength !== expected) {
        failure = new Error(
          `raw echo ${received}: seq ${seq}, ${bodyLength} bytes (expected ${expected})`,
        );
        request.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      if (received === spec.count) ms = performance.now() - started;
      if (blocked && sent - received <= resume) {
        blocked = false;
        pump();
      }
    });
    request.on("data", (chunk: Buffer) => {
      if (spec.verify) receivedChunks.push(chunk);
      counter.push(chunk);
    });
    pump();
    await done.catch((error) => (failure ??= error));
    if (failure) throw failure;
    checkComplete(received, spec);
    if (counter.pending !== 0)
      throw new Error("raw stream ended inside an envelope");
    if (
      spec.verify &&
      !Buffer.concat(sentChunks).equals(Buffer.concat(receivedChunks))
    ) {
      throw new Error(
        "raw echo: the bytes that came back differ from the bytes sent",
      );
    }
    return { ms };
  };

  const pingPong = async (
    count: number,
    payloadBytes: number,
  ): Promise<number[]> => {
    const { request, done } = open();
    const payload = sharedPayload(payloadBytes);
    const times: number[] = [];
    let echoed = signal();
    let lastSeq = 0;
    const counter = new EnvelopeCounter((seq) => {
      lastSeq = seq;
      echoed.resolve();
    });
    request.on("data", (chunk: Buffer) => counter.push(chunk));
    for (let seq = 1; seq <= count; seq++) {
      const buf = Buffer.allocUnsafe(envelopeLength(seq, payloadBytes));
      writeEventEnvelope(buf, 0, seq, payload);
      const sentAt = performance.now();
      request.write(buf);
      await echoed.promise;
      times.push(performance.now() - sentAt);
      echoed = signal();
      if (lastSeq !== seq)
        throw new Error(`raw ping ${seq}: got seq ${lastSeq}`);
    }
    request.end();
    await done;
    return times;
  };

  return {
    stream,
    pingPong,
    close: () => new Promise<void>((resolve) => session.close(() => resolve())),
  };
}

// ---- the typed floor -------------------------------------------------------

/**
 * The typed floor's client (servers.ts serveTyped): raw node:http2 plus
 * streampath's codec per message, as a batch-level API would do it — events
 * encoded into one MessageBatch per write, echoes decoded into `Event`s a
 * chunk at a time and checked as every client's are. No per-message promise.
 */
async function connectTyped(url: string): Promise<PeerClient> {
  const { EnvelopeDecoder, MessageBatch, decodeAt } = await loadStreampathCore();
  const { Event } = await loadStreampathEcho();
  const session = await rawSession(url);
  const maxMessageBytes = 4 << 20;

  const stream = async (spec: StreamSpec): Promise<StreamResult> => {
    const { request, done } = openRawEcho(session);
    const shared = sharedPayload(spec.payloadBytes);
    const resume = resumeAt(spec.window);
    const batch = new MessageBatch();
    const decoder = new EnvelopeDecoder({ maxMessageBytes });
    let sent = 0;
    let received = 0;
    let blocked = false;
    let failure: unknown;
    let ms = 0;
    const started = performance.now();

    const pump = () => {
      while (sent < spec.count) {
        if (sent - received >= spec.window) {
          blocked = true;
          return;
        }
        while (sent < spec.count && sent - received < spec.window && batch.bytes < RAW_BATCH_BYTES) {
          sent++;
          batch.add(Event, { seq: BigInt(sent), payload: payloadOf(sent, spec, shared) });
        }
        if (!request.write(batch.take()!)) {
          request.once("drain", pump);
          return;
        }
      }
      request.end();
    };
    request.on("data", (chunk: Uint8Array) => {
      if (failure) return;
      try {
        const events: SpEvent[] = [];
        decoder.each(chunk, (_flags, bytes, start, end, owned) => {
          events.push(decodeAt(Event, bytes, start, end, owned));
        });
        for (const event of events) {
          checkEcho(received + 1, event.seq, event.payload, spec);
          received++;
        }
      } catch (error) {
        failure = error;
        request.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      if (received === spec.count) ms = performance.now() - started;
      if (blocked && sent - received <= resume) {
        blocked = false;
        pump();
      }
    });
    pump();
    await done.catch((error) => (failure ??= error));
    if (failure) throw failure;
    checkComplete(received, spec);
    decoder.end();
    return { ms };
  };

  const pingPong = async (count: number, payloadBytes: number): Promise<number[]> => {
    const { request, done } = openRawEcho(session);
    const payload = sharedPayload(payloadBytes);
    const batch = new MessageBatch();
    const decoder = new EnvelopeDecoder({ maxMessageBytes });
    const times: number[] = [];
    let echoed = signal();
    let last: SpEvent | undefined;
    request.on("data", (chunk: Uint8Array) =>
      decoder.each(chunk, (_flags, bytes, start, end, owned) => {
        last = decodeAt(Event, bytes, start, end, owned);
        echoed.resolve();
      }),
    );
    for (let seq = 1; seq <= count; seq++) {
      batch.add(Event, { seq: BigInt(seq), payload });
      const sentAt = performance.now();
      request.write(batch.take()!);
      await echoed.promise;
      times.push(performance.now() - sentAt);
      echoed = signal();
      if (Number(last?.seq) !== seq) throw new Error(`typed ping ${seq}: got seq ${last?.seq}`);
    }
    request.end();
    await done;
    return times;
  };

  return {
    stream,
    pingPong,
    close: () => new Promise<void>((resolve) => session.close(() => resolve())),
  };
}
