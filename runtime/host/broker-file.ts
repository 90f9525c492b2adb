/**
 * The memory broker's append-only file, so one instance's log survives a restart. The file
 * is a magic line, then records `u32 length | u32 crc32 | body`. A crash can leave the last
 * record torn (cut short, or zeros where the file grew): opening cuts it away. A bad record
 * with good ones after it is corruption, not a crash, and opening refuses the file.
 * Concurrent appends are written together (one write, one optional fsync), and compaction
 * rewrites the file beside it and renames it over, so a crash mid-way leaves the old file.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { Code, StreampathError } from "../core/error.js";

/** A published message. */
export const MESSAGE = 1;
/** A topic's newest position, written by compaction so positions never restart when nothing is kept. */
export const NEWEST = 2;

export interface LogRecord {
  kind: typeof MESSAGE | typeof NEWEST;
  topic: string;
  position: bigint;
  time: number;
  id: string | undefined;
  data: Uint8Array;
}

const MAGIC = Buffer.from("streampath-broker-log 1\n");
const FRAME = 8; // length, crc32
const FIXED = 1 + 1 + 8 + 8 + 2; // kind, topic length, position, time, id length

/** The bytes a record takes in the file. */
export function recordSize(topic: string, id: string | undefined, dataBytes: number): number {
  return FRAME + FIXED + topic.length + (id?.length ?? 0) + dataBytes; // topic and id are ASCII
}

export function encodeRecord(record: LogRecord): Buffer {
  const { topic, id = "", data } = record;
  const out = Buffer.allocUnsafe(recordSize(topic, id, data.byteLength));
  let at = FRAME;
  at = out.writeUInt8(record.kind, at);
  at = out.writeUInt8(topic.length, at);
  at += out.write(topic, at, "latin1");
  at = out.writeBigUInt64BE(record.position, at);
  at = out.writeDoubleBE(record.time, at);
  at = out.writeUInt16BE(id.length, at);
  at += out.write(id, at, "latin1");
  out.set(data, at);
  out.writeUInt32BE(out.length - FRAME, 0);
  out.writeUInt32BE(crc32(out.subarray(FRAME)), 4);
  return out;
}

/** The record in `body`, or undefined if it does not hold one. */
function decodeRecord(body: Buffer): LogRecord | undefined {
  if (body.length < FIXED) return undefined;
  const kind = body.readUInt8(0);
  const topicEnd = 2 + body.readUInt8(1);
  if ((kind !== MESSAGE && kind !== NEWEST) || topicEnd + FIXED - 2 > body.length) return undefined;
  const topic = body.toString("latin1", 2, topicEnd);
  const position = body.readBigUInt64BE(topicEnd);
  const time = body.readDoubleBE(topicEnd + 8);
  const idEnd = topicEnd + 18 + body.readUInt16BE(topicEnd + 16);
  if (idEnd > body.length) return undefined;
  const id = idEnd > topicEnd + 18 ? body.toString("latin1", topicEnd + 18, idEnd) : undefined;
  return { kind, topic, position, time, id, data: new Uint8Array(body.subarray(idEnd)) };
}

export interface Replay {
  records: LogRecord[];
  /** Bytes of a torn tail that were cut off. */
  truncated: number;
}

/** Reads `file`'s records, cutting off a torn tail; a missing file is an empty log. */
async function replay(file: string): Promise<Replay & { size: number }> {
  const bytes = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return Buffer.alloc(0);
    throw new StreampathError(Code.Unavailable, `broker log ${file}: ${err.message}`, { cause: err });
  });
  if (bytes.length < MAGIC.length && MAGIC.subarray(0, bytes.length).equals(bytes)) {
    await fs.writeFile(file, MAGIC); // new, or torn while being created
    return { records: [], truncated: bytes.length, size: MAGIC.length };
  }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new StreampathError(Code.FailedPrecondition, `${file} is not a streampath broker log; refusing to overwrite it`);
  }
  const records: LogRecord[] = [];
  let at = MAGIC.length;
  while (at < bytes.length) {
    const end = at + FRAME + (bytes.length - at >= FRAME ? bytes.readUInt32BE(at) : 0);
    const body = bytes.subarray(at + FRAME, end);
    const record = bytes.length - at >= FRAME && end <= bytes.length && crc32(body) === bytes.readUInt32BE(at + 4) ? decodeRecord(body) : undefined;
    if (record === undefined) {
      const torn = bytes.length - at < FRAME || end >= bytes.length || bytes.subarray(at).every((b) => b === 0);
      if (!torn) {
        throw new StreampathError(
          Code.DataLoss,
          `broker log ${file}: the record at byte ${at} is corrupt and ${bytes.length - end} bytes follow it; move the file aside to start empty`,
        );
      }
      await fs.truncate(file, at);
      return { records, truncated: bytes.length - at, size: at };
    }
    records.push(record);
    at = end;
  }
  return { records, truncated: 0, size: bytes.length };
}

interface Pending {
  chunk: Buffer;
  onWritten: () => void;
  resolve: () => void;
  reject: (reason: StreampathError) => void;
}

/**
 * The open file. `compaction` is asked after every write: it returns the records to keep when
 * the file should be rewritten (and undefined otherwise).
 */
export class LogFile {
  private queue: Pending[] = [];
  /** Set and cleared synchronously with the drain loop's check, so no append is left unwritten. */
  private running = false;
  private draining: Promise<void> = Promise.resolve();
  private failure: StreampathError | undefined;
  private closed = false;

  private constructor(
    readonly file: string,
    private handle: fs.FileHandle,
    public size: number,
    private readonly fsync: boolean,
    private readonly compaction: () => LogRecord[] | undefined,
  ) {}

  static async open(file: string, fsync: boolean, compaction: () => LogRecord[] | undefined): Promise<{ log: LogFile } & Replay> {
    const { records, truncated, size } = await replay(file);
    const handle = await fs.open(file, "a");
    return { log: new LogFile(file, handle, size, fsync, compaction), records, truncated };
  }

  /** Resolves once `chunk` is written (and fsynced if asked); `onWritten` runs first, in append order. */
  append(chunk: Buffer, onWritten: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new StreampathError(Code.Unavailable, "broker is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ chunk, onWritten, resolve, reject });
      if (!this.running) {
        this.running = true;
        this.draining = this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0 || this.failure !== undefined) return void (this.running = false);
      const batch = this.queue.splice(0);
      try {
        await this.write(Buffer.concat(batch.map((p) => p.chunk)));
        for (const p of batch) p.onWritten();
        for (const p of batch) p.resolve();
        const keep = this.compaction();
        if (keep !== undefined) await this.rewrite(keep);
      } catch (err) {
        this.failure = new StreampathError(Code.Unavailable, `broker log ${this.file}: ${(err as Error).message}`, { cause: err });
        for (const p of [...batch, ...this.queue.splice(0)]) p.reject(this.failure);
      }
    }
  }

  private async write(bytes: Buffer): Promise<void> {
    for (let at = 0; at < bytes.length; ) at += (await this.handle.write(bytes, at)).bytesWritten;
    if (this.fsync) await this.handle.datasync();
    this.size += bytes.length;
  }

  /** Writes `records` to a new file and renames it over this one. */
  private async rewrite(records: LogRecord[]): Promise<void> {
    const next = `${this.file}.compacting`;
    const bytes = Buffer.concat([MAGIC, ...records.map(encodeRecord)]);
    const handle = await fs.open(next, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync(); // the rename must not land before the data
    } finally {
      await handle.close();
    }
    await fs.rename(next, this.file);
    if (this.fsync) await syncDirectory(path.dirname(this.file));
    const old = this.handle;
    this.handle = await fs.open(this.file, "a");
    this.size = bytes.length;
    await old.close();
  }

  /** Waits for pending writes, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.draining;
    await this.handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
