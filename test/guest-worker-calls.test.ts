/**
 * serveWorker in Node: every method kind of a generated read service through
 * the registry, write services calling it in-realm (the very objects arrive,
 * pulled one at a time) and the echo host through the gateway, and two
 * write services that depend on each other.
 */
import test from "ava";
import { fromArray, request, sleep } from "./helpers/host.js";
import { startWorker } from "./helpers/worker.js";

test("every method kind of a read service, through the registry's transport and by path", async (t) => {
  const worker = await startWorker(t);
  const got = await worker.reader.get(request({ text: "hi" }));
  t.like(got, { text: "hi", principal: "anon" }, "answered by the host, through the gateway");
  const listed = [];
  for await (const reply of worker.reader.list(request({ text: "l", repeat: 3 }))) listed.push(reply.index);
  t.deepEqual(listed, [0, 1, 2]);
  const counted = await worker.reader.count(fromArray(["a", "b", "c"].map((text) => request({ text }))));
  t.like(counted, { text: "abc", index: 3 });
  const mirrored = [];
  for await (const reply of worker.reader.mirror(fromArray(["x", "y"].map((text) => request({ text }))))) mirrored.push(reply.text);
  t.deepEqual(mirrored, ["x", "y"]);
  const byPath = [];
  for await (const reply of worker.registry.call(worker.module.Reader.methods.list.path, fromArray([request({ text: "p", repeat: 2 })]))) {
    byPath.push(reply);
  }
  t.like(byPath, [{ text: "p", index: 0 }, { text: "p", index: 1 }]);
  const unknown = worker.registry.call("/test.guest.Reader/Nope", fromArray([]));
  t.like(await t.throwsAsync(unknown[Symbol.asyncIterator]().next()), { code: 12 });
});

test("a write service calls the read service in-realm with the caller's own objects, and the host through the gateway", async (t) => {
  const worker = await startWorker(t);
  const sent = request({ text: "same" });
  const reply = await worker.writer.submit(sent);
  const count = await worker.call("count");
  t.is(count.requests[0], sent, "the reader got the very object the test sent: nothing was encoded or copied");
  t.is(reply, count.replies[0], "and the test got the very object the reader returned");
  t.is((await worker.echo.call("say", "same")).received, 1, "the writer reached the host through the gateway");

  const requests = ["1", "2", "3"].map((text) => request({ text }));
  const replies = [];
  for await (const r of worker.writer.submitAll(fromArray(requests))) replies.push(r);
  const mirror = await worker.call("mirror");
  t.deepEqual(mirror.requests, requests);
  for (let i = 0; i < 3; i++) {
    t.is(mirror.requests[i], requests[i]);
    t.is(replies[i], mirror.replies[i]);
  }
});

test("in-realm calls are pulled: nothing runs ahead of the consumer, across two services", async (t) => {
  const worker = await startWorker(t);
  let produced = 0;
  async function* requests() {
    for (let i = 0; i < 1000; i++, produced++) yield request({ text: String(i) });
  }
  const replies = worker.writer.submitAll(requests())[Symbol.asyncIterator]();
  for (let i = 0; i < 3; i++) t.is((await replies.next()).value?.text, String(i));
  await sleep(50);
  const mirror = await worker.call("mirror");
  t.is(mirror.pulled, 3, "the reader took no request the consumer had not asked for");
  t.true(produced <= 3, `the caller's generator ran ahead: ${produced}`);
  await replies.return?.();

  const listed = worker.reader.list(request({ repeat: 1000 }))[Symbol.asyncIterator]();
  await listed.next();
  await listed.next();
  await sleep(50);
  t.is((await worker.call("list")).pulled, 1, "a server-streaming handler runs to its next yield only when read");
  await listed.return?.();
});

test("write services that depend on each other call each other", async (t) => {
  const worker = await startWorker(t);
  const sent = request({ text: "round" });
  // Writer.audited → Audit.check → Writer.submit → Reader.count, and the host.
  const reply = await worker.writer.audited(sent);
  t.like(reply, { text: "round", index: 1 });
  t.deepEqual(worker.seen.map((s) => s.method), ["audited", "check", "submit", "count"]);
  t.is((await worker.call("count")).requests[0], sent);
  t.is((await worker.echo.call("say", "round")).received, 1);
  t.like(await worker.audit.check(request({ text: "direct" })), { text: "direct" });
});
