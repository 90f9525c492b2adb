/**
 * A TCP proxy for fault injection: it forwards bytes between a client and
 * a target (TLS passes through untouched) and can break one connection on
 * demand — reset both of its sockets (RST where the platform allows), or
 * freeze it: stop forwarding without closing anything, which is how a dead
 * NAT entry or a sleeping laptop looks to both ends.
 *
 * `CHAOS_RESET=fin` in the environment makes a reset close both sockets
 * gracefully (FIN) instead of with RST, to compare how the ends react.
 */
import net from "node:net";

interface Link {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
  thaw: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

export interface ProxyCounters {
  accepted: number;
  /** Connections ended by either side (not by us). */
  closed: number;
  resets: number;
  freezes: number;
  bytesToTarget: number;
  bytesToClient: number;
  /** Connections open now. */
  open: number;
  /** Most connections open at once. */
  peak: number;
}

export class ChaosProxy {
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();
  private nextId = 1;
  readonly counters: ProxyCounters = { accepted: 0, closed: 0, resets: 0, freezes: 0, bytesToTarget: 0, bytesToClient: 0, open: 0, peak: 0 };
  port = 0;
  /** The last events (accepted, reset, frozen, closed), for the report when something hangs. */
  readonly log: string[] = [];
  private readonly born = Date.now();

  private note(text: string): void {
    this.log.push(`${((Date.now() - this.born) / 1000).toFixed(2)}s ${text}`);
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
  }

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = "127.0.0.1",
    private readonly random: () => number = Math.random,
  ) {}

  async start(): Promise<this> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    return this;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    const link: Link = { id: this.nextId++, client, upstream, frozen: false, thaw: undefined, closed: false };
    this.links.add(link);
    this.counters.accepted++;
    this.counters.open++;
    this.counters.peak = Math.max(this.counters.peak, this.counters.open);
    this.note(`#${link.id} accepted (client port ${client.remotePort})`);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const forward = (from: net.Socket, to: net.Socket, toTarget: boolean) => {
      from.on("data", (chunk: Buffer) => {
        if (toTarget) this.counters.bytesToTarget += chunk.length;
        else this.counters.bytesToClient += chunk.length;
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => {
            if (!link.frozen && !link.closed) from.resume();
          });
        }
      });
      from.on("end", () => to.end());
    };
    forward(client, upstream, true);
    forward(upstream, client, false);
    const close = () => {
      if (link.closed) return;
      link.closed = true;
      clearTimeout(link.thaw);
      this.links.delete(link);
      this.counters.open--;
      client.destroy();
      upstream.destroy();
    };
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
    client.once("close", () => {
      if (!link.closed) {
        this.counters.closed++;
        this.note(`#${link.id} closed by the client`);
      }
      close();
    });
    upstream.once("close", () => {
      if (!link.closed) {
        this.counters.closed++;
        this.note(`#${link.id} closed by the target`);
      }
      close();
    });
    upstream.once("connect", () => {
      if (!link.frozen && !link.closed) client.resume();
    });
  }

  /** Connections open now. */
  get size(): number {
    return this.links.size;
  }

  private choose(filter: (link: Link) => boolean): Link | undefined {
    const candidates = [...this.links].filter((l) => !l.closed && filter(l));
    return candidates.length ? candidates[Math.floor(this.random() * candidates.length)] : undefined;
  }

  /** Resets one connection, chosen at random: both sockets destroyed with RST. Returns whether there was one. */
  resetRandom(): boolean {
    const link = this.choose(() => true);
    if (!link) return false;
    this.counters.resets++;
    this.note(`#${link.id} reset (client ${link.client.destroyed ? "destroyed" : "open"}, target ${link.upstream.connecting ? "connecting" : link.upstream.destroyed ? "destroyed" : "open"})`);
    link.closed = true;
    clearTimeout(link.thaw);
    this.links.delete(link);
    this.counters.open--;
    for (const socket of [link.client, link.upstream]) {
      try {
        if (process.env.CHAOS_RESET === "fin") socket.destroy();
        else socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
    return true;
  }

  /**
   * Stops forwarding on one unfrozen connection for `ms`, closing nothing:
   * bytes wait in the kernel's buffers, then flow again (a silent stall
   * long enough to look like a dead connection). Returns whether there was one.
   */
  freeze(ms: number): boolean {
    const link = this.choose((l) => !l.frozen);
    if (!link) return false;
    this.counters.freezes++;
    this.note(`#${link.id} frozen for ${ms} ms`);
    link.frozen = true;
    link.client.pause();
    link.upstream.pause();
    link.thaw = setTimeout(() => {
      link.frozen = false;
      if (link.closed) return;
      link.client.resume();
      link.upstream.resume();
    }, ms);
    return true;
  }

  /** Unfreezes everything (faults are over). */
  thawAll(): void {
    for (const link of this.links) {
      if (!link.frozen) continue;
      clearTimeout(link.thaw);
      link.frozen = false;
      link.client.resume();
      link.upstream.resume();
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const link of [...this.links]) {
      link.closed = true;
      clearTimeout(link.thaw);
      link.client.destroy();
      link.upstream.destroy();
    }
    this.links.clear();
    this.counters.open = 0;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
