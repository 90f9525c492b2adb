// The bridge benchmark's window: `runPeer(command)` sends `count` 64-byte
// events to the worker and checks every echo, through one peer:
//   streampath-streams / -port  the generated Echo client over connectWorker (binary batches);
//   streampath-clone            the same, mode "streams", encoding "clone" (the plain objects, structured clone);
//   bridge-direct               connectWorker on a MessagePort whose serveBridge calls the handler directly (no serveWorker);
//   batched-transfer            arrays of HAND_BATCH events per chunk of a transferred ReadableStream (the ceiling);
//   naive-transfer              one event per chunk of a transferred ReadableStream;
//   comlink-style               one postMessage per event on a MessagePort, at most `window` in flight.
import { connectWorker, type WorkerConnection } from "streampath/runtime/view";
import { createEchoClient } from "streampath-bench-echo";
import { check, type Event, eventOf, HAND_BATCH, type RunCommand, type RunResult } from "./protocol.js";

const worker = new Worker("/worker.js", { type: "module" });
const connections = new Map<string, WorkerConnection>();

async function* events(count: number): AsyncGenerator<Event> {
  for (let seq = 1; seq <= count; seq++) yield eventOf(seq);
}

async function streampath(
  mode: "streams" | "port" | "direct",
  encoding: "auto" | "clone",
  count: number,
  bridge: RunCommand["bridge"],
): Promise<number> {
  const key = JSON.stringify([mode, encoding, bridge]);
  let connection = connections.get(key);
  if (!connection && mode === "direct") {
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ direct: port2 }, [port2]);
    connections.set(key, (connection = connectWorker(port1, { mode: "streams", encoding, ...bridge })));
  }
  if (!connection) connections.set(key, (connection = connectWorker(worker, { mode: mode as "streams" | "port", encoding, ...bridge })));
  let seq = 0;
  for await (const event of createEchoClient(connection).echo(events(count))) check(event, ++seq);
  return seq;
}

/** `count` events up a transferred stream, `perChunk` per chunk (one: each event its own chunk), echoed back the same way. */
async function transfer(count: number, perChunk: number): Promise<number> {
  let next = 1;
  const up = new ReadableStream<Event | Event[]>(
    {
      pull(controller) {
        if (next > count) return controller.close();
        if (perChunk === 1) return controller.enqueue(eventOf(next++));
        const chunk: Event[] = [];
        for (; chunk.length < perChunk && next <= count; next++) chunk.push(eventOf(next));
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: perChunk === 1 ? 64 : 8 },
  );
  const reply = new Promise<ReadableStream<Event | Event[]>>((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (!event.data?.naiveReply) return;
      worker.removeEventListener("message", onMessage);
      resolve(event.data.naiveReply);
    };
    worker.addEventListener("message", onMessage);
  });
  worker.postMessage({ naive: up }, [up as unknown as Transferable]);
  const reader = (await reply).getReader();
  let seq = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return seq;
    if (Array.isArray(value)) for (const event of value) check(event, ++seq);
    else check(value, ++seq);
  }
}

function comlink(count: number, window: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ comlink: port2 }, [port2]);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    const send = () => {
      while (sent < count && sent - received < window) port1.postMessage(eventOf(++sent));
    };
    port1.onmessage = (message: MessageEvent) => {
      try {
        check(message.data as Event, ++received);
      } catch (error) {
        reject(error);
      }
      if (received === count) {
        port1.close();
        resolve(received);
      } else send();
    };
    send();
  });
}

async function runPeer(command: RunCommand): Promise<RunResult> {
  const started = performance.now();
  let checked: number;
  switch (command.peer) {
    case "streampath-streams":
      checked = await streampath("streams", "auto", command.count, command.bridge);
      break;
    case "bridge-direct":
      checked = await streampath("direct", "auto", command.count, command.bridge);
      break;
    case "streampath-clone":
      checked = await streampath("streams", "clone", command.count, command.bridge);
      break;
    case "streampath-port":
      checked = await streampath("port", "auto", command.count, command.bridge);
      break;
    case "batched-transfer":
      checked = await transfer(command.count, HAND_BATCH);
      break;
    case "naive-transfer":
      checked = await transfer(command.count, 1);
      break;
    case "comlink-style":
      checked = await comlink(command.count, command.window);
      break;
  }
  if (checked !== command.count) throw new Error(`${command.peer}: ${checked} echoes of ${command.count}`);
  return { ms: performance.now() - started, checked };
}

(globalThis as unknown as { runPeer: typeof runPeer }).runPeer = runPeer;
