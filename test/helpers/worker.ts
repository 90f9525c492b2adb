/**
 * The guest tests' worker: test/fixtures/guest/worker.proto generated once
 * per process into test/.gen/guest-<pid>, served by `serveWorker` over a Node
 * gateway to an echo host, with implementations that record what they saw.
 *
 * Reader.get asks the host (so the echo knobs apply there); list, count and
 * mirror answer in the worker and honour `fail_with` and `delay_ms` there.
 * Writer calls Reader in-realm and the host through the gateway; Writer and
 * Audit depend on each other.
 */
import path from "node:path";
import type { ExecutionContext } from "ava";
import type { CallOptions, Transport } from "../../runtime/core/index.js";
import { type GuestContext, type WorkerRegistry, type WorkerService, serveWorker } from "../../runtime/guest/index.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./generated.js";
import { type Seen as CallSeen, knobs, ownHandlers, recorder } from "./realm-records.js";
import { selfSigned } from "./tls.js";
import { nodeGateway } from "./guest.js";
import { type EchoClient, type EchoHost, type EchoReply, type EchoRequest, fromArray, startEchoHost, waitFor } from "./host.js";

export const WORKER_PROTO = path.join(FIXTURES, "guest/worker.proto");

export interface ReaderClient {
  get(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
  list(request: EchoRequest, options?: CallOptions): AsyncIterable<EchoReply>;
  count(requests: AsyncIterable<EchoRequest>, options?: CallOptions): Promise<EchoReply>;
  mirror(requests: AsyncIterable<EchoRequest>, options?: CallOptions): AsyncIterable<EchoReply>;
}
export interface WriterClient {
  submit(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
  submitAll(requests: AsyncIterable<EchoRequest>, options?: CallOptions): AsyncIterable<EchoReply>;
  audited(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
}
export interface AuditClient {
  check(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
}

/** worker_guest.ts's exports, as far as the tests use them. */
export interface WorkerModule {
  Reader: { methods: Record<string, { path: string }> };
  defineReader(create: (deps: { echo: EchoClient }) => object): WorkerService;
  defineWriter(create: (deps: { echo: EchoClient; reader: ReaderClient; audit: AuditClient }) => object): WorkerService;
  defineAudit(create: (deps: { writer: WriterClient }) => object): WorkerService;
  createReaderClient(transport: Transport): ReaderClient;
  createWriterClient(transport: Transport): WriterClient;
  createAuditClient(transport: Transport): AuditClient;
}

let generated: Promise<{ dir: string; module: WorkerModule }> | undefined;

/** Generates worker.proto once per process (test files run in parallel processes), removed at exit. */
export function loadWorker(): Promise<{ dir: string; module: WorkerModule }> {
  generated ??= (async () => {
    const dir = await generateForThisProcess("guest", { files: [WORKER_PROTO], includePaths: [FIXTURES], strictRoles: true });
    return { dir, module: await importGenerated<WorkerModule>(dir, "guest/worker_guest.ts") };
  })();
  return generated;
}

/** One handler call as the worker's implementation saw it. */
export type Seen = CallSeen<GuestContext>;

export interface TestWorker {
  echo: EchoHost;
  registry: WorkerRegistry;
  reader: ReaderClient;
  writer: WriterClient;
  audit: AuditClient;
  seen: Seen[];
  /** The first call of `method` the worker saw, waiting for it. */
  call(method: string, ms?: number): Promise<Seen>;
  module: WorkerModule;
  /** The three services, as given to serveWorker. */
  services: { reader: WorkerService; writer: WorkerService; audit: WorkerService };
}

/** An echo host over TLS, and a worker serving Reader, Writer and Audit with a gateway to it. */
export async function startWorker(t: ExecutionContext): Promise<TestWorker> {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  const { module } = await loadWorker();
  const seen: Seen[] = [];
  const records = recorder(seen, "worker");
  const { begin, reply } = records;
  const own = ownHandlers(records);
  const services = {
    reader: module.defineReader(({ echo: host }) => ({
      get: (request: EchoRequest, context: GuestContext) => {
        begin("get", context).requests.push(request);
        return host.say(request, { signal: context.signal });
      },
      ...own,
      async *mirror(requests: AsyncIterable<EchoRequest>, context: GuestContext) {
        const record = begin("mirror", context);
        try {
          for await (const request of requests) {
            record.requests.push(request);
            record.pulled++;
            await knobs(request, context);
            yield reply(record, request, record.requests.length - 1);
          }
        } finally {
          record.finished = true;
        }
      },
    })),
    writer: module.defineWriter(({ echo: host, reader, audit }) => ({
      // The reader's reply comes back as it is: the caller can check nothing was copied.
      async submit(request: EchoRequest, context: GuestContext) {
        begin("submit", context).requests.push(request);
        const counted = await reader.count(fromArray([request]), { signal: context.signal });
        await host.say(request, { signal: context.signal });
        return counted;
      },
      submitAll: (requests: AsyncIterable<EchoRequest>, context: GuestContext) => {
        begin("submitAll", context);
        return reader.mirror(requests, { signal: context.signal });
      },
      audited: (request: EchoRequest, context: GuestContext) => {
        begin("audited", context);
        return audit.check(request, { signal: context.signal });
      },
    })),
    audit: module.defineAudit(({ writer }) => ({
      check: (request: EchoRequest, context: GuestContext) => {
        begin("check", context);
        return writer.submit(request, { signal: context.signal });
      },
    })),
  };
  const registry = serveWorker({ gateway: nodeGateway(t, echo.url), services: [services.reader, services.writer, services.audit] });
  t.teardown(() => registry.close());
  return {
    echo,
    registry,
    reader: module.createReaderClient(registry.transport),
    writer: module.createWriterClient(registry.transport),
    audit: module.createAuditClient(registry.transport),
    seen,
    module,
    services,
    call: (method, ms = 5000) => waitFor(() => seen.find((s) => s.method === method), ms, `a ${method} call in the worker`),
  };
}
