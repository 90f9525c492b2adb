/**
 * The in-process broker, for one host instance and for tests: per topic one bounded log, and
 * every subscriber a cursor over it, so a subscriber that stops reading holds nothing (the log
 * is bounded by retention whoever reads). With `file`, the log is also appended to a file
 * (broker-file.ts) and replayed on open, so it survives a restart.
 */
import { Code, StreampathError } from "../core/error.js";
import {
  abortable,
  checkPublish,
  checkSubscribe,
  checkTopic,
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
import { encodeRecord, LogFile, MESSAGE, NEWEST, recordSize, type LogRecord } from "./broker-file.js";

export interface MemoryBrokerOptions {
  /** Retention per topic; DEFAULT_BROKER_LIMITS for what is not given. */
  limits?: Partial<BrokerLimits>;
  /** How many recent ids per topic are remembered for dedup. Default 10,000. */
  duplicateWindow?: number;
  /** How long an id is remembered, at most. Default 120,000 (JetStream's default). */
  duplicateWindowMs?: number;
  /** Topics kept at once; publishing to one more fails ResourceExhausted. Default 1,000. */
  maxTopics?: number;
  /** Append the log to this file and replay it on open. */
  file?: string;
  /** With `file`: fsync every write, surviving power loss too (a completed write survives a process crash). */
  fsync?: boolean;
}

/** Below this the file is never compacted, however much of it is dropped messages. */
const MIN_COMPACT_BYTES = 64 * 1024;

interface Entry {
  position: bigint;
  data: Uint8Array;
  id: string | undefined;
  time: number;
}

interface Seen {
  position: bigint;
  time: number;
  stored: Promise<void>;
}

const GONE: Entry = Object.freeze({ position: 0n, data: new Uint8Array(0), id: undefined, time: 0 });

/** One topic's log: kept entries are `entries[head..]`, at contiguous positions. */
class Topic {
  entries: Entry[] = [];
  head = 0;
  /** Data bytes kept. */
  bytes = 0;
  /** The newest stored position, and the next one to hand out (ahead while writes are pending). */
  newest = 0n;
  next = 1n;
  readonly ids = new Map<string, Seen>();
  private waiters = new Set<() => void>();

  /** `kept.fileBytes`: what the kept messages of all topics take in the file. */
  constructor(
    readonly name: string,
    private readonly kept: { fileBytes: number },
  ) {}

  get oldest(): bigint {
    return this.head < this.entries.length ? this.entries[this.head].position : this.newest + 1n;
  }

  at(position: bigint): Entry {
    return this.entries[this.head + Number(position - this.oldest)];
  }

  add(entry: Entry): void {
    if (entry.position !== this.newest + 1n) this.drop(this.entries.length - this.head); // not contiguous: only a hand-made file does this
    this.entries.push(entry);
    this.bytes += entry.data.byteLength;
    this.kept.fileBytes += recordSize(this.name, entry.id, entry.data.byteLength);
    this.newest = entry.position;
    if (this.next <= entry.position) this.next = entry.position + 1n;
  }

  /** Drops the oldest entries past `limits`. */
  expire(limits: BrokerLimits, now: number): void {
    let count = 0;
    let bytes = this.bytes;
    for (let i = this.head; i < this.entries.length; i++, count++) {
      const kept = this.entries.length - i;
      const old = limits.maxAgeMs > 0 && now - this.entries[i].time > limits.maxAgeMs;
      if (kept <= limits.maxMessages && bytes <= limits.maxBytes && !old) break;
      bytes -= this.entries[i].data.byteLength;
    }
    this.drop(count);
  }

  private drop(count: number): void {
    for (let i = this.head; i < this.head + count; i++) {
      const entry = this.entries[i];
      this.bytes -= entry.data.byteLength;
      this.kept.fileBytes -= recordSize(this.name, entry.id, entry.data.byteLength);
      this.entries[i] = GONE; // its data can be collected now, not when the array shifts
    }
    this.head += count;
    // Shift the array only when the dropped part is most of it: amortised O(1) per message.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** A publish of `id` within the window, if any; forgets ids past the window. */
  recall(id: string, window: number, windowMs: number, now: number): Seen | undefined {
    for (const [old, seen] of this.ids) {
      if (this.ids.size <= window && now - seen.time <= windowMs) break;
      this.ids.delete(old); // Map order is publish order: the oldest first
    }
    return this.ids.get(id);
  }

  wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => (this.waiters.delete(done), signal?.removeEventListener("abort", done), resolve());
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** An in-process broker; with `file`, persistent. Retention and dedup are per topic. */
export async function createMemoryBroker(options: MemoryBrokerOptions = {}): Promise<Broker> {
  const limits = resolveLimits(options.limits);
  const window = positive("duplicateWindow", options.duplicateWindow, 10_000);
  const windowMs = positive("duplicateWindowMs", options.duplicateWindowMs, DEFAULT_DUPLICATE_WINDOW_MS);
  const maxTopics = positive("maxTopics", options.maxTopics, 1_000);
  const topics = new Map<string, Topic>();
  const kept = { fileBytes: 0 };
  let expiredAt = 0;
  let closed: StreampathError | undefined;

  const topicFor = (name: string): Topic => {
    let topic = topics.get(name);
    if (topic === undefined) {
      if (topics.size >= maxTopics) {
        throw new StreampathError(Code.ResourceExhausted, `topic ${name}: the broker already keeps maxTopics (${maxTopics}) topics`);
      }
      topics.set(name, (topic = new Topic(name, kept)));
    }
    return topic;
  };

  const store = (topic: Topic, entry: Entry): void => {
    topic.add(entry);
    topic.expire(limits, Date.now());
    topic.wake();
  };

  /** What to rewrite the file with when dropped messages make up half of it. */
  const compaction = (): LogRecord[] | undefined => {
    if (file === undefined || file.size < MIN_COMPACT_BYTES) return undefined;
    // Age retention is applied as topics are used; a quiet topic's old messages here, now and then.
    if (limits.maxAgeMs > 0 && Date.now() - expiredAt > Math.min(1000, limits.maxAgeMs / 4)) {
      expiredAt = Date.now();
      for (const topic of topics.values()) topic.expire(limits, expiredAt);
    }
    if (file.size < 2 * kept.fileBytes) return undefined;
    const records: LogRecord[] = [];
    for (const topic of topics.values()) {
      for (let i = topic.head; i < topic.entries.length; i++) records.push({ kind: MESSAGE, topic: topic.name, ...topic.entries[i] });
      records.push({ kind: NEWEST, topic: topic.name, position: topic.newest, time: Date.now(), id: undefined, data: new Uint8Array(0) });
    }
    return records;
  };

  let file: LogFile | undefined;
  if (options.file !== undefined) {
    const opened = await LogFile.open(options.file, options.fsync === true, compaction);
    file = opened.log;
    for (const record of opened.records) {
      const topic = topicFor(record.topic);
      if (record.kind === NEWEST) {
        if (record.position > topic.newest) topic.newest = record.position;
        if (topic.next <= topic.newest) topic.next = topic.newest + 1n;
      } else if (record.position > topic.newest) {
        store(topic, record);
        if (record.id !== undefined) topic.ids.set(record.id, { position: record.position, time: record.time, stored: Promise.resolve() });
      }
    }
  }

  async function* read(name: string, after: bigint, signal: AbortSignal | undefined): AsyncGenerator<BrokerMessage> {
    if (signal?.aborted) return;
    if (closed) throw closed;
    const topic = topicFor(name);
    topic.expire(limits, Date.now());
    let next = startPosition(name, after, topic.oldest, topic.newest);
    for (;;) {
      if (signal?.aborted) return;
      if (closed) throw closed;
      topic.expire(limits, Date.now());
      if (next < topic.oldest) throw dropped(name, next, topic.oldest, topic.newest);
      if (next > topic.newest) {
        await topic.wait(signal);
        continue;
      }
      const { position, data, id, time } = topic.at(next++);
      yield { topic: name, position, data, id, time };
    }
  }

  return {
    publish(name: string, data: Uint8Array, publishOptions?: PublishOptions): Promise<PublishResult> {
      try {
        checkPublish(name, data, publishOptions, limits.maxMessageBytes);
        if (closed) throw closed;
        const topic = topicFor(name);
        const id = publishOptions?.id;
        const time = Date.now();
        const seen = id === undefined ? undefined : topic.recall(id, window, windowMs, time);
        if (seen !== undefined) return abortable(seen.stored.then(() => ({ position: seen.position, duplicate: true })), publishOptions?.signal);
        const entry: Entry = { position: topic.next++, data: data.slice(), id, time };
        const stored = file === undefined ? Promise.resolve(store(topic, entry)) : file.append(encodeRecord({ kind: MESSAGE, topic: name, ...entry }), () => store(topic, entry));
        if (id !== undefined) topic.ids.set(id, { position: entry.position, time, stored });
        return abortable(stored.then(() => ({ position: entry.position, duplicate: false })), publishOptions?.signal);
      } catch (err) {
        return Promise.reject(err);
      }
    },

    subscribe(name: string, subscribeOptions: SubscribeOptions): AsyncIterable<BrokerMessage> {
      return read(name, checkSubscribe(name, subscribeOptions), subscribeOptions.signal);
    },

    async last(name: string): Promise<bigint> {
      checkTopic(name);
      return topics.get(name)?.newest ?? 0n;
    },

    async close(): Promise<void> {
      closed ??= new StreampathError(Code.Unavailable, "broker is closed");
      for (const topic of topics.values()) topic.wake();
      await file?.close();
    },
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new StreampathError(Code.InvalidArgument, `memory broker option ${name} must be a positive integer, got ${value}`);
}
