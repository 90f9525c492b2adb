/**
 * Who is here, across instances: each board host relays what its own
 * people do (join, move, leave) to a broker topic and takes everyone
 * else's from it, announcing its people again every few seconds so that an
 * instance that died without a word has its people forgotten after a TTL.
 * Presence is not history: the topic keeps a minute, and a host reads it
 * from now on.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import type { Broker } from "streampath/runtime/host";
import { PresenceUpdate } from "../gen/board/v1/board_pb.js";
import type { PresenceHub } from "./presence-hub.js";

export const PRESENCE_TOPIC = "board-presence";

export interface PresenceRelayOptions {
  /** How often this instance's people are announced again. Default 5 s. */
  announceMs?: number;
  /** People of an instance not heard from this long are gone. Default 3 × announceMs. */
  ttlMs?: number;
}

export interface PresenceRelay {
  close(): void;
}

/** A message: the instance's name, then the update (protobuf). */
function frame(instance: string, update: PresenceUpdate): Uint8Array {
  const name = new TextEncoder().encode(instance);
  const body = PresenceUpdate.encode(update);
  const out = new Uint8Array(1 + name.length + body.length);
  out[0] = name.length;
  out.set(name, 1);
  out.set(body, 1 + name.length);
  return out;
}

function unframe(data: Uint8Array): { instance: string; update: PresenceUpdate } | undefined {
  try {
    const end = 1 + data[0]!;
    return { instance: new TextDecoder().decode(data.subarray(1, end)), update: PresenceUpdate.decode(data.subarray(end)) };
  } catch {
    return undefined; // not ours: ignored
  }
}

export function relayPresence(hub: PresenceHub, broker: Broker, instance: string, options: PresenceRelayOptions = {}): PresenceRelay {
  const announceMs = options.announceMs ?? 5000;
  const ttlMs = options.ttlMs ?? 3 * announceMs;
  const stop = new AbortController();
  // Lost while the broker is away: the next announcement says it again.
  const publish = (update: PresenceUpdate) => void broker.publish(PRESENCE_TOPIC, frame(instance, update)).catch(() => undefined);
  hub.onLocalChange = publish;
  const announcer = setInterval(() => {
    for (const update of hub.localUpdates()) publish(update);
    hub.expireRemote(Date.now() - ttlMs);
  }, announceMs);
  announcer.unref();

  void (async () => {
    let after = await broker.last(PRESENCE_TOPIC).catch(() => 0n);
    while (!stop.signal.aborted) {
      try {
        for await (const message of broker.subscribe(PRESENCE_TOPIC, { after, signal: stop.signal })) {
          after = message.position;
          const heard = unframe(message.data);
          if (heard && heard.instance !== instance) hub.applyRemote(heard.instance, heard.update);
        }
      } catch (caught) {
        if (stop.signal.aborted) return;
        // Fell behind what the topic keeps: what is said from now on will do (everyone is announced again).
        if (StreampathError.from(caught).code === Code.OutOfRange) after = await broker.last(PRESENCE_TOPIC).catch(() => after);
        // Never what keeps a process alive: a host that stops without closing the relay must still exit.
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
  })();

  return {
    close() {
      stop.abort();
      clearInterval(announcer);
      if (hub.onLocalChange === publish) hub.onLocalChange = undefined;
    },
  };
}
