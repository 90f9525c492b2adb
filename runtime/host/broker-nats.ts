/**
 * The broker on NATS JetStream (`streampath/runtime/host/nats`; only this entry loads the
 * @nats-io packages). One stream per topic — `<stream>_<topic>` on subject `<stream>.<topic>` —
 * because on nats-server 2.9 that is what gives each topic its own retention and dedup window
 * (a shared stream would let a busy topic evict a quiet one's history), a plain start sequence
 * per consumer (no filter, so nothing 2.10-only) and contiguous positions: a jump in them means
 * retention dropped messages a subscriber had not read, which it then reports (OutOfRange).
 */
import { connect, errors, nanos, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JsMsg,
  type PubAck,
  type StreamConfig,
} from "@nats-io/jetstream";
import { Code, StreampathError } from "../core/error.js";
import {
  abortable,
  checkPublish,
  checkSubscribe,
  checkTopic,
  DEFAULT_BROKER_LIMITS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  dropped,
  resolveLimits,
  startPosition,
  type Broker,
  type BrokerLimits,
  type BrokerMessage,
  type PublishOptions,
  type PublishResult,
  type SubscribeOptions,
} from "./broker.js";

export interface NatsBrokerOptions {
  /** `host:port`, or several of one cluster. */
  servers: string | string[];
  /** Prefix of stream names and subjects (letters, digits, `_`, `-`). Default "streampath". */
  stream?: string;
  /** Retention per topic (each topic is a stream); DEFAULT_BROKER_LIMITS for what is not given. */
  limits?: Partial<BrokerLimits>;
  /** JetStream's dedup window; capped at `limits.maxAgeMs` (the server requires it). Default 120,000. */
  duplicateWindowMs?: number;
  /** Messages a subscription fetches at once: the most a subscriber that stops reading holds. Default 256. */
  batch?: number;
  /** How long a publish waits for its ack. Default 5,000. */
  publishTimeoutMs?: number;
  /** Where streams keep messages. Default "file" (they survive a server restart). */
  storage?: "file" | "memory";
  /** Stream replicas in a cluster. Default 1. */
  replicas?: number;
  /** More for connect(): credentials, TLS, name, reconnect policy (default: reconnect forever, every second). */
  connection?: Omit<NodeConnectionOptions, "servers">;
}

export interface NatsBroker extends Broker {
  /** The connection, for its stats() and status(); close the broker, not this. */
  readonly connection: NatsConnection;
}

const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;
/** The server's error when a stream exists with another configuration: update it to ours. */
const STREAM_NAME_IN_USE = 10058;
/** How long a fetch waits on the server for messages before the next one is asked. */
const FETCH_EXPIRES_MS = 30_000;
/** The server drops a consumer that has had no pull request for this long. */
const INACTIVE_MS = 5 * 60_000;
/** Failures in a row, while connected, after which a subscription gives up. */
const MAX_RETRIES = 8;

/** Connects to NATS and returns a broker on JetStream; fails Unavailable if it cannot. */
export async function createNatsBroker(options: NatsBrokerOptions): Promise<NatsBroker> {
  const prefix = options.stream ?? "streampath";
  if (!PREFIX.test(prefix)) throw new StreampathError(Code.InvalidArgument, `bad stream prefix ${JSON.stringify(prefix)}: use 1-32 letters, digits, '_' or '-'`);
  const batch = count("batch", options.batch, 256);
  const publishTimeoutMs = count("publishTimeoutMs", options.publishTimeoutMs, 5_000);
  const servers = options.servers;
  let nc: NatsConnection;
  try {
    nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 1_000, ...options.connection, servers });
  } catch (err) {
    throw new StreampathError(Code.Unavailable, `cannot connect to NATS at ${String(servers)}: ${(err as Error).message}`, { cause: err });
  }
  // A message must fit the server's max_payload with its headers (the msg id).
  const room = (nc.info?.max_payload ?? Infinity) - 1024;
  const given = options.limits?.maxMessageBytes;
  if (given !== undefined && given > room) {
    await nc.close();
    throw new StreampathError(Code.InvalidArgument, `limits.maxMessageBytes ${given} does not fit the server's max_payload (${room + 1024}) with headers; at most ${room}`);
  }
  const limits = resolveLimits({ ...options.limits, maxMessageBytes: given ?? Math.min(DEFAULT_BROKER_LIMITS.maxMessageBytes, room) });
  const jsm = await jetstreamManager(nc).catch(async (err: Error) => {
    await nc.close();
    throw new StreampathError(Code.FailedPrecondition, `NATS at ${String(servers)} has no JetStream (run nats-server -js): ${err.message}`, { cause: err });
  });
  const js = jetstream(nc, { timeout: publishTimeoutMs });
  const duplicateWindowMs = count("duplicateWindowMs", options.duplicateWindowMs, DEFAULT_DUPLICATE_WINDOW_MS);
  const config = (topic: string): WithName => ({
    name: `${prefix}_${topic}`,
    subjects: [`${prefix}.${topic}`],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
    num_replicas: count("replicas", options.replicas, 1),
    max_msgs: limits.maxMessages,
    max_bytes: limits.maxBytes,
    max_age: nanos(limits.maxAgeMs),
    max_msg_size: limits.maxMessageBytes,
    duplicate_window: nanos(limits.maxAgeMs > 0 ? Math.min(duplicateWindowMs, limits.maxAgeMs) : duplicateWindowMs),
  });

  let closed: StreampathError | undefined;
  let connected = true;
  /** What waits for the connection to come back (or close); what to stop when it goes. */
  const onReconnect = new Set<() => void>();
  const onDisconnect = new Set<() => void>();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") (connected = false), [...onDisconnect].forEach((f) => f());
      if (status.type === "reconnect") (connected = true), [...onReconnect].forEach((f) => f());
    }
  })();
  void nc.closed().then(() => {
    closed ??= new StreampathError(Code.Unavailable, "NATS connection closed");
    [...onReconnect, ...onDisconnect].forEach((f) => f());
  });
  const until = (set: Set<() => void>, signal?: AbortSignal, ms?: number): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => (set.delete(done), signal?.removeEventListener("abort", done), clearTimeout(timer), resolve());
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      set.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });

  /** Streams known to exist with our configuration; forgotten when one turns out to be gone. */
  const streams = new Map<string, Promise<unknown>>();
  const ensure = (topic: string): Promise<unknown> => {
    let made = streams.get(topic);
    if (made === undefined) {
      made = jsm.streams.add(config(topic)).catch((err: unknown) => {
        if (err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE) return jsm.streams.update(`${prefix}_${topic}`, config(topic));
        throw err;
      });
      made.catch(() => streams.delete(topic));
      streams.set(topic, made);
    }
    return made;
  };

  const publishOnce = async (topic: string, data: Uint8Array, id: string | undefined, signal?: AbortSignal): Promise<PublishResult> => {
    await abortable(ensure(topic), signal);
    // A publish in flight when the connection drops is not waited for: it may be stored or not.
    const acked = new Promise<PubAck>((resolve, reject) => {
      const lost = () => reject(new StreampathError(Code.Unavailable, `publish to ${topic}: the NATS connection dropped; it may be stored: retry with the same id`));
      onDisconnect.add(lost);
      js.publish(`${prefix}.${topic}`, data, id === undefined ? {} : { msgID: id })
        .then(resolve, reject)
        .finally(() => onDisconnect.delete(lost));
    });
    const ack = await abortable(acked, signal);
    return { position: BigInt(ack.seq), duplicate: ack.duplicate };
  };

  async function* read(topic: string, after: bigint, signal: AbortSignal | undefined): AsyncGenerator<BrokerMessage> {
    const stream = `${prefix}_${topic}`;
    let cursor = after; // the last position delivered; 0n: none yet, from the oldest kept
    for (let failures = 0; ; ) {
      if (signal?.aborted) return;
      if (closed) throw closed;
      let fetched: ConsumerMessages | undefined;
      let disconnected = false; // then the consumer may be gone with the server: start a new one
      const stop = () => void fetched?.close().catch(() => undefined);
      const lost = () => ((disconnected = true), stop());
      let consumer: Awaited<ReturnType<typeof js.consumers.get>> | undefined;
      onDisconnect.add(lost), signal?.addEventListener("abort", stop);
      try {
        await abortable(ensure(topic), signal);
        // Again on every (re)start: messages may have been dropped, or the server's data lost, meanwhile.
        const { state } = await abortable(jsm.streams.info(stream), signal);
        let next = startPosition(topic, cursor, BigInt(state.messages > 0 ? state.first_seq : state.last_seq + 1), BigInt(state.last_seq));
        const start = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(next), inactive_threshold: INACTIVE_MS };
        consumer = await abortable(js.consumers.get(stream, start), signal);
        for (let fetchedAt = 0; !(signal?.aborted || closed || disconnected); ) {
          // A reader that stalled long enough for the server to drop the consumer starts a new one:
          // a fetch on the dropped one would only fail after two missed heartbeats, 30 s.
          if (fetchedAt > 0 && performance.now() - fetchedAt > INACTIVE_MS / 2) break;
          fetchedAt = performance.now();
          fetched = await consumer.fetch({ max_messages: batch, expires: FETCH_EXPIRES_MS });
          for await (const m of fetched) {
            const position = BigInt(m.seq);
            if (position !== next && cursor !== 0n) throw dropped(topic, next, position, position);
            cursor = position;
            next = position + 1n;
            failures = 0;
            yield message(topic, m);
          }
        }
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof StreampathError && err.code !== Code.Unavailable) throw err;
        if (closed) throw closed;
        if (!transient(err)) throw natsError(err, `subscription to ${topic}`);
        if (connected && ++failures > MAX_RETRIES) throw natsError(err, `subscription to ${topic}`);
      } finally {
        onDisconnect.delete(lost), signal?.removeEventListener("abort", stop);
        stop();
        consumer?.delete().catch(() => undefined); // the server would drop it after a while anyway
      }
      // Start over at the cursor: once connected again, after a pause that grows with failures.
      if (signal?.aborted) return;
      if (!connected) await until(onReconnect, signal);
      else await until(onReconnect, signal, Math.min(2_000, 50 * 2 ** failures));
    }
  }

  return {
    connection: nc,

    async publish(topic: string, data: Uint8Array, publishOptions?: PublishOptions): Promise<PublishResult> {
      checkPublish(topic, data, publishOptions, limits.maxMessageBytes);
      if (closed) throw closed;
      if (!connected) throw new StreampathError(Code.Unavailable, `publish to ${topic}: NATS is unreachable (reconnecting)`);
      const id = publishOptions?.id;
      try {
        return await publishOnce(topic, data, id, publishOptions?.signal);
      } catch (err) {
        if (!noResponders(err)) throw natsError(err, `publish to ${topic}`);
        // No stream takes the subject: it was deleted, or the server lost its data. Make it again, once.
        streams.delete(topic);
        return await publishOnce(topic, data, id, publishOptions?.signal).catch((again: unknown) => {
          throw natsError(again, `publish to ${topic}`);
        });
      }
    },

    subscribe(topic: string, subscribeOptions: SubscribeOptions): AsyncIterable<BrokerMessage> {
      return read(topic, checkSubscribe(topic, subscribeOptions), subscribeOptions.signal);
    },

    async last(topic: string): Promise<bigint> {
      checkTopic(topic);
      if (closed) throw closed;
      if (!connected) throw new StreampathError(Code.Unavailable, `last of ${topic}: NATS is unreachable (reconnecting)`);
      try {
        return BigInt((await jsm.streams.info(`${prefix}_${topic}`)).state.last_seq);
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return 0n;
        throw natsError(err, `last of ${topic}`);
      }
    },

    async close(): Promise<void> {
      closed ??= new StreampathError(Code.Unavailable, "broker is closed");
      if (!nc.isClosed()) await nc.close();
    },
  };
}

type WithName = Partial<StreamConfig> & { name: string };

function message(topic: string, m: JsMsg): BrokerMessage {
  const id = m.headers?.get("Nats-Msg-Id");
  return { topic, position: BigInt(m.seq), data: m.data, id: id || undefined, time: m.time.getTime() };
}

/** No responder on the subject: no stream takes it (the client reports it as "jetstream is not enabled"). */
function noResponders(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof errors.NoRespondersError) return true;
  return false;
}

/** What a subscription outlives by starting over: JetStream's refusals are final, except a consumer or stream a restart took away. */
function transient(err: unknown): boolean {
  if (!(err instanceof JetStreamApiError)) return true;
  return err.status === 503 || err.code === JetStreamApiCodes.ConsumerNotFound || err.code === JetStreamApiCodes.StreamNotFound;
}

/** A NATS failure as a StreampathError: the connection or server not there is Unavailable. */
function natsError(err: unknown, what: string): StreampathError {
  if (err instanceof StreampathError) return err;
  const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
  const status = err instanceof JetStreamApiError ? err.status : 0;
  const unavailable =
    err instanceof errors.TimeoutError ||
    err instanceof errors.ClosedConnectionError ||
    err instanceof errors.ConnectionError ||
    err instanceof errors.RequestError ||
    noResponders(err) ||
    status === 503;
  if (unavailable) return new StreampathError(Code.Unavailable, message, { cause: err });
  if (err instanceof JetStreamApiError && /size|payload/i.test(err.message)) return new StreampathError(Code.ResourceExhausted, message, { cause: err });
  return new StreampathError(status === 400 ? Code.FailedPrecondition : Code.Internal, message, { cause: err });
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new StreampathError(Code.InvalidArgument, `NATS broker option ${name} must be a positive integer, got ${value}`);
}
