/**
 * The chunks of a Node readable (an HTTP/2 stream), each as it came, by its
 * `data` events. Not the stream's own async iterator: its `read()` joins all
 * that is buffered into one new buffer (a copy of every large message
 * spread over frames), and it holds a generator and seven end-of-stream
 * listeners per stream.
 */
import type { Readable } from "node:stream";
import { Channel } from "../core/channel.js";

/** At most `capacity` chunks wait for the consumer; the stream is paused meanwhile, which pushes back on its sender. */
export function readableChunks(readable: Readable, capacity = 4): AsyncIterator<Uint8Array> {
  const channel = new Channel<Uint8Array>(capacity);
  let ended = false;
  readable.on("data", (chunk: Uint8Array) => {
    if (channel.offer(chunk)) return;
    readable.pause();
    channel.send(chunk).then(
      () => readable.resume(),
      () => undefined, // the channel failed or the consumer stopped: the stream's owner ends it
    );
  });
  readable.once("end", () => {
    ended = true;
    channel.close(); // what waits to be sent is still read
  });
  readable.once("error", (error) => channel.fail(error));
  readable.once("close", () => {
    if (!ended) channel.fail(Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
  });
  return channel[Symbol.asyncIterator]();
}
