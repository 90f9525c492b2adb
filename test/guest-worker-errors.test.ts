/**
 * Errors in a worker: a handler's error reaches the caller in-realm as a
 * StreampathError with its code (a plain Error as unknown), a host's error
 * crosses the gateway and a write service unchanged, and serveWorker refuses
 * a registration it could not serve, naming the service.
 */
import test from "ava";
import { serveWorker } from "../runtime/guest/index.js";
import { fromArray, request } from "./helpers/host.js";
import { startWorker } from "./helpers/worker.js";

test("a handler's StreampathError reaches the caller with its code and message", async (t) => {
  const worker = await startWorker(t);
  const error = await t.throwsAsync(worker.reader.count(fromArray([request({ text: "refused", failWith: 9 })])));
  t.like(error, { name: "StreampathError", code: 9, message: "refused" });
  const streamed = worker.reader.mirror(fromArray([request({ text: "ok" }), request({ text: "late", failWith: 5 })]));
  const texts: string[] = [];
  const failure = await t.throwsAsync(async () => {
    for await (const reply of streamed) texts.push(reply.text);
  });
  t.deepEqual(texts, ["ok"], "what came before the error is delivered");
  t.like(failure, { code: 5, message: "late" });
});

test("a plain Error from a handler becomes unknown, keeping its message", async (t) => {
  const worker = await startWorker(t);
  const error = await t.throwsAsync(worker.reader.count(fromArray([request({ text: "oops", failWith: -1 })])));
  t.like(error, { name: "StreampathError", code: 2, message: "oops" });
});

test("a host's error crosses the gateway and a write service with its code", async (t) => {
  const worker = await startWorker(t);
  t.like(await t.throwsAsync(worker.reader.get(request({ text: "denied", failWith: 7 }))), { code: 7, message: "denied" });
  // Audit → Writer → Reader (in-realm), failing there.
  t.like(await t.throwsAsync(worker.audit.check(request({ text: "deep", failWith: 11 }))), { code: 11, message: "deep" });
});

test("serveWorker names a read/write dependency that is not registered", async (t) => {
  const { registry, services } = await startWorker(t);
  registry.close();
  const gateway = { call: () => fromArray([]) };
  const error = t.throws(() => serveWorker({ gateway, services: [services.writer, services.audit] }));
  t.regex(error!.message, /test\.guest\.Writer depends on read service test\.guest\.Reader, which is not registered/);
  t.throws(() => serveWorker({ gateway, services: [services.audit] }), { message: /test\.guest\.Audit depends on write service test\.guest\.Writer/ });
  t.notThrows(() => serveWorker({ gateway, services: [services.reader] }), "host dependencies need only the gateway");
});

test("serveWorker refuses a service registered twice, and an implementation lacking a method", async (t) => {
  const { registry, services, module } = await startWorker(t);
  registry.close();
  const gateway = { call: () => fromArray([]) };
  t.throws(() => serveWorker({ gateway, services: [services.reader, services.reader] }), { message: /test\.guest\.Reader is registered twice/ });
  const partial = module.defineReader(() => ({ get: () => undefined }));
  t.throws(() => serveWorker({ gateway, services: [partial] }), { message: /test\.guest\.Reader's implementation has no method list/ });
});
