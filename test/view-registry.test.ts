/**
 * serveView in Node: generated views calling each other in-realm (the very
 * objects arrive, pulled one at a time, in a cycle too) and the worker's
 * read/write services through a Transport that is a real serveWorker
 * registry (which reaches the echo host through its gateway).
 */
import test from "ava";
import { fromArray, request, sleep } from "./helpers/host.js";
import { startWindow } from "./helpers/view.js";

test("every method kind of a view, through serveView's transport and by path", async (t) => {
  const window = await startWindow(t);
  const got = await window.panel.get(request({ text: "hi" }));
  t.like(got, { text: "hi", principal: "anon" }, "answered by the host: view → worker's Reader → gateway");
  t.is((await window.call("get")).context.realm, "window");
  const listed = [];
  for await (const reply of window.panel.list(request({ text: "l", repeat: 3 }))) listed.push(reply.index);
  t.deepEqual(listed, [0, 1, 2]);
  const counted = await window.panel.count(fromArray(["a", "b", "c"].map((text) => request({ text }))));
  t.like(counted, { text: "abc", index: 3, principal: "window" });
  const mirrored = [];
  for await (const reply of window.panel.mirror(fromArray(["x", "y"].map((text) => request({ text }))))) mirrored.push(reply);
  t.like(mirrored, [{ text: "x", principal: "worker" }, { text: "y", principal: "worker" }], "answered by the worker's Reader.mirror");
  const byPath = [];
  for await (const reply of window.views.call(window.module.Panel.methods.list.path, fromArray([request({ text: "p", repeat: 2 })]))) {
    byPath.push(reply);
  }
  t.like(byPath, [{ text: "p", index: 0 }, { text: "p", index: 1 }]);
  const unknown = window.views.call("/test.view.Panel/Nope", fromArray([]));
  t.like(await t.throwsAsync(unknown[Symbol.asyncIterator]().next()), { code: 12, message: "no method /test.view.Panel/Nope in this window" });
});

test("a view calls a view in-realm with the caller's own objects, and the worker's write service through the worker transport", async (t) => {
  const window = await startWindow(t);
  const sent = request({ text: "same" });
  const reply = await window.shell.open(sent);
  const count = await window.call("count");
  t.is(count.requests[0], sent, "Panel got the very object the test sent to Shell: nothing was encoded or cloned");
  t.is(reply, count.replies[0], "and the test got the very object Panel returned");
  t.like(await window.worker.call("submit"), { requests: [{ text: "same" }] }, "Shell reached the worker's Writer");
  t.is((await window.worker.echo.call("say", "same")).received, 1, "and the Writer the host");

  const requests = ["1", "2", "3"].map((text) => request({ text }));
  const replies = [];
  for await (const r of window.shell.relay(fromArray(requests))) replies.push(r);
  const mirror = await window.call("mirror");
  for (let i = 0; i < 3; i++) t.is(mirror.requests[i], requests[i], "Shell → Panel handed over the caller's objects");
  t.deepEqual(
    replies.map((r) => [r.text, r.principal]),
    requests.map((r) => [r.text, "worker"]),
  );
  t.deepEqual((await window.worker.call("mirror")).requests, requests, "the worker's Reader got them through Writer.submitAll");
});

test("calls are pulled across views and on into the worker: nothing runs ahead of the consumer", async (t) => {
  const window = await startWindow(t);
  let produced = 0;
  async function* requests() {
    for (let i = 0; i < 1000; i++, produced++) yield request({ text: String(i) });
  }
  const replies = window.shell.relay(requests())[Symbol.asyncIterator]();
  for (let i = 0; i < 3; i++) t.is((await replies.next()).value?.text, String(i));
  await sleep(50);
  t.is((await window.call("mirror")).pulled, 3, "Panel took no request the consumer had not asked for");
  t.is((await window.worker.call("mirror")).pulled, 3, "nor did the worker's Reader");
  t.true(produced <= 3, `the caller's generator ran ahead: ${produced}`);
  await replies.return?.();

  const listed = window.panel.list(request({ repeat: 1000 }))[Symbol.asyncIterator]();
  await listed.next();
  await listed.next();
  await sleep(50);
  t.is((await window.call("list")).pulled, 1, "a server-streaming view runs to its next yield only when read");
  await listed.return?.();
});

test("views that depend on each other call each other", async (t) => {
  const window = await startWindow(t);
  const sent = request({ text: "round" });
  // Shell.outlined → Outline.check → Shell.open → Panel.count, and the worker's Writer.
  const reply = await window.shell.outlined(sent);
  t.like(reply, { text: "round", index: 1, principal: "window" });
  t.deepEqual(window.seen.map((s) => s.method), ["outlined", "check", "open", "count"]);
  t.is((await window.call("count")).requests[0], sent);
  t.like(await window.outline.check(request({ text: "direct" })), { text: "direct" });
});
