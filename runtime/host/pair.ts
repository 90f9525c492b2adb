/**
 * The pair gateway: client-streaming, server-streaming and bidi calls from
 * browsers, carried by two requests the host pairs by id (docs/protocol.md,
 * "The pair"). It opens pairs on down requests, matches up requests and
 * fallback batches to them by id and principal, resumes them, enforces the
 * per-principal limit, and remembers ended ids so a late half is told so.
 */
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { deadlineSignal } from "../core/deadline.js";
import { type Envelope, EnvelopeDecoder } from "../core/envelope.js";
import { Code, StreampathError } from "../core/error.js";
import { PAIR_CONTENT_TYPE, PairHeader, windowHeaders, windowOf } from "../core/pair.js";
import { connectTimeout, readBody, respondConnectError } from "./connect.js";
import { PAIR_ID, checkInstanceName } from "./cluster.js";
import { PairCall, type PairSettings } from "./pair-call.js";
import { Heartbeats } from "./pair-heartbeats.js";
import type { HandlerContext, MethodDescriptor } from "./service.js";

export interface PairOptions extends Omit<PairSettings, "maxMessageBytes" | "heartbeats"> {
  /** Open pairs one principal may have; more are refused with RESOURCE_EXHAUSTED. */
  maxPairsPerPrincipal: number;
  /** Identifies a principal for matching halves and counting pairs. Default: strings as they are, else JSON. */
  principalKey: (principal: unknown) => string;
  /**
   * This instance's name, which starts each of its pair ids. Default: `cluster.instanceId`
   * if the host has one, else 8 random hex digits per host.
   */
  instanceId: string;
}

export const DEFAULT_PAIR_OPTIONS: Omit<PairOptions, "instanceId"> = {
  window: 16_384,
  windowBytes: 1024 * 1024,
  maxWindow: 16_384,
  maxWindowBytes: 2 * 1024 * 1024,
  upTimeoutMs: 10_000,
  resumeTimeoutMs: 15_000,
  heartbeatMs: 15_000,
  maxPairsPerPrincipal: 100,
  principalKey: (p) => (typeof p === "string" ? p : p === undefined ? "" : JSON.stringify(p)),
};

/** Ended pair ids remembered, so a late half hears "ended" rather than "unknown". */
const TOMBSTONES = 10_000;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === "string" ? value : undefined;
};

function count(headers: IncomingHttpHeaders, name: string, fallback?: number): number {
  const value = header(headers, name);
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !/^\d{1,15}$/.test(value)) {
    throw new StreampathError(Code.InvalidArgument, `${name} must be a non-negative integer, got ${value ?? "nothing"}`);
  }
  return Number(value);
}

export class PairGateway {
  private readonly options: PairOptions;
  /** What every PairCall reads: one object for all of them, not a copy per pair. */
  private readonly settings: PairSettings;
  private readonly pairs = new Map<string, PairCall>();
  private readonly tombstones = new Set<string>();
  /** Pairs whose handler runs, per principal: what the limit counts. */
  private readonly perPrincipal = new Map<string, number>();
  /** Pairs whose handler is done, kept until the guest acknowledges their end, per principal, oldest first. */
  private readonly settled = new Map<string, Set<PairCall>>();

  constructor(
    options: Partial<PairOptions>,
    private readonly maxMessageBytes: number,
    private readonly hostSignal: AbortSignal,
  ) {
    this.options = { ...DEFAULT_PAIR_OPTIONS, instanceId: randomBytes(4).toString("hex"), ...options };
    checkInstanceName(this.options.instanceId);
    this.settings = { ...this.options, maxMessageBytes, heartbeats: new Heartbeats(this.options.heartbeatMs) };
    hostSignal.addEventListener("abort", () => {
      for (const pair of [...this.pairs.values()]) pair.finish(StreampathError.from(hostSignal.reason, Code.Unavailable));
    }, { once: true });
  }

  /** The key that identifies `principal` for matching halves and counting calls. */
  principalKey(principal: unknown): string {
    return this.options.principalKey(principal);
  }

  /** This instance's name, the first part of its pair ids. */
  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Pairs open now (for tests and metrics). */
  get size(): number {
    return this.pairs.size;
  }

  /** Serves one pair request to its end; failures are answered as Connect errors. */
  async serve(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: MethodDescriptor,
    handler: (...args: any[]) => unknown,
    principal: unknown,
  ): Promise<void> {
    const key = this.options.principalKey(principal);
    let pair: PairCall | undefined;
    try {
      const half = header(headers, PairHeader.half);
      const id = header(headers, PairHeader.id);
      // Not awaited: open() throws what it refuses at once, and an open pair holds no suspended frame here.
      if (half === "down" && id === undefined) return this.open(stream, headers, method, handler, principal, key);
      if (half !== "down" && half !== "up" && half !== "batch") {
        throw new StreampathError(Code.InvalidArgument, `${PairHeader.half} must be down, up or batch, got ${half ?? "nothing"}`);
      }
      pair = this.find(id, key, method);
      if (half === "down") {
        const received = count(headers, PairHeader.received);
        this.respondDown(stream, pair);
        try {
          pair.attachDown(stream, received);
        } catch (error) {
          pair.finish(StreampathError.from(error, Code.DataLoss));
        }
        return closed(stream);
      }
      // Where the body starts: without it a delayed up would be numbered from the host's count and
      // repeat what the host has (its envelopes delivered twice).
      const first = count(headers, PairHeader.firstSeq);
      if (first < 1) throw new StreampathError(Code.InvalidArgument, `${PairHeader.firstSeq} must be at least 1`);
      if (half === "up") return pair.attachUp(stream, first);
      let envelopes: Envelope[];
      try {
        const body = await readBody(stream, this.maxMessageBytes * 2, Number(headers["content-length"] ?? 0));
        const decoder = new EnvelopeDecoder({ maxMessageBytes: this.maxMessageBytes });
        envelopes = decoder.decode(body);
        decoder.end(); // a cut-short batch is refused whole, before any of it is taken
      } catch (caught) {
        // A batch that broke, was cut short or is too large leaves the pair as it was: what was
        // accepted stays accepted, and the guest sends again from `received`.
        batchRefused(stream, StreampathError.from(caught, Code.Internal), pair);
        return;
      }
      pair.acceptBatch((visit) => {
        for (const { flags, data } of envelopes) visit(flags, data, 0, data.length, false);
      }, first);
      // Taken: a batch whose stream broke meanwhile leaves it taken (the guest learns `received` anew).
      if (stream.destroyed || stream.closed) return;
      try {
        stream.respond({ ":status": 200, [PairHeader.received]: String(pair.inbox.received) }, { endStream: true });
      } catch {
        // reset between the check and the answer: as above
      }
    } catch (caught) {
      const error = StreampathError.from(caught, Code.Internal);
      // A gap in a batch is the guest's to mend by resending from `received`. A protocol fault
      // in what arrived (a bad message, an overrun credit, bad flags) ends the pair.
      if (pair && error.code !== Code.FailedPrecondition) pair.finish(error);
      batchRefused(stream, error, pair);
    }
  }

  /** Opens a pair on its first down: throws what it refuses; resolves when that down closes. */
  private open(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: MethodDescriptor,
    handler: (...args: any[]) => unknown,
    principal: unknown,
    key: string,
  ): Promise<void> {
    if (method.kind === "unary") {
      throw new StreampathError(Code.Unimplemented, `${method.path} is unary: call it with the Connect protocol (application/proto)`);
    }
    // Reset while authenticate ran: nobody is there to answer, and a pair made now would never end.
    if (stream.destroyed || stream.closed) return Promise.resolve();
    const open = this.perPrincipal.get(key) ?? 0;
    if (open >= this.options.maxPairsPerPrincipal) {
      throw new StreampathError(Code.ResourceExhausted, `too many open pairs (${open}) for this principal`);
    }
    const timeoutMs = connectTimeout(headers["connect-timeout-ms"]);
    const guestWindow = windowOf((name) => header(headers, name) ?? (name === PairHeader.window ? "64" : undefined));
    if (!guestWindow) {
      throw new StreampathError(Code.InvalidArgument, `${PairHeader.window} and ${PairHeader.windowBytes} must be positive integers`);
    }
    const id = `${this.options.instanceId}.${randomBytes(16).toString("base64url")}`;
    const deadline = deadlineSignal(timeoutMs, this.hostSignal);
    let running = true;
    // A finished call stops counting against the limit at once (its guest may acknowledge its end late,
    // or never); the finished ones kept for that are bounded per principal too, oldest dropped first.
    const settle = (call: PairCall) => {
      if (!running) return;
      running = false;
      const left = (this.perPrincipal.get(key) ?? 1) - 1;
      if (left > 0) this.perPrincipal.set(key, left);
      else this.perPrincipal.delete(key);
      if (call.ended) return;
      const kept = this.settled.get(key) ?? new Set<PairCall>();
      this.settled.set(key, kept.add(call));
      if (kept.size > this.options.maxPairsPerPrincipal) kept.values().next().value!.finish();
    };
    const pair = new PairCall(id, key, method, this.settings, guestWindow, deadline, (call) => {
      this.pairs.delete(id);
      this.tombstones.add(id);
      if (this.tombstones.size > TOMBSTONES) this.tombstones.delete(this.tombstones.values().next().value!);
      settle(call);
      const kept = this.settled.get(key);
      if (kept?.delete(call) && kept.size === 0) this.settled.delete(key);
      deadline.dispose();
    }, settle);
    const signal = deadline.signal;
    // A deadline or shutdown ends the pair (a no-op when the pair itself ended first).
    signal.addEventListener("abort", pair, { once: true }); // pair.handleEvent
    this.pairs.set(id, pair);
    this.perPrincipal.set(key, open + 1);
    const context: HandlerContext = {
      principal,
      requestHeaders: headers,
      responseHeaders: {},
      responseTrailers: {},
      signal,
      deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
      method,
    };
    try {
      this.respondDown(stream, pair);
      pair.attachDown(stream, 0);
    } catch (error) {
      // The down cannot be answered after all (its session went): the pair ends before its handler runs.
      pair.finish(StreampathError.from(error, Code.Unavailable));
      return closed(stream);
    }
    pair.run(handler, context);
    // Spent before the listener was there (a timeout of 0, a host already shutting down): end it now, on its down.
    if (signal.aborted) pair.finish(StreampathError.from(signal.reason));
    return closed(stream);
  }

  private find(id: string | undefined, key: string, method: MethodDescriptor): PairCall {
    const shape = id === undefined ? null : PAIR_ID.exec(id);
    if (!shape) throw new StreampathError(Code.InvalidArgument, `${PairHeader.id} is missing or malformed`);
    const pair = this.pairs.get(id!);
    // Another principal's pair is answered exactly like an unknown one: ids are not confirmed to strangers.
    if (!pair || pair.principalKey !== key) {
      if (this.tombstones.has(id!)) throw new StreampathError(Code.FailedPrecondition, `pair ${id} has ended`);
      if (shape[1] !== this.options.instanceId) throw new StreampathError(Code.NotFound, `pair ${id} belongs to another host instance`);
      throw new StreampathError(Code.NotFound, `no pair ${id} on this host`);
    }
    if (pair.method !== method) throw new StreampathError(Code.InvalidArgument, `pair ${id} is a call of another method`);
    return pair;
  }

  private respondDown(stream: ServerHttp2Stream, pair: PairCall): void {
    stream.respond({
      ":status": 200,
      "content-type": PAIR_CONTENT_TYPE,
      [PairHeader.id]: pair.id,
      ...windowHeaders(pair.inbox.window),
      [PairHeader.received]: String(pair.inbox.received),
      ...(this.options.heartbeatMs > 0 ? { [PairHeader.heartbeat]: String(this.options.heartbeatMs) } : {}),
    });
  }
}

function batchRefused(stream: ServerHttp2Stream, error: StreampathError, pair: PairCall | undefined): void {
  respondConnectError(stream, error, pair ? { [PairHeader.received]: String(pair.inbox.received) } : {});
  stream.resume();
}

function closed(stream: ServerHttp2Stream): Promise<void> {
  if (stream.closed || stream.destroyed) return Promise.resolve();
  // `on`: "close" comes once; `once` would add a bound wrapper and its state per stream.
  return new Promise((resolve) => stream.on("close", resolve));
}
