/**
 * The memory broker with `file`: the broker contract, and what the file promises — the log
 * survives a reopen (positions, ids and dedup too), a torn tail left by a crash is cut away,
 * corruption with records after it and a file that is no log are refused untouched, compaction
 * keeps the newest messages and the newest position, concurrent publishes share writes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { Code, StreampathError } from "../runtime/core/error.js";
import { createMemoryBroker, type Broker, type MemoryBrokerOptions } from "../runtime/host/index.js";
import { brokerContract, bytes, firstError, publishAll, take, text } from "./helpers/broker-contract.js";

function tempFile(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streampath-broker-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, "events.log");
}

async function open(t: ExecutionContext, file: string, options: MemoryBrokerOptions = {}): Promise<Broker> {
  const broker = await createMemoryBroker({ ...options, file });
  t.teardown(() => broker.close());
  return broker;
}

const texts = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);
const all = async (broker: Broker, topic: string, count: number) => take(broker.subscribe(topic, { after: 0n }), count);

brokerContract("file", async (t, limits) => open(t, tempFile(t), { limits }));

test("file: the log survives a reopen: messages, positions, times, ids and their dedup", async (t) => {
  const file = tempFile(t);
  const first = await open(t, file, { fsync: true });
  for (const body of texts(1, 10)) await first.publish("board", bytes(body), { id: `id-${body}` });
  await first.publish("other", bytes("x"));
  const before = await all(first, "board", 10);
  await first.close();

  const second = await open(t, file);
  t.is(await second.last("board"), 10n);
  t.is(await second.last("other"), 1n);
  const after = await all(second, "board", 10);
  t.deepEqual(after.map((m) => [m.position, text(m.data), m.id, m.time]), before.map((m) => [m.position, text(m.data), m.id, m.time]));
  t.deepEqual(await second.publish("board", bytes("m3"), { id: "id-m3" }), { position: 3n, duplicate: true });
  t.deepEqual(await second.publish("board", bytes("m11")), { position: 11n, duplicate: false });
});

test("file: a torn last record (cut short, zeros, or a bad checksum) is cut away on open", async (t) => {
  const file = tempFile(t);
  const broker = await open(t, file);
  await publishAll(broker, "board", texts(1, 5));
  await broker.close();
  const whole = fs.statSync(file).size;

  // Half a record: its length says 200 bytes, 10 follow.
  const half = Buffer.alloc(18);
  half.writeUInt32BE(200, 0);
  fs.appendFileSync(file, half);
  const reopened = await open(t, file);
  t.is(await reopened.last("board"), 5n);
  t.is(fs.statSync(file).size, whole, "the torn bytes are gone");
  t.is((await reopened.publish("board", bytes("m6"))).position, 6n);
  await reopened.close();

  // Zeros where the file grew but the data never landed.
  fs.appendFileSync(file, Buffer.alloc(4096));
  const zeros = await open(t, file);
  t.deepEqual((await all(zeros, "board", 6)).map((m) => text(m.data)), texts(1, 6), "the record written after the first repair reads back");
  await zeros.close();

  // The last record's last byte flipped: its checksum fails, and it is the last one.
  const bytesNow = fs.readFileSync(file);
  bytesNow[bytesNow.length - 1] ^= 0xff;
  fs.writeFileSync(file, bytesNow);
  const flipped = await open(t, file);
  t.is(await flipped.last("board"), 5n, "m6 was torn");
});

test("file: a corrupt record with records after it, and a file that is no log, are refused and left as they are", async (t) => {
  const file = tempFile(t);
  const broker = await open(t, file);
  await publishAll(broker, "board", texts(1, 5));
  await broker.close();
  const good = fs.readFileSync(file);
  const corrupt = Buffer.from(good);
  corrupt[40] ^= 0xff; // inside the first record
  fs.writeFileSync(file, corrupt);
  const error = (await t.throwsAsync(createMemoryBroker({ file }))) as StreampathError;
  t.is(error.code, Code.DataLoss);
  t.regex(error.message, /events\.log: the record at byte 24 is corrupt and \d+ bytes follow it; move the file aside/);
  t.deepEqual(fs.readFileSync(file), corrupt, "nothing was cut");

  const other = path.join(path.dirname(file), "notes.txt");
  fs.writeFileSync(other, "my notes, not a broker log\n");
  const notLog = (await t.throwsAsync(createMemoryBroker({ file: other }))) as StreampathError;
  t.is(notLog.code, Code.FailedPrecondition);
  t.regex(notLog.message, /notes\.txt is not a streampath broker log; refusing to overwrite it/);
  t.is(fs.readFileSync(other, "utf8"), "my notes, not a broker log\n");
});

test("file: compaction keeps the file within twice what is kept, the newest messages, and the newest position", async (t) => {
  const file = tempFile(t);
  const limits = { maxMessages: 1000 };
  const broker = await open(t, file, { limits });
  let largest = 0;
  for (let i = 1; i <= 6000; i++) {
    await broker.publish("board", new Uint8Array(100).fill(i % 256));
    largest = Math.max(largest, fs.statSync(file).size);
  }
  const kept = 1000 * (100 + 34); // records of 100 bytes of data in topic "board"
  t.log(`6000 messages of 100 bytes, 1000 kept (${kept} bytes in the file): the file grew to at most ${largest} bytes`);
  t.true(largest <= 2 * kept + 134, `file reached ${largest} bytes`);
  await broker.close();

  const reopened = await open(t, file, { limits });
  t.is(await reopened.last("board"), 6000n);
  const newest = await all(reopened, "board", 1000);
  t.deepEqual(newest.map((m) => Number(m.position)), Array.from({ length: 1000 }, (_, i) => 5001 + i));
  t.true(newest.every((m) => m.data[0] === Number(m.position) % 256));
  t.is((await firstError(reopened.subscribe("board", { after: 4000n }))).code, Code.OutOfRange);
});

test("file: when every message aged out, compaction still keeps the newest position", async (t) => {
  const file = tempFile(t);
  const broker = await open(t, file, { limits: { maxAgeMs: 300 } });
  for (let i = 0; i < 1000; i++) await broker.publish("board", new Uint8Array(100));
  await new Promise((resolve) => setTimeout(resolve, 400));
  await broker.publish("other", bytes("this write triggers the compaction"));
  await broker.close(); // waits for the compaction that write started
  t.true(fs.statSync(file).size < 1024, `compacted to ${fs.statSync(file).size} bytes`);
  const reopened = await open(t, file, { limits: { maxAgeMs: 300 } });
  t.is(await reopened.last("board"), 1000n);
  t.is((await reopened.publish("board", bytes("next"))).position, 1001n, "positions go on, they never restart");
  t.is((await firstError(reopened.subscribe("board", { after: 500n }))).code, Code.OutOfRange);
});

test("file: concurrent publishes share writes and keep their order in the file", async (t) => {
  const file = tempFile(t);
  const broker = await open(t, file);
  const results = await Promise.all(texts(1, 1000).map((body) => broker.publish("board", bytes(body))));
  t.deepEqual(results.map((r) => r.position), results.map((_, i) => BigInt(i + 1)));
  await broker.close();
  const reopened = await open(t, file);
  t.deepEqual((await all(reopened, "board", 1000)).map((m) => text(m.data)), texts(1, 1000));
});
