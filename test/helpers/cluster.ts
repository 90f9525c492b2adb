/**
 * Several Echo host instances that know each other (a cluster), a guest
 * fetch that spreads its requests over them as a per-request balancer does,
 * and a crash that kills an instance without a word.
 */
import type { Socket } from "node:net";
import type { ExecutionContext } from "ava";
import type { Fetch } from "../../runtime/guest/index.js";
import type { Membership } from "../../runtime/host/index.js";
import { PairHeader } from "../../runtime/core/pair.js";
import { type EchoHost, type EchoHostOptions, startEchoHost } from "./host.js";

export interface Instance extends EchoHost {
  name: string;
  /** Kills the instance as a crash would: no GOAWAY, no end of any call, its port closed. */
  crash(): void;
  crashed: boolean;
}

export interface EchoCluster {
  instances: Instance[];
  /** name → URL; delete an entry and the cluster no longer knows that instance. */
  members: Map<string, string>;
  /** Halves forwarded by all instances, by kind. */
  forwarded(): { down: number; up: number; batch: number };
}

/** `names.length` Echo instances on 127.0.0.1 (h2c, or TLS with `options.tls`), each knowing the others. */
export async function startEchoCluster(t: ExecutionContext, names: string[], options: EchoHostOptions = {}): Promise<EchoCluster> {
  const members = new Map<string, string>();
  const membership: Membership = { resolve: (name) => members.get(name) };
  const instances: Instance[] = [];
  for (const name of names) {
    const host = await startEchoHost(t, { ...options, cluster: { instanceId: name, membership, ca: options.tls?.cert } });
    const sockets = new Set<Socket>();
    host.host.server.on(options.tls ? "secureConnection" : "connection", (socket: Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    members.set(name, host.url);
    instances.push({
      ...host,
      name,
      crashed: false,
      crash() {
        this.crashed = true;
        host.host.server.close();
        for (const socket of sockets) socket.destroy();
      },
    });
  }
  return {
    instances,
    members,
    forwarded: () => {
      const sum = { down: 0, up: 0, batch: 0 };
      for (const { host } of instances) for (const kind of ["down", "up", "batch"] as const) sum[kind] += host.forwarded[kind];
      return sum;
    },
  };
}

export interface SpreadFetch {
  fetch: Fetch;
  /** Requests sent, by pair half ("down" includes resumes; "unary" for the rest). */
  sent: Record<string, number>;
}

/** Each request to the next of `urls` in turn, as haproxy's round-robin does per stream; counts what it sends. */
export function roundRobin(inner: Fetch, base: string, urls: () => string[]): SpreadFetch {
  let next = 0;
  const sent: Record<string, number> = {};
  const fetch: Fetch = (input, init) => {
    const half = new Headers(init.headers).get(PairHeader.half) ?? "unary";
    sent[half] = (sent[half] ?? 0) + 1;
    const targets = urls();
    return inner(targets[next++ % targets.length] + input.slice(base.length), init);
  };
  return { fetch, sent };
}
