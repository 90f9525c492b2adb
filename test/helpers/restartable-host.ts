/**
 * An Echo host that can be stopped and started again on the same port, as
 * a restarted host is to its guests: the connection-state tests take it
 * down and bring it back without the guest's origin changing.
 */
import type { ExecutionContext } from "ava";
import { StreampathError } from "../../runtime/core/index.js";
import { createHost, type HandlerContext, type Host, implement, type PairOptions } from "../../runtime/host/index.js";
import type { Route } from "./browser.js";
import { type EchoRequest, type Event, loadEcho, sleep } from "./host.js";

export interface RestartableHost {
  readonly port: number;
  readonly url: string;
  /** The host now, if it runs. */
  readonly host: Host | undefined;
  /** Closes the host (`graceMs` for its calls, as host.close) and frees the port. */
  stop(graceMs?: number): Promise<void>;
  /** Starts a new host on the same port. */
  start(): Promise<void>;
}

export interface RestartableHostOptions {
  tls?: { key: string; cert: string };
  pair?: Partial<PairOptions>;
  fallback?: Route;
}

export async function restartableEchoHost(t: ExecutionContext, options: RestartableHostOptions = {}): Promise<RestartableHost> {
  const { Echo, EchoReply } = await loadEcho();
  const reply = (req: EchoRequest, index = 0) => EchoReply.create({ text: req.text, index, principal: "", header: "" });
  const knobs = async (req: EchoRequest, ctx: HandlerContext) => {
    if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
    if (req.failWith > 0) throw new StreampathError(req.failWith, req.text);
  };
  const impl = {
    async say(req: EchoRequest, ctx: HandlerContext) {
      await knobs(req, ctx);
      return reply(req);
    },
    async *repeat(req: EchoRequest, ctx: HandlerContext) {
      await knobs(req, ctx);
      for (let i = 0; i < Math.min(req.repeat, 10_000); i++) yield reply(req, i);
    },
    async collect(reqs: AsyncIterable<EchoRequest>) {
      let text = "";
      for await (const req of reqs) text += req.text;
      return reply({ text, repeat: 0, failWith: 0, delayMs: 0 });
    },
    async *chat(reqs: AsyncIterable<EchoRequest>) {
      let i = 0;
      for await (const req of reqs) yield reply(req, i++);
    },
    async *events(reqs: AsyncIterable<Event>) {
      yield* reqs;
    },
    async *flood() {
      // not used here
    },
  };
  const create = (port: number) => createHost({
    ...(options.tls ? { tls: options.tls } : { h2c: true as const }),
    port,
    services: [implement(Echo, impl as never)],
    pair: options.pair,
    fallback: options.fallback,
  });
  let host: Host | undefined = await create(0);
  const port = host.port;
  const url = host.url;
  t.teardown(() => host?.close(100));
  return {
    port,
    url,
    get host() {
      return host;
    },
    async stop(graceMs = 100) {
      const stopping = host;
      host = undefined;
      await stopping?.close(graceMs);
    },
    async start() {
      host ??= await create(port);
    },
  };
}
