/**
 * The bridge tests' worker: the echo schema's Echo service implemented in
 * the worker (every call kind, the echo knobs, an endless flood) and served
 * to the window with serveWorker + serveBridge. Each call is recorded; the
 * window reads the records with `say({ text: "probe" })`, a call of its own.
 * A flood whose text starts with "host" relays the echo host's flood
 * through the gateway, so a cancel can be followed to the host.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import { connectGateway, defineWorkerService, type GuestContext, serveBridge, serveWorker } from "streampath/runtime/guest";
import { Echo, type EchoClient } from "echo-generated/echo_host.js";

interface EchoRequest { text: string; repeat: number; failWith: number; delayMs: number }
interface Event { seq: bigint; payload: Uint8Array }

export interface WorkerRecord {
  method: string;
  text: string;
  received: number;
  produced: number;
  aborted: boolean;
  abortReason?: { code?: number; message: string };
  finished: boolean;
  deadline?: number;
}

const records: WorkerRecord[] = [];
/** How each call crossed: seen beside serveBridge, on the same messages. */
const opened: { path: string; binary: boolean }[] = [];
self.addEventListener("message", (event: MessageEvent) => {
  const data = event.data as { "streampath-bridge"?: string; path?: string; binary?: boolean } | null;
  if (data?.["streampath-bridge"] === "open") opened.push({ path: String(data.path), binary: data.binary === true });
});

function begin(method: string, context: GuestContext, text = ""): WorkerRecord {
  const record: WorkerRecord = { method, text, received: 0, produced: 0, aborted: false, finished: false, deadline: context.deadline };
  records.push(record);
  context.signal.addEventListener(
    "abort",
    () => {
      const reason = context.signal.reason as { code?: number; message?: string };
      record.aborted = true;
      record.abortReason = { code: reason?.code, message: String(reason?.message ?? reason) };
    },
    { once: true },
  );
  return record;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

async function knobs(request: EchoRequest, context: GuestContext): Promise<void> {
  if (request.delayMs > 0) await sleep(request.delayMs, context.signal);
  if (request.failWith === -1) throw new Error(request.text);
  if (request.failWith > 0) throw new StreampathError(request.failWith, request.text);
}

const reply = (text: string, index = 0) => ({ text, index, principal: "worker", header: "" });

const service = defineWorkerService(
  Echo,
  ({ echoHost }: { echoHost: EchoClient }) => ({
    async say(request: EchoRequest, context: GuestContext) {
      if (request.text === "probe") return reply(JSON.stringify(records));
      if (request.text === "opened") return reply(JSON.stringify(opened));
      const record = begin("say", context, request.text);
      // Metadata for the caller: set before the answer, sent even when it fails.
      context.responseHeaders["x-echo-header"] = context.requestHeaders["x-custom"] ?? "none";
      context.responseTrailers["x-echo-trailer"] = `said ${request.text}`;
      try {
        await knobs(request, context);
        return { ...reply(request.text), header: context.requestHeaders["x-custom"] ?? "" };
      } finally {
        record.finished = true;
      }
    },
    async *repeat(request: EchoRequest, context: GuestContext) {
      const record = begin("repeat", context, request.text);
      context.responseHeaders["x-echo-header"] = "repeating";
      try {
        for (let i = 0; i < request.repeat; i++, record.produced++) {
          yield reply(request.text, i);
          context.responseTrailers["x-produced"] = String(i + 1);
        }
        await knobs(request, context);
      } finally {
        record.finished = true;
      }
    },
    async collect(requests: AsyncIterable<EchoRequest>, context: GuestContext) {
      const record = begin("collect", context);
      let text = "";
      try {
        for await (const request of requests) {
          if (record.received++ === 0) record.text = request.text;
          await knobs(request, context);
          text += request.text;
        }
        return reply(text, record.received);
      } finally {
        record.finished = true;
      }
    },
    async *chat(requests: AsyncIterable<EchoRequest>, context: GuestContext) {
      const record = begin("chat", context);
      try {
        for await (const request of requests) {
          if (record.received++ === 0) record.text = request.text;
          await knobs(request, context);
          record.produced++;
          yield reply(request.text, record.received - 1);
        }
      } finally {
        record.finished = true;
      }
    },
    async *events(requests: AsyncIterable<Event>, context: GuestContext) {
      const record = begin("events", context);
      try {
        for await (const event of requests) {
          record.received++;
          record.produced++;
          yield event;
        }
      } finally {
        record.finished = true;
      }
    },
    /** Endless until canceled (60 s and 5M events as a safety net); "host…" relays the host's flood. */
    async *flood(request: EchoRequest, context: GuestContext) {
      const record = begin("flood", context, request.text);
      try {
        if (request.text.startsWith("host")) {
          for await (const event of echoHost.flood(request, { signal: context.signal })) {
            record.produced++;
            yield event;
          }
          return;
        }
        const payload = new Uint8Array(Math.min(request.repeat, 1 << 16)).fill(0x61);
        const end = Date.now() + 60_000;
        for (let seq = 0n; seq < 5_000_000n && Date.now() < end; seq++) {
          record.produced++;
          yield { seq, payload };
        }
      } finally {
        record.finished = true;
      }
    },
  }) as never,
  { echoHost: { service: Echo, role: "host" } },
);

const registry = serveWorker({ gateway: connectGateway(location.origin), services: [service] });
// With `services`, Echo's calls may cross as binary batches (the window's encoding "auto").
const bridge = serveBridge(registry, undefined, { services: [service] });

// The window can ask the worker to close its bridge, to see running calls fail with the reason.
self.addEventListener("message", (event: MessageEvent) => {
  if ((event.data as { closeBridge?: boolean } | null)?.closeBridge) bridge.close(new StreampathError(Code.Unavailable, "closed by the test"));
});
