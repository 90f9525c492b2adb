// Helpers shared by the bridge tests' window code (test/browser/bridge.page.ts and its parts).
import { type StreampathError } from "streampath/runtime/core";
import type { EchoClient } from "echo-generated/echo_host.js";
import type { WorkerRecord } from "./bridge.worker.js";

export const request = (text: string, init: { repeat?: number; failWith?: number; delayMs?: number } = {}) => ({
  text,
  repeat: init.repeat ?? 0,
  failWith: init.failWith ?? 0,
  delayMs: init.delayMs ?? 0,
});

export function payloadOf(seq: number): Uint8Array {
  return new Uint8Array(64).map((_, i) => (seq * 31 + i) & 0xff);
}

export async function* events(count: number) {
  for (let seq = 1; seq <= count; seq++) yield { seq: BigInt(seq), payload: payloadOf(seq) };
}

export async function* fromArray<T>(items: T[]) {
  yield* items;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Caught {
  name: string;
  code?: number;
  message: string;
}

/** What `promise` rejected with, or throws if it resolved. */
export async function caught(promise: Promise<unknown>): Promise<Caught> {
  try {
    await promise;
  } catch (error) {
    const e = error as StreampathError;
    return { name: e.name, code: e.code, message: e.message };
  }
  throw new Error("expected a rejection");
}

export async function drain<T>(responses: AsyncIterable<T>): Promise<{ items: T[]; error?: Caught }> {
  const items: T[] = [];
  try {
    for await (const item of responses) items.push(item);
    return { items };
  } catch (error) {
    const e = error as StreampathError;
    return { items, error: { name: e.name, code: e.code, message: e.message } };
  }
}

export async function probe(client: EchoClient): Promise<WorkerRecord[]> {
  return JSON.parse((await client.say(request("probe"))).text);
}

/** Polls the worker's records until `check` finds what it wants (up to 5 s); returns the last records either way. */
export async function probeUntil(client: EchoClient, check: (records: WorkerRecord[]) => boolean): Promise<WorkerRecord[]> {
  let records = await probe(client);
  for (let i = 0; i < 100 && !check(records); i++) {
    await sleep(50);
    records = await probe(client);
  }
  return records;
}

/** Whether the worker saw the (first) call of `path` open as binary. */
export async function crossedBinary(client: EchoClient, path: string): Promise<boolean | undefined> {
  const opened = JSON.parse((await client.say(request("opened"))).text) as { path: string; binary: boolean }[];
  return opened.find((o) => o.path === path)?.binary;
}

export const find = (records: WorkerRecord[], method: string, text: string) => records.find((r) => r.method === method && r.text === text);
export const over = (method: string, text: string) => (records: WorkerRecord[]) => {
  const r = find(records, method, text);
  return r !== undefined && r.aborted && r.finished;
};

