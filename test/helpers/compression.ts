/**
 * Pieces of the compression tests: hand-made Connect requests, compression
 * bombs built by streaming (never holding what they inflate to), and a host
 * in a child process whose RSS the parent can ask for.
 *
 * The child: fork this file with STREAMPATH_ECHO_CHILD set to the directory
 * loadEcho() generated echo.proto into (echoGeneratedDir()). It serves a
 * minimal Echo on 127.0.0.1:0, sends `{ port }`, then answers "stats" with
 * `{ rss, maxRss, heapUsed, external, arrayBuffers, ok }` (maxRss: peak RSS in bytes; the rest after a gc(); ok: successful calls per
 * method) and ends on "stop" or when the parent goes away.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import zlib from "node:zlib";
import type http2 from "node:http2";
import type { MessageCodec } from "../../runtime/core/index.js";
import { createHost, implement, type ServiceDescriptor } from "../../runtime/host/index.js";

export type Encoding = "gzip" | "br";

export const connectUnaryHeaders = (method: string, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders => ({
  ":method": "POST",
  ":path": `/test.echo.Echo/${method}`,
  "content-type": "application/proto",
  "connect-protocol-version": "1",
  ...extra,
});

export const connectStreamHeaders = (method: string, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders => ({
  ":method": "POST",
  ":path": `/test.echo.Echo/${method}`,
  "content-type": "application/connect+proto",
  "connect-protocol-version": "1",
  ...extra,
});

/**
 * The error in a Connect stream's end-stream envelope (flag 2), if any.
 * (Envelopes parsed here, not with host.ts's parseEnvelopes: the child host
 * imports this file and should not load the generator and grpc-js too.)
 */
export function endStreamError(body: Uint8Array): { code: string; message: string } | undefined {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.length);
  for (let pos = 0; pos + 5 <= buffer.length; pos += 5 + buffer.readUInt32BE(pos + 1)) {
    if (!(buffer[pos] & 2)) continue;
    const json = buffer.subarray(pos + 5, pos + 5 + buffer.readUInt32BE(pos + 1)).toString();
    return (JSON.parse(json) as { error?: { code: string; message: string } }).error;
  }
  throw new Error(`no end-stream envelope in ${body.length} bytes`);
}

export const compressSync = (encoding: Encoding, bytes: Uint8Array): Buffer =>
  encoding === "gzip" ? zlib.gzipSync(bytes) : zlib.brotliCompressSync(bytes);

export const decompressSync = (encoding: Encoding, bytes: Uint8Array): Buffer =>
  encoding === "gzip" ? zlib.gunzipSync(bytes) : zlib.brotliDecompressSync(bytes);

export interface Bomb {
  encoding: Encoding;
  /** What it inflates to. */
  inflated: number;
  bytes: Buffer;
  ms: number;
}

/**
 * `inflated` bytes of zeros compressed, fed in 1 MiB chunks (one chunk of
 * zeros allocated, reused). gzip at level 9 (deflate cannot beat ~1032:1).
 * Brotli at quality 9 with a 16 MiB window (lgwin 24): on this 2-core
 * machine 1 GiB takes ~1.5 s and comes out ~800 bytes, while quality 10/11
 * (brotli's slow, optimal parsing) took 37-75 s for 1 GiB and came out
 * larger (841-1681 bytes): "max quality" is not the best bomb here.
 */
export async function makeBomb(encoding: Encoding, inflated: number): Promise<Bomb> {
  const started = Date.now();
  const { BROTLI_PARAM_QUALITY, BROTLI_PARAM_LGWIN, BROTLI_PARAM_SIZE_HINT } = zlib.constants;
  const stream =
    encoding === "gzip"
      ? zlib.createGzip({ level: 9 })
      : zlib.createBrotliCompress({ params: { [BROTLI_PARAM_QUALITY]: 9, [BROTLI_PARAM_LGWIN]: 24, [BROTLI_PARAM_SIZE_HINT]: inflated } });
  const out: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => (stream.once("end", resolve), stream.once("error", reject)));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = inflated; left > 0; left -= zeros.length) {
    if (!stream.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await new Promise((resolve) => stream.once("drain", resolve));
  }
  stream.end();
  await ended;
  return { encoding, inflated, bytes: Buffer.concat(out), ms: Date.now() - started };
}

// ------------------------------------------------------------ child host

interface Req { text: string; repeat: number }

const importGenerated = async <T>(dir: string, file: string): Promise<T> => (await import(pathToFileURL(path.join(dir, file)).href)) as T;

async function serveEchoInChild(dir: string): Promise<void> {
  const pb = await importGenerated<{ EchoReply: MessageCodec<{ text: string; index: number }> }>(dir, "echo_pb.ts");
  const { Echo } = await importGenerated<{ Echo: ServiceDescriptor }>(dir, "echo_host.ts");
  const ok: Record<string, number> = {};
  const done = <T>(method: string, value: T): T => ((ok[method] = (ok[method] ?? 0) + 1), value);
  const reply = (text: string, index = 0) => pb.EchoReply.create({ text, index });
  const impl = {
    say: (req: Req) => done("say", reply(req.text)),
    async *repeat(req: Req) {
      for (let i = 0; i < Math.min(req.repeat, 1000); i++) yield reply(req.text, i);
      done("repeat", 0);
    },
    async collect(reqs: AsyncIterable<Req>) {
      let text = "";
      for await (const req of reqs) text += req.text;
      return done("collect", reply(text));
    },
    async *chat(reqs: AsyncIterable<Req>) {
      for await (const req of reqs) yield reply(req.text);
      done("chat", 0);
    },
    async *events(reqs: AsyncIterable<unknown>) {
      yield* reqs;
    },
    async *flood() {},
  };
  const host = await createHost({ h2c: true, services: [implement(Echo, impl as never)] });
  const send = (message: object) => process.send?.(message);
  process.on("message", (message) => {
    if (message === "stats") {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      send({ rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed, external, arrayBuffers, ok });
    } else if (message === "stop") void host.close(100).finally(() => process.exit(0));
  });
  process.once("disconnect", () => process.exit(0));
  send({ port: host.port });
}

const childDir = process.env.STREAMPATH_ECHO_CHILD;
if (childDir && process.send) {
  serveEchoInChild(childDir).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
