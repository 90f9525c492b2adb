/**
 * Membership through the broker: each instance announces its name and
 * address on a topic every `intervalMs`, and says when it leaves; every
 * instance reads the topic and knows who is there. An instance not heard
 * from for `ttlMs` is gone, and so are its calls: a half for it fails
 * `aborted` at once rather than wait for a connection that will not come.
 */
import { Code, StreampathError } from "../core/error.js";
import type { Broker } from "./broker.js";
import { type Membership, checkInstanceName } from "./cluster.js";

export interface BrokerMembershipOptions {
  /** This instance's name (its `cluster.instanceId`). */
  instanceId: string;
  /** Where the other instances reach this one: `http://10.0.0.1:9001` (h2c) or `https://…`. */
  url: string;
  /** Default "streampath-members". */
  topic?: string;
  /** How often this instance says it is here. Default 1 s. */
  intervalMs?: number;
  /** An instance silent this long is gone. Default 3 × intervalMs. */
  ttlMs?: number;
}

export interface BrokerMembership extends Membership {
  /** The instances heard from within the TTL: name → URL. */
  members(): Map<string, string>;
  /** Says this instance leaves (others forget it at once) and stops. */
  close(): Promise<void>;
}

interface Announcement {
  name: string;
  url: string;
  left?: boolean;
}

/** Enough announcements to have heard every live instance (each says it is here every interval). */
const HISTORY = 512n;

export function brokerMembership(broker: Broker, options: BrokerMembershipOptions): BrokerMembership {
  checkInstanceName(options.instanceId);
  const topic = options.topic ?? "streampath-members";
  const intervalMs = options.intervalMs ?? 1000;
  const ttlMs = options.ttlMs ?? 3 * intervalMs;
  const self: Announcement = { name: options.instanceId, url: new URL(options.url).origin };
  const heard = new Map<string, { url: string; at: number }>();
  const stop = new AbortController();
  const encode = (a: Announcement) => new TextEncoder().encode(JSON.stringify(a));

  // Caught up: everything published before we started has been read, so an unknown name is really unknown.
  let caughtUp!: () => void;
  const ready = new Promise<void>((resolve) => (caughtUp = resolve));

  const announce = async () => {
    try {
      await broker.publish(topic, encode(self), { signal: stop.signal });
    } catch {
      // the broker is away: the next tick tries again; others may take us for gone meanwhile
    }
  };
  void announce();
  const ticker = setInterval(() => void announce(), intervalMs);
  ticker.unref();

  void (async () => {
    let after = 0n;
    let target = 0n;
    try {
      target = await broker.last(topic);
      after = target > HISTORY ? target - HISTORY : 0n;
    } catch {
      // read from the oldest kept
    }
    if (target === 0n) caughtUp();
    while (!stop.signal.aborted) {
      try {
        for await (const message of broker.subscribe(topic, { after, signal: stop.signal })) {
          after = message.position;
          const a = parse(message.data);
          if (a?.left) heard.delete(a.name);
          else if (a) heard.set(a.name, { url: a.url, at: Date.now() });
          if (after >= target) caughtUp();
        }
      } catch (caught) {
        if (stop.signal.aborted) return;
        // Behind what is kept: the oldest kept will do (announcements repeat).
        if (StreampathError.from(caught).code === Code.OutOfRange) after = 0n;
        await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
      }
    }
  })();

  const live = (name: string) => {
    const entry = heard.get(name);
    return entry && Date.now() - entry.at <= ttlMs ? entry.url : undefined;
  };

  return {
    async resolve(name) {
      if (name === self.name) return self.url;
      if (!live(name)) {
        // Not heard of yet: wait until we have read what was there when we started (bounded).
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([ready, new Promise((resolve) => (timer = setTimeout(resolve, ttlMs)))]);
        clearTimeout(timer);
      }
      return live(name);
    },
    members() {
      const now = new Map<string, string>();
      for (const name of heard.keys()) {
        const url = live(name);
        if (url) now.set(name, url);
      }
      return now;
    },
    async close() {
      if (stop.signal.aborted) return;
      clearInterval(ticker);
      stop.abort();
      await broker.publish(topic, encode({ ...self, left: true })).catch(() => undefined);
    },
  };
}

function parse(data: Uint8Array): Announcement | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as Announcement;
    if (typeof value?.name !== "string" || typeof value.url !== "string") return undefined;
    return value;
  } catch {
    return undefined; // not ours: ignored
  }
}
