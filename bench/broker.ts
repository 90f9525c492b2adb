/**
 * The brokers side by side on 64-byte messages: the memory broker, the same with its file,
 * and NATS JetStream (a nats-server started here, `-js`, on a free port). Prints msg/s and
 * publish-to-subscriber latency; docs/broker.md quotes the figures.
 *
 *   npx tsx --conditions=source bench/broker.ts
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMemoryBroker, type Broker } from "../runtime/host/index.js";
import { createNatsBroker } from "../runtime/host/broker-nats.js";

const DATA = new Uint8Array(64);
const rate = (count: number, started: number) => Math.round(count / ((performance.now() - started) / 1000));

async function publishEach(broker: Broker, topic: string, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await broker.publish(topic, DATA);
  return rate(count, started);
}

async function publishWindow(broker: Broker, topic: string, count: number, window = 500): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += window) await Promise.all(Array.from({ length: window }, () => broker.publish(topic, DATA)));
  return rate(count, started);
}

async function read(broker: Broker, topic: string, count: number, after = 0n): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const _ of broker.subscribe(topic, { after })) if (++n >= count) break;
  return rate(count, started);
}

/** A subscriber reading live while `count` are published, 500 in flight: end to end msg/s. */
async function both(broker: Broker, topic: string, count: number): Promise<number> {
  const started = performance.now();
  const reading = read(broker, topic, count, await broker.last(topic));
  await publishWindow(broker, topic, count);
  await reading;
  return rate(count, started);
}

/** Publish-to-delivery latency at about 100 msg/s (the send time travels in the message): p50 and p99 in ms. */
async function latency(broker: Broker, topic: string, count: number): Promise<string> {
  const took: number[] = [];
  const reading = (async () => {
    for await (const m of broker.subscribe(topic, { after: await broker.last(topic) })) {
      took.push(performance.now() - new DataView(m.data.buffer, m.data.byteOffset, 8).getFloat64(0));
      if (took.length >= count) break;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(64);
    new DataView(data.buffer).setFloat64(0, performance.now());
    await broker.publish(topic, data);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await reading;
  took.sort((a, b) => a - b);
  return `${took[Math.floor(count * 0.5)].toFixed(2)} / ${took[Math.floor(count * 0.99)].toFixed(2)}`;
}

async function measure(name: string, broker: Broker, scale: number): Promise<Record<string, string | number>> {
  const row = {
    broker: name,
    "publish, each awaited": await publishEach(broker, "each", Math.round(5_000 * scale)),
    "publish, 500 in flight": await publishWindow(broker, "window", 50_000),
    "read 50,000 from 0": await read(broker, "window", 50_000),
    "publish + live read": await both(broker, "both", 20_000),
    "latency p50 / p99 ms": await latency(broker, "latency", 200),
  };
  await broker.close();
  return row;
}

async function startNats(dir: string): Promise<{ url: string; stop: () => void }> {
  const proc = spawn("nats-server", ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });
  proc.once("error", () => console.error("nats-server is not installed: apt-get install -y nats-server"));
  let log = "";
  const port = await new Promise<string>((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
    proc.stderr.on("data", (chunk: Buffer) => {
      log += chunk;
      const at = /Listening for client connections on [\d.]+:(\d+)[\s\S]*Server is ready/.exec(log);
      if (at) resolve(at[1]);
    });
  });
  return { url: `127.0.0.1:${port}`, stop: () => proc.kill() };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streampath-bench-broker-"));
const limits = { maxMessages: 1_000_000, maxBytes: 256 * 1024 * 1024 };
const nats = await startNats(path.join(dir, "nats"));
try {
  const rows = [
    await measure("memory", await createMemoryBroker({ limits }), 20),
    await measure("memory + file", await createMemoryBroker({ limits, file: path.join(dir, "events.log") }), 4),
    await measure("nats (JetStream, file storage)", await createNatsBroker({ servers: nats.url, limits }), 1),
  ];
  console.log(`${os.cpus().length} cores, Node ${process.version}, 64-byte messages, msg/s unless noted`);
  console.table(rows);
} finally {
  nats.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
