/**
 * Credit in bytes: a pair's window is counted in envelopes and in bytes of
 * envelopes, so a window large enough for small messages stays bounded in
 * memory for large ones. The Outbox and Inbox rules, then a guest in Node
 * that stops reading a flood of 8 KiB events with a 64 KiB byte window.
 */
import test from "ava";
import { ENVELOPE_HEADER_BYTES } from "../runtime/core/envelope.js";
import { windowHeaders, windowOf } from "../runtime/core/pair.js";
import { Inbox, Outbox } from "../runtime/core/pair-window.js";
import type { BinaryWriter } from "../runtime/core/writer.js";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import { loadEcho, sleep, startEchoHost } from "./helpers/host.js";

/** A codec writing an `n`-byte message (n ≤ 128: a length byte and n - 1 bytes): envelopes of n + 5 bytes. */
const bytesCodec = { write: (n: number, w: BinaryWriter) => w.bytes(new Uint8Array(n - 1)) };

test("an Outbox starts no envelope once the bytes sent reach the byte limit; one may overshoot it", (t) => {
  const outbox = new Outbox({ messages: 1000, bytes: 250 }, { messages: 1000, bytes: Infinity });
  let added = 0;
  while (outbox.hasCredit && added < 100) outbox.add(bytesCodec, 95), added++;
  t.is(added, 3, "100-byte envelopes: at 200 bytes there is credit, at 300 none");
  t.is(outbox.sentBytes, 300);
  outbox.take();
  outbox.control({ ack: 3, limit: 1003, limitBytes: 500 });
  t.true(outbox.hasCredit);
  outbox.add(bytesCodec, 95);
  outbox.add(bytesCodec, 95);
  t.false(outbox.hasCredit, "500 bytes sent: the new limit is reached");
});

test("an Outbox keeps at most `keep` bytes unacknowledged, however much the receiver grants", async (t) => {
  const outbox = new Outbox({ messages: 1000, bytes: 1 << 30 }, { messages: 1000, bytes: 250 });
  for (let i = 0; i < 3; i++) outbox.add(bytesCodec, 95);
  t.false(outbox.hasCredit);
  outbox.take();
  const credit = outbox.credit();
  outbox.control({ ack: 2, limitBytes: 1 << 30 });
  t.false(outbox.hasCredit, "the chunk holding envelopes 1–3 is kept until all three are acknowledged");
  outbox.control({ ack: 3 });
  t.true(outbox.hasCredit);
  await credit;
});

test("an Inbox refuses an envelope started beyond the bytes granted, and grants bytes as whole batches are consumed", (t) => {
  const inbox = new Inbox({ messages: 1000, bytes: 400 });
  for (let i = 0; i < 4; i++) inbox.receive(100);
  t.throws(() => inbox.receive(100), { message: /beyond the credit of 1000 envelopes, 400 bytes/ });
  inbox.arrived(2, 200);
  inbox.arrived(2, 200);
  inbox.consume();
  t.is(inbox.consumedBytes, 0, "half a batch consumed holds its memory");
  inbox.consume();
  t.is(inbox.consumedBytes, 200);
  t.deepEqual(inbox.control(), { ack: 4, limit: 1002, limitBytes: 600 });
});

test("windows travel as headers; no byte header means no byte limit", (t) => {
  const headers = windowHeaders({ messages: 16, bytes: 4096 });
  t.deepEqual(windowOf((name) => headers[name]), { messages: 16, bytes: 4096 });
  const messagesOnly = windowHeaders({ messages: 16, bytes: Infinity });
  t.deepEqual(Object.keys(messagesOnly), ["streampath-window"]);
  t.deepEqual(windowOf((name) => messagesOnly[name]), { messages: 16, bytes: Infinity });
  t.is(windowOf((name) => ({ "streampath-window": "16", "streampath-window-bytes": "-1" })[name]), undefined);
  t.is(windowOf(() => undefined), undefined);
});

test("a guest that stops reading 8 KiB events stalls the host's handler at the byte window, not the message window", async (t) => {
  const echo = await startEchoHost(t, { tls: selfSigned() });
  const windowBytes = 64 * 1024;
  const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { window: 10_000, windowBytes }));
  const payload = 8192;
  const flood = client.flood({ text: "bytes", repeat: payload, failWith: 0, delayMs: 0 })[Symbol.asyncIterator]();
  const readFirst = 20;
  for (let i = 0; i < readFirst; i++) await flood.next();
  const record = await echo.call("flood", "bytes");
  let produced = -1;
  for (let i = 0; i < 50 && record.produced !== produced; i++) {
    produced = record.produced;
    await sleep(100);
  }
  // An event's envelope is its payload, a few bytes of fields, and the envelope header.
  const perEvent = payload + 8 + ENVELOPE_HEADER_BYTES;
  // Read events free their bytes only with their whole batch (a chunk of up to 64 KiB): up to
  // one batch of them still counts. Beyond the window, one envelope may overshoot the limit,
  // and the handler may be a couple ahead (the event it yields, the one the host pulled).
  const most = readFirst + Math.ceil(windowBytes / perEvent) + 1 + 2;
  t.log(`stalled at ${produced} produced (bound ${most})`);
  t.true(produced <= most, `the handler produced ${produced}: more than ${most}`);
  t.true(produced >= Math.floor(windowBytes / perEvent), `the handler produced only ${produced}`);
  await flood.next();
  await flood.return!();
});
