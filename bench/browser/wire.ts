// BENCH_BROWSER_WIRE=1: what the two-request peers put on the wire, seen by
// the host — how many DATA chunks each up request delivered and how many
// writes each down response took, and their bytes — since "per-chunk cost
// dominates" (docs, DESIGN.md "Wire") and a small chunk means a costly event.
// Patches http2.createSecureServer in the host process before createHost
// runs, and only observes: `emit("data")` and `write` are wrapped, nothing
// is read that the runtime would not read. Off by default, as it costs a
// little per chunk.
import http2 from "node:http2";
import {
  FLOOR_DOWN_PATH,
  FLOOR_UP_PATH,
  RAW_DOWN_PATH,
  RAW_UP_PATH,
} from "./protocol.js";

/** The two-request peers other than streampath, by path: `${peer} ${half}`. */
const BY_PATH: Record<string, string> = {
  [RAW_UP_PATH]: "raw up",
  [RAW_DOWN_PATH]: "raw down",
  [FLOOR_UP_PATH]: "floor up",
  [FLOOR_DOWN_PATH]: "floor down",
};

export interface WireStats {
  /** `${peer} ${half}`, e.g. "streampath up", "raw down", "floor up". */
  [key: string]: { streams: number; chunks: number; bytes: number };
}

let stats: WireStats = {};

function count(key: string, bytes: number): void {
  const entry = (stats[key] ??= { streams: 0, chunks: 0, bytes: 0 });
  entry.chunks++;
  entry.bytes += bytes;
}

function observe(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
): void {
  const path = String(headers[":path"] ?? "").split("?")[0]!;
  let key = BY_PATH[path];
  if (key === undefined) {
    const half = headers["streampath-half"];
    if (half !== "up" && half !== "down") return;
    key = `streampath ${half}`;
  }
  (stats[key] ??= { streams: 0, chunks: 0, bytes: 0 }).streams++;
  if (key.endsWith(" up")) {
    const emit = stream.emit;
    stream.emit = function (
      this: unknown,
      event: string | symbol,
      ...args: unknown[]
    ) {
      if (event === "data") count(key, (args[0] as Uint8Array).length);
      return emit.call(this, event, ...args);
    } as typeof stream.emit;
  } else {
    const write = stream.write;
    stream.write = function (
      this: unknown,
      chunk: unknown,
      ...rest: unknown[]
    ) {
      count(key, (chunk as Uint8Array).length);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  }
}

/** Makes every secure HTTP/2 server created from now on observed. */
export function watchWire(): void {
  const create = http2.createSecureServer;
  (http2 as { createSecureServer: unknown }).createSecureServer = (
    ...args: Parameters<typeof create>
  ) => {
    const server = create(...args);
    server.prependListener("stream", observe);
    return server;
  };
}

export function takeWireStats(): WireStats {
  const taken = stats;
  stats = {};
  return taken;
}
