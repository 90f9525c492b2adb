/**
 * The view tests' window: test/fixtures/view/{panel,shell}.proto generated
 * once per process into test/.gen/view-<pid>, served by `serveView` whose
 * worker transport is a real `serveWorker` registry (the guest tests'
 * worker, with its echo host), with implementations that record what they saw.
 *
 * Panel.get and Panel.mirror go to the worker (Reader.get → the host;
 * Writer.submitAll → Reader.mirror); Panel.list and Panel.count answer in
 * the window and honour `fail_with` and `delay_ms` there. Shell calls Panel
 * in-realm and the worker's Writer; Shell and Outline depend on each other.
 */
import path from "node:path";
import type { ExecutionContext } from "ava";
import type { CallOptions, Transport } from "../../runtime/core/index.js";
import { type ViewContext, type ViewRegistry, type ViewService, serveView } from "../../runtime/view/index.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./generated.js";
import { type Seen as CallSeen, ownHandlers, recorder } from "./realm-records.js";
import { type EchoReply, type EchoRequest, fromArray, waitFor } from "./host.js";
import { type ReaderClient, type TestWorker, type WriterClient, startWorker } from "./worker.js";

export interface PanelClient extends ReaderClient {}
export interface ShellClient {
  open(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
  relay(requests: AsyncIterable<EchoRequest>, options?: CallOptions): AsyncIterable<EchoReply>;
  outlined(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
}
export interface OutlineClient {
  check(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
}

/** panel_view.ts's and shell_view.ts's exports, as far as the tests use them. */
export interface ViewModules {
  Panel: { methods: Record<string, { path: string }> };
  definePanel(create: (deps: { reader: ReaderClient; writer: WriterClient }) => object): ViewService;
  createPanelClient(transport: Transport): PanelClient;
  defineShell(create: (deps: { panel: PanelClient; outline: OutlineClient; writer: WriterClient }) => object): ViewService;
  defineOutline(create: (deps: { shell: ShellClient }) => object): ViewService;
  createShellClient(transport: Transport): ShellClient;
  createOutlineClient(transport: Transport): OutlineClient;
}

let generated: Promise<ViewModules> | undefined;

/** Generates the view fixtures once per process (test files run in parallel processes), removed at exit. */
export function loadViews(): Promise<ViewModules> {
  generated ??= (async () => {
    const files = ["panel.proto", "shell.proto"].map((f) => path.join(FIXTURES, "view", f));
    const dir = await generateForThisProcess("view", { files, includePaths: [FIXTURES], strictRoles: true });
    const panel = await importGenerated<ViewModules>(dir, "view/panel_view.ts");
    const shell = await importGenerated<ViewModules>(dir, "view/shell_view.ts");
    return { ...panel, ...shell };
  })();
  return generated;
}

/** One handler call as a view's implementation saw it. */
export type ViewSeen = CallSeen<ViewContext>;

export interface TestWindow {
  worker: TestWorker;
  views: ViewRegistry;
  panel: PanelClient;
  shell: ShellClient;
  outline: OutlineClient;
  seen: ViewSeen[];
  /** The first call of `method` a view saw, waiting for it. */
  call(method: string, ms?: number): Promise<ViewSeen>;
  module: ViewModules;
  /** The three views, as given to serveView. */
  services: { panel: ViewService; shell: ViewService; outline: ViewService };
}

/** The guest tests' worker (echo host, gateway, serveWorker) and a window serving Panel, Shell and Outline over its registry. */
export async function startWindow(t: ExecutionContext): Promise<TestWindow> {
  const worker = await startWorker(t);
  const module = await loadViews();
  const seen: ViewSeen[] = [];
  const records = recorder(seen, "window");
  const { begin } = records;
  const own = ownHandlers(records);
  const services = {
    panel: module.definePanel(({ reader, writer }) => ({
      get: (request: EchoRequest, context: ViewContext) => {
        begin("get", context).requests.push(request);
        return reader.get(request, { signal: context.signal });
      },
      ...own,
      mirror: (requests: AsyncIterable<EchoRequest>, context: ViewContext) => {
        const record = begin("mirror", context);
        // What the view passes on to the worker, as it pulls it: the caller's own objects.
        async function* seenOnTheWay() {
          try {
            for await (const request of requests) {
              record.requests.push(request);
              record.pulled++;
              yield request;
            }
          } finally {
            record.finished = true;
          }
        }
        return writer.submitAll(seenOnTheWay(), { signal: context.signal });
      },
    })),
    shell: module.defineShell(({ panel, outline, writer }) => ({
      // Panel's reply comes back as it is: the caller can check nothing was copied.
      async open(request: EchoRequest, context: ViewContext) {
        begin("open", context).requests.push(request);
        const counted = await panel.count(fromArray([request]), { signal: context.signal });
        await writer.submit(request, { signal: context.signal });
        return counted;
      },
      relay: (requests: AsyncIterable<EchoRequest>, context: ViewContext) => {
        begin("relay", context);
        return panel.mirror(requests, { signal: context.signal });
      },
      outlined: (request: EchoRequest, context: ViewContext) => {
        begin("outlined", context);
        return outline.check(request, { signal: context.signal });
      },
    })),
    outline: module.defineOutline(({ shell }) => ({
      check: (request: EchoRequest, context: ViewContext) => {
        begin("check", context);
        return shell.open(request, { signal: context.signal });
      },
    })),
  };
  const views = serveView({ worker: worker.registry.transport, services: [services.panel, services.shell, services.outline] });
  t.teardown(() => views.close());
  return {
    worker,
    views,
    panel: module.createPanelClient(views.transport),
    shell: module.createShellClient(views.transport),
    outline: module.createOutlineClient(views.transport),
    seen,
    module,
    services,
    call: (method, ms = 5000) => waitFor(() => seen.find((s) => s.method === method), ms, `a ${method} call in the window`),
  };
}
