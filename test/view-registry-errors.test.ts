/**
 * Errors in the window: a view's error reaches the caller with its code (a
 * plain Error as unknown), a host's error crosses the worker and the views
 * unchanged, and serveView refuses, naming the service, a registration it
 * could not serve — as serveWorker does.
 */
import test from "ava";
import type { WorkerService } from "../runtime/guest/index.js";
import { defineViewService, serveView, type ViewService } from "../runtime/view/index.js";
import { fromArray, request } from "./helpers/host.js";
import { startWindow } from "./helpers/view.js";

const worker = { call: () => fromArray([]) };

test("a view's StreampathError reaches the caller with its code and message; a plain Error becomes unknown", async (t) => {
  const window = await startWindow(t);
  t.like(await t.throwsAsync(window.panel.count(fromArray([request({ text: "refused", failWith: 9 })]))), {
    name: "StreampathError",
    code: 9,
    message: "refused",
  });
  t.like(await t.throwsAsync(window.panel.count(fromArray([request({ text: "oops", failWith: -1 })]))), { code: 2, message: "oops" });
  const texts: string[] = [];
  const failure = await t.throwsAsync(async () => {
    for await (const reply of window.panel.list(request({ text: "l", repeat: 2, failWith: 5 }))) texts.push(reply.text);
  });
  t.deepEqual(texts, ["l", "l"], "what came before the error is delivered");
  t.like(failure, { code: 5, message: "l" });
});

test("a host's error crosses the worker and two views with its code", async (t) => {
  const window = await startWindow(t);
  t.like(await t.throwsAsync(window.panel.get(request({ text: "denied", failWith: 7 }))), { code: 7, message: "denied" });
  // Outline → Shell → Panel (in-realm), failing there.
  t.like(await t.throwsAsync(window.outline.check(request({ text: "deep", failWith: 11 }))), { code: 11, message: "deep" });
});

test("serveView names a view dependency that is not registered; read/write ones need only the worker", async (t) => {
  const { views, services } = await startWindow(t);
  views.close();
  t.throws(() => serveView({ worker, services: [services.shell, services.outline] }), {
    instanceOf: TypeError,
    message: "serveView: test.view.Shell depends on view service test.view.Panel, which is not registered in this serveView call",
  });
  t.throws(() => serveView({ worker, services: [services.outline] }), { message: /test\.view\.Outline depends on view service test\.view\.Shell/ });
  t.notThrows(() => serveView({ worker, services: [services.panel] }), "Panel's Reader and Writer are the worker's");
});

test("serveView refuses a view registered twice, an implementation lacking a method, and what is not a view", async (t) => {
  const { views, services, module, worker: testWorker } = await startWindow(t);
  views.close();
  t.throws(() => serveView({ worker, services: [services.panel, services.panel] }), {
    instanceOf: TypeError,
    message: "serveView: test.view.Panel is registered twice",
  });
  const partial = module.definePanel(() => ({ get: () => undefined }));
  t.throws(() => serveView({ worker, services: [partial] }), { instanceOf: TypeError, message: "serveView: test.view.Panel's implementation has no method list" });
  // The types refuse these (test/view-type-rules.test.ts); a caller without them gets an error too.
  const reader = testWorker.services.reader as WorkerService as unknown as ViewService;
  t.throws(() => serveView({ worker, services: [reader] }), {
    instanceOf: TypeError,
    message: "serveView: test.guest.Reader is defined to run in a worker, not in a window",
  });
  const hostDependent = defineViewService(module.Panel as never, () => ({}) as never, {
    echo: { service: { typeName: "test.echo.Echo", methods: {} }, role: "host" as "read" },
  });
  t.throws(() => serveView({ worker, services: [hostDependent] }), {
    instanceOf: TypeError,
    message: "serveView: test.view.Panel may not depend on host service test.echo.Echo in a window",
  });
});
