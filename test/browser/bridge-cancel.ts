// The bridge tests' cancellation scenario, run in the window (see test/browser-bridge-cancel.test.ts).
import { type CallOptions, type StreampathError } from "streampath/runtime/core";
import { connectWorker, type WorkerConnection } from "streampath/runtime/view";
import { createEchoClient, type EchoClient } from "echo-generated/echo_host.js";
import { type Caught, caught, drain, find, over, probeUntil, request, sleep } from "./bridge-common.js";

export async function cancel(connection: WorkerConnection, client: EchoClient, worker: Worker) {
  // The window's signal.
  const controller = new AbortController();
  const flood = client.flood(request("signal", { repeat: 8 }), { signal: controller.signal })[Symbol.asyncIterator]();
  for (let i = 0; i < 10; i++) await flood.next();
  controller.abort();
  const signalError = await caught(flood.next());
  const signal = find(await probeUntil(client, over("flood", "signal")), "flood", "signal");

  // Breaking out of for-await.
  let seen = 0;
  for await (const _ of client.repeat(request("break", { repeat: 1_000_000 }))) if (++seen === 3) break;
  const broke = find(await probeUntil(client, over("repeat", "break")), "repeat", "break");

  // A deadline.
  const t0 = performance.now();
  const deadlineError = await caught(client.say(request("slow", { delayMs: 30_000 }), { timeoutMs: 300 } satisfies CallOptions));
  const deadlineMs = performance.now() - t0;
  const deadline = find(await probeUntil(client, over("say", "slow")), "say", "slow");

  // The worker's handler fails mid-call: the window's iteration ends with its error, and the window's requests stop.
  let requestsFinished = false;
  let pulled = 0;
  async function* chatter() {
    try {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield request(`m${i}`, { failWith: i === 2 ? 10 : 0 });
      }
    } finally {
      requestsFinished = true;
    }
  }
  const failed = await drain(client.chat(chatter()));
  for (let i = 0; i < 100 && !requestsFinished; i++) await sleep(20);

  // Closing the connection fails running calls and later ones; the handler is aborted.
  const running = client.flood(request("closing", { repeat: 8 }))[Symbol.asyncIterator]();
  await running.next();
  connection.close();
  const closedRunning = await caught(running.next());
  const closedLater = await caught(client.say(request("after close")));
  const other = createEchoClient(connectWorker(worker, { mode: connection.mode }));
  const closing = find(await probeUntil(other, over("flood", "closing")), "flood", "closing");

  // The worker closing its bridge fails a running call with its reason.
  const last = other.flood(request("bridge-close", { repeat: 8 }))[Symbol.asyncIterator]();
  await last.next();
  worker.postMessage({ closeBridge: true });
  let bridgeClosed: Caught | undefined;
  for (let i = 0; i < 1_000_000 && !bridgeClosed; i++) {
    try {
      await last.next();
    } catch (error) {
      bridgeClosed = { name: (error as Error).name, code: (error as StreampathError).code, message: (error as Error).message };
    }
  }
  const afterBridgeClosed = await caught(other.say(request("after bridge close")));
  return {
    afterBridgeClosed,
    signal: { error: signalError, record: signal },
    broke,
    deadline: { error: deadlineError, ms: deadlineMs, record: deadline },
    failed: { count: failed.items.length, error: failed.error, requestsFinished, pulled },
    closed: { running: closedRunning, later: closedLater, record: closing },
    bridgeClosed,
  };
}

