// Child process: the guest of the cluster benchmark (`guest.ts <genDir>`),
// driven by bench/pair-forward.ts over IPC. A Node guest as a browser
// worker is one: `connectGateway` over `http2Fetch()` (one multiplexed
// HTTP/2 connection per origin), the client generated from
// bench/schema/echo.proto. Each routing sends a call's down to one origin
// and its up (or fallback batches) to another, by the `streampath-half`
// header, as a balancer would.
//
// Every echo is checked: seq in order, each once, payload byte for byte
// (timed runs take payloads from a small pool of distinct ones, so the
// check is a memcmp; correctness runs give every event its own bytes).
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CallOptions, Transport } from "streampath/runtime/core";
import { PairHeader } from "../../runtime/core/pair.js";
import {
  connectGateway,
  type Fetch,
  type Gateway,
} from "streampath/runtime/guest";
import { http2Fetch, type Http2Fetch } from "streampath/runtime/guest/node";
import { serveCommands } from "../host/ipc.js";
import type { SpEvent } from "../host/generated.js";

/** Where a routing sends each half: downs (and unary calls) to `down`, ups and batches to `up`. */
export interface Route {
  readonly name: string;
  readonly down: string;
  readonly up: string;
}

export type Upload = "stream" | "batch";

export interface RunSpec {
  readonly route: string;
  readonly upload: Upload;
  /** Calls at once (1: one call). */
  readonly calls: number;
  /** Events per call, seq 1..count. */
  readonly count: number;
  readonly payloadBytes: number;
  /** Most events of a call sent and not yet echoed. */
  readonly window: number;
  /** Every event its own payload (else a pool of distinct ones). */
  readonly verify: boolean;
}

/** `open`: every call of the run has its pair and has echoed its first event. */
export interface OpenReply {
  /** From the first call started to the last first echo. */
  readonly setupMs: number;
}

/** `go`: the rest of the events, seq 2..count of every call. */
export interface RunReply {
  /** From the release of the open calls to the last echo of all. */
  readonly ms: number;
  /** Events echoed in that time (all calls). */
  readonly events: number;
  /** CPU time of this process in that time, µs. */
  readonly cpuUs: number;
}

export interface PingSpec {
  readonly route: string;
  readonly upload: Upload;
  readonly count: number;
  readonly payloadBytes: number;
}

interface EchoClient {
  echo(
    requests: AsyncIterable<SpEvent>,
    options?: CallOptions,
  ): AsyncIterable<SpEvent>;
}

const genDir = process.argv[2]!;
const { createEchoClient } = (await import(
  pathToFileURL(join(genDir, "echo_host.ts")).href
)) as { createEchoClient(transport: Transport): EchoClient };

/** A run that hears no echo for this long is stuck: it is aborted and reported. */
const STALL_MS = 20_000;

interface RouteState {
  readonly route: Route;
  readonly fetch: Http2Fetch;
  readonly sent: Record<string, number>;
  readonly clients: Partial<
    Record<Upload, { gateway: Gateway; client: EchoClient }>
  >;
}
const routes = new Map<string, RouteState>();

/** One http2Fetch per routing (a browser's connection per origin), a gateway per upload mode. */
function clientOf(name: string, upload: Upload): EchoClient {
  const state = routes.get(name);
  if (!state) throw new Error(`unknown route ${name}`);
  let entry = state.clients[upload];
  if (!entry) {
    const { route, fetch: inner, sent } = state;
    const fetch: Fetch = (input, init) => {
      const half = new Headers(init.headers).get(PairHeader.half) ?? "unary";
      sent[half] = (sent[half] ?? 0) + 1;
      const up = half === "up" || half === "batch";
      return inner(
        up && input.startsWith(route.down)
          ? route.up + input.slice(route.down.length)
          : input,
        init,
      );
    };
    const gateway = connectGateway(route.down, { fetch, upload });
    if (gateway.upload !== upload)
      throw new Error(`gateway upload is ${gateway.upload}, wanted ${upload}`);
    entry = state.clients[upload] = {
      gateway,
      client: createEchoClient(gateway),
    };
  }
  return entry.client;
}

// ---- payloads and checks ----------------------------------------------------

/** Distinct payloads a timed call cycles through (seq % pool). */
const poolSize = (payloadBytes: number) => (payloadBytes > 4096 ? 8 : 64);

function stamp(call: number, k: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++)
    bytes[i] = (call * 131 + k * 31 + i * 7 + (i >> 8)) & 0xff;
  // The first bytes say which: no two payloads of a run are alike.
  if (size >= 4) (bytes.writeUInt16BE(call, 0), bytes.writeUInt16BE(k, 2));
  return bytes;
}

/** The payload of event `seq` of call `call`: its own when verifying, else one of the pool. */
class Payloads {
  private readonly pool: Buffer[];
  constructor(
    private readonly call: number,
    private readonly spec: RunSpec,
  ) {
    const n = spec.verify ? 0 : poolSize(spec.payloadBytes);
    this.pool = Array.from({ length: n }, (_, k) =>
      stamp(call, k, spec.payloadBytes),
    );
  }
  of(seq: number): Buffer {
    return this.spec.verify
      ? stamp(this.call, seq, this.spec.payloadBytes)
      : this.pool[seq % this.pool.length]!;
  }
}

function check(
  call: number,
  expectedSeq: number,
  echo: SpEvent,
  expected: Buffer,
): void {
  if (Number(echo.seq) !== expectedSeq)
    throw new Error(
      `call ${call}: echo out of order: expected seq ${expectedSeq}, got ${echo.seq}`,
    );
  const p = echo.payload;
  const got = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (!got.equals(expected))
    throw new Error(
      `call ${call}: echo of seq ${expectedSeq}: payload of ${p.byteLength} bytes differs from the ${expected.length} sent`,
    );
}

// ---- runs -------------------------------------------------------------------

/** Aborts `controller` when `progress()` has not moved for STALL_MS. */
function watchdog(
  controller: AbortController,
  progress: () => number,
): () => void {
  let last = -1;
  const timer = setInterval(() => {
    const now = progress();
    if (now === last)
      controller.abort(
        new Error(
          `stalled: no echo for ${STALL_MS / 1000} s (${now} echoes so far)`,
        ),
      );
    last = now;
  }, STALL_MS);
  return () => clearInterval(timer);
}

/**
 * Events up one call, never more than `window` in flight, every echo
 * checked. The first event opens the call: `opened()` runs at its echo, and
 * the rest waits for `go`.
 */
async function oneCall(
  client: EchoClient,
  call: number,
  spec: RunSpec,
  signal: AbortSignal,
  counted: { echoes: number },
  opened: () => void,
  go: Promise<void>,
): Promise<void> {
  const payloads = new Payloads(call, spec);
  // A sender blocked by the window resumes at half of it, not on every echo.
  const resume = Math.floor(spec.window / 2);
  let sent = 0;
  let received = 0;
  let wake: (() => void) | undefined;
  const first = new Promise<void>((resolve) => (wake = resolve));
  async function* requests(): AsyncGenerator<SpEvent> {
    while (sent < spec.count) {
      if (sent === 1) {
        await first;
        await go;
      } else if (sent - received >= spec.window)
        await new Promise<void>((resolve) => (wake = resolve));
      sent++;
      yield { seq: BigInt(sent), payload: payloads.of(sent) };
    }
  }
  for await (const echo of client.echo(requests(), { signal })) {
    received++;
    check(call, received, echo, payloads.of(received));
    counted.echoes++;
    if (received === 1) opened();
    if (wake && (received === 1 || sent - received <= resume)) {
      const w = wake;
      wake = undefined;
      w();
    }
  }
  if (received !== spec.count)
    throw new Error(
      `call ${call}: ended after ${received} of ${spec.count} echoes`,
    );
}

/** The run between `open` and `go`. */
let current:
  | {
      readonly spec: RunSpec;
      readonly release: () => void;
      readonly settled: Promise<PromiseSettledResult<void>[]>;
      readonly controller: AbortController;
      readonly stop: () => void;
    }
  | undefined;

const failureOf = (
  results: readonly PromiseSettledResult<void>[],
  controller: AbortController,
): Error | undefined => {
  const failed = results.find((r) => r.status === "rejected");
  if (!failed) return undefined;
  const why = controller.signal.aborted
    ? controller.signal.reason
    : (failed as PromiseRejectedResult).reason;
  return why instanceof Error ? why : new Error(String(why));
};

/** Starts `spec.calls` calls and resolves once each has echoed its first event. */
async function open(spec: RunSpec): Promise<OpenReply> {
  if (current) throw new Error("open: a run is open already");
  if (spec.count < 1) throw new Error("open: a call has at least one event");
  const client = clientOf(spec.route, spec.upload);
  const controller = new AbortController();
  // Each of the run's calls listens to it (a fresh one per run): no warning.
  setMaxListeners(0, controller.signal);
  const counted = { echoes: 0 };
  const stop = watchdog(controller, () => counted.echoes);
  let release!: () => void;
  const go = new Promise<void>((resolve) => (release = resolve));
  let waiting = spec.calls;
  let allOpen!: () => void;
  const opened = new Promise<void>((resolve) => (allOpen = resolve));
  const started = performance.now();
  const settled = Promise.allSettled(
    Array.from({ length: spec.calls }, (_, call) =>
      oneCall(
        client,
        call,
        spec,
        controller.signal,
        counted,
        () => --waiting === 0 && allOpen(),
        go,
      ).catch((error: unknown) => {
        // One call wrong or broken: the run is over, its other calls with it.
        if (!controller.signal.aborted) controller.abort(error);
        throw error;
      }),
    ),
  );
  const ended = settled.then((results) => {
    throw (
      failureOf(results, controller) ??
      new Error("the calls ended before all were open")
    );
  });
  try {
    await Promise.race([opened, ended]);
  } catch (error) {
    stop();
    controller.abort(error); // the calls still open end too
    release();
    throw error;
  }
  const setupMs = performance.now() - started;
  current = { spec, release, settled, controller, stop };
  return { setupMs };
}

/** Lets the open calls send the rest of their events; resolves when every echo is back. */
async function go(): Promise<RunReply> {
  if (!current) throw new Error("go: no run is open");
  const { spec, release, settled, controller, stop } = current;
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    release();
    const failure = failureOf(await settled, controller);
    if (failure) throw failure;
  } finally {
    stop();
    current = undefined;
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    ms,
    events: spec.calls * (spec.count - 1),
    cpuUs: used.user + used.system,
  };
}

/**
 * One call: send an event, wait for its echo, `count` + 1 times; the round
 * trips in ms, but for the first (which opens the call).
 */
async function pingPong(spec: PingSpec): Promise<number[]> {
  const client = clientOf(spec.route, spec.upload);
  const payloads = new Payloads(0, {
    ...spec,
    calls: 1,
    window: 1,
    verify: false,
  });
  const times: number[] = [];
  let echoed: () => void = () => undefined;
  let sentAt = 0;
  async function* requests(): AsyncGenerator<SpEvent> {
    for (let seq = 1; seq <= spec.count + 1; seq++) {
      const next = new Promise<void>((resolve) => (echoed = resolve));
      sentAt = performance.now();
      yield { seq: BigInt(seq), payload: payloads.of(seq) };
      await next;
    }
  }
  const controller = new AbortController();
  const stop = watchdog(controller, () => times.length);
  let received = 0;
  try {
    for await (const echo of client.echo(requests(), {
      signal: controller.signal,
    })) {
      const ms = performance.now() - sentAt;
      if (++received > 1) times.push(ms);
      check(0, received, echo, payloads.of(received));
      echoed();
    }
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    stop();
  }
  if (received !== spec.count + 1)
    throw new Error(`ping-pong ended after ${received} of ${spec.count + 1}`);
  return times;
}

serveCommands(
  {
    async routes(command) {
      for (const route of command.routes as Route[]) {
        if (routes.has(route.name)) continue;
        routes.set(route.name, {
          route,
          fetch: http2Fetch(),
          sent: {},
          clients: {},
        });
      }
      return null;
    },
    open: (command) => open(command as unknown as RunSpec),
    go: () => go(),
    /** Requests a routing has sent so far, by pair half ("unary" for the rest). */
    async sent(command) {
      return { ...routes.get(command.route as string)?.sent };
    },
    pingPong: (command) => pingPong(command as unknown as PingSpec),
  },
  async () => {
    for (const state of routes.values()) {
      for (const entry of Object.values(state.clients)) entry.gateway.close();
      await state.fetch.close();
    }
  },
);
