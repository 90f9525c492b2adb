// The echo server of each peer. Each runs alone in its own process
// (bench/host/server.ts), so libraries are imported only by the peer that
// uses them and the process's RSS is that peer's.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
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

export const PEERS = ["raw", "typed", "streampath", "grpc-js", "connect"] as const;
/** The four, and streampath built from BENCH_HOST_BASE's revision (base.ts). */
export type Peer = (typeof PEERS)[number] | typeof BASE_PEER;
export const isPeer = (name: string): name is Peer =>
  name === BASE_PEER || (PEERS as readonly string[]).includes(name);

export interface EchoServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * HTTP/2 flow-control windows of streampath's host and link (see
 * runtime/host/server.ts and link.ts), given to the raw node:http2 peer too
 * so that it is the ceiling of the same configuration. grpc-js and Connect
 * run with their own defaults, as their users get them.
 */
export const STREAM_WINDOW = 4 * 1024 * 1024;
export const CONNECTION_WINDOW = 16 * 1024 * 1024;

export function serve(peer: Peer): Promise<EchoServer> {
  switch (peer) {
    case "raw":
      return serveRaw();
    case "typed":
      return serveTyped();
    case "streampath":
    case BASE_PEER:
      return serveStreampath(streampathRoot(peer, "server"));
    case "grpc-js":
      return serveGrpcJs();
    case "connect":
      return serveConnect();
  }
}

/** Listens on 127.0.0.1 and closes with all its sessions. */
async function listen(server: http2.Http2Server): Promise<EchoServer> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) =>
        server.close(() => resolve()),
      );
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}

/**
 * The ceiling: no decoding, no encoding, no per-message work. Whatever
 * arrives on a stream is written back as it came (pipe: reading pauses while
 * the write side is full, so flow control pushes back on the client).
 */
async function serveRaw(): Promise<EchoServer> {
  return serveEchoStreams((stream) => stream.pipe(stream));
}

/**
 * A node:http2 server with streampath's windows whose echo streams (answered
 * 200, `grpc-status: 0` trailers at their end) `echo` serves; other paths 404.
 */
function serveEchoStreams(
  echo: (stream: http2.ServerHttp2Stream) => void,
): Promise<EchoServer> {
  const server = http2.createServer({
    settings: { initialWindowSize: STREAM_WINDOW },
  });
  server.on("session", (session) => {
    session.once("connect", () =>
      session.setLocalWindowSize(CONNECTION_WINDOW),
    );
    if (!session.connecting) session.setLocalWindowSize(CONNECTION_WINDOW);
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    if (headers[":path"] !== ECHO_PATH) {
      stream.respond({ ":status": 404 }, { endStream: true });
      return;
    }
    stream.respond(
      { ":status": 200, "content-type": "application/grpc+proto" },
      { waitForTrailers: true },
    );
    stream.once("wantTrailers", () =>
      stream.sendTrailers({ "grpc-status": "0" }),
    );
    echo(stream);
  });
  return listen(server);
}

/**
 * The typed floor: raw node:http2 plus what any typed API must do per
 * message — each envelope decoded into an `Event` by streampath's generated
 * codec, and encoded again — with no per-message promise or object beyond
 * the message: one batch of messages per chunk, written as one chunk. The
 * most a batch-level handler API (arrays in, arrays out) could reach.
 */
async function serveTyped(): Promise<EchoServer> {
  const { EnvelopeDecoder, MessageBatch, decodeAt } = await loadStreampathCore();
  const { Event } = await loadStreampathEcho();
  return serveEchoStreams((stream) => {
    const decoder = new EnvelopeDecoder({ maxMessageBytes: 4 << 20 });
    const out = new MessageBatch();
    stream.on("data", (chunk: Uint8Array) => {
      const events: SpEvent[] = [];
      decoder.each(chunk, (_flags, bytes, start, end, owned) => {
        events.push(decodeAt(Event, bytes, start, end, owned));
      });
      for (const event of events) out.add(Event, event);
      const written = out.take();
      if (written && !stream.write(written)) {
        stream.pause();
        stream.once("drain", () => stream.resume());
      }
    });
    stream.once("end", () => {
      decoder.end();
      stream.end();
    });
  });
}

/**
 * Ours: the generated service on createHost, the handler as a user writes
 * it; runtime and generated code from the package at `root`.
 */
async function serveStreampath(root: string): Promise<EchoServer> {
  const { createHost, implement } = await loadStreampathHost(root);
  const { Echo } = await loadStreampathEcho(root);
  const host = await createHost({
    h2c: true,
    services: [
      implement(Echo, {
        async *echo(requests: AsyncIterable<SpEvent>) {
          for await (const event of requests) yield event;
        },
      }),
    ],
  });
  return { port: host.port, close: () => host.close(1000) };
}

/** @grpc/grpc-js with @grpc/proto-loader (64-bit integers as strings). */
async function serveGrpcJs(): Promise<EchoServer> {
  const grpc = await importCjs<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
  const loader =
    await importCjs<typeof import("@grpc/proto-loader")>("@grpc/proto-loader");
  const definition = loader.loadSync(echoProto, { longs: String });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  const server = new grpc.Server();
  server.addService(pkg.bench.echo.Echo.service, {
    echo(call: import("@grpc/grpc-js").ServerDuplexStream<unknown, unknown>) {
      let paused = false;
      call.on("data", (event) => {
        if (!call.write(event) && !paused) {
          paused = true;
          call.pause();
          call.once("drain", () => {
            paused = false;
            call.resume();
          });
        }
      });
      call.on("end", () => call.end());
      call.on("error", () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => (error ? reject(error) : resolve(port)),
    ),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** Connect-node: connectNodeAdapter on a cleartext node:http2 server. */
async function serveConnect(): Promise<EchoServer> {
  const { connectNodeAdapter } = await import("@connectrpc/connect-node");
  const { Echo } = await loadProtobufEsEcho();
  // `Echo` is loaded dynamically (typed any), so the handler is checked here by hand.
  const implementation = {
    async *echo(requests: AsyncIterable<unknown>) {
      for await (const event of requests) yield event;
    },
  };
  const handler = connectNodeAdapter({
    routes: (router) => router.service(Echo, implementation as any),
  });
  return listen(http2.createServer(handler));
}

/** A CommonJS package's exports, whichever way ESM interop presents them. */
export async function importCjs<T>(name: string): Promise<T> {
  const module = await import(name);
  return (module.default ?? module) as T;
}
