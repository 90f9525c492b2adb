// The bridge benchmark's worker: Echo served in the worker (serveWorker +
// serveBridge, a handler that yields every event back; and on a port of its
// own, the bridge with a registry that calls the handler directly), and the peers
// done by hand — a transferred ReadableStream piped back through an identity
// TransformStream (one message per chunk), and a MessagePort that posts
// every message back (one postMessage per message, as Comlink does).
import { Code, StreampathError, type Transport } from "streampath/runtime/core";
import { defineWorkerService, serveBridge, serveWorker } from "streampath/runtime/guest";
import { Echo } from "streampath-bench-echo";
import type { Event } from "./protocol.js";

const noHost: Transport = {
  call: () => {
    throw new StreampathError(Code.Unimplemented, "the benchmark's worker has no host");
  },
};

async function* echoEvents(requests: AsyncIterable<Event>): AsyncGenerator<Event> {
  for await (const event of requests) yield event;
}

const echo = defineWorkerService(Echo, () => ({ echo: echoEvents }) as never, {});
// With `services`, Echo's calls cross as binary batches of its generated codecs.
serveBridge(serveWorker({ gateway: noHost, services: [echo] }), undefined, { services: [echo] });

self.addEventListener("message", (event: MessageEvent) => {
  const data = event.data as { naive?: ReadableStream<Event | Event[]>; comlink?: MessagePort; direct?: MessagePort } | null;
  if (data?.naive) {
    const back = data.naive.pipeThrough(new TransformStream<Event | Event[], Event | Event[]>());
    (self as unknown as Worker).postMessage({ naiveReply: back }, [back as unknown as Transferable]);
  } else if (data?.direct) {
    // The bridge alone: a registry that calls the handler directly, without serveWorker's in-realm call around it.
    serveBridge({ call: (_path, requests) => echoEvents(requests as AsyncIterable<Event>) }, data.direct, { services: [Echo] });
  } else if (data?.comlink) {
    const port = data.comlink;
    port.onmessage = (message: MessageEvent) => port.postMessage(message.data);
  }
});
