// The 64-byte events of the browser benchmark, as every peer carries them,
// and the check every echo goes through. Runs in the worker.
//
// Event `seq` (1, 2, 3, …) has the payload `recordOf(seq)`: seq as a u32
// little-endian in bytes 0–3, then (seq·31 + i·7) mod 256 in byte i. The
// streampath peer carries it as `Event { seq; payload }` (protobuf); the raw
// pair and the WebSockets carry the 64 bytes as they are, back to back.

export const RECORD_BYTES = 64;

/** Writes the payload of event `seq` into `target` at `offset`. */
export function writeRecord(
  target: Uint8Array,
  offset: number,
  seq: number,
): void {
  target[offset] = seq & 0xff;
  target[offset + 1] = (seq >>> 8) & 0xff;
  target[offset + 2] = (seq >>> 16) & 0xff;
  target[offset + 3] = (seq >>> 24) & 0xff;
  for (let i = 4; i < RECORD_BYTES; i++)
    target[offset + i] = (seq * 31 + i * 7) & 0xff;
}

export function recordOf(seq: number): Uint8Array {
  const record = new Uint8Array(RECORD_BYTES);
  writeRecord(record, 0, seq);
  return record;
}

/** Throws unless `bytes[offset…offset+64)` is exactly the payload of `seq`. */
export function checkRecord(
  bytes: Uint8Array,
  offset: number,
  seq: number,
): void {
  const stamped =
    (bytes[offset]! |
      (bytes[offset + 1]! << 8) |
      (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>>
    0;
  if (stamped !== seq)
    throw new Error(`echo out of order: expected seq ${seq}, got ${stamped}`);
  for (let i = 4; i < RECORD_BYTES; i++) {
    if (bytes[offset + i] !== ((seq * 31 + i * 7) & 0xff))
      throw new Error(`echo of seq ${seq}: payload differs at byte ${i}`);
  }
}

/**
 * Checks a byte stream of records cut anywhere (HTTP/2 frames, reads,
 * WebSocket messages): a record split across chunks is joined first.
 */
export class RecordChecker {
  /** Records checked so far: the seq of the last one. */
  received = 0;
  private readonly carry = new Uint8Array(RECORD_BYTES);
  private carried = 0;

  /** Checks every whole record in `chunk`; returns how many it completed. */
  push(chunk: Uint8Array): number {
    const before = this.received;
    let at = 0;
    if (this.carried > 0) {
      const take = Math.min(RECORD_BYTES - this.carried, chunk.length);
      this.carry.set(chunk.subarray(0, take), this.carried);
      this.carried += take;
      at = take;
      if (this.carried < RECORD_BYTES) return 0;
      checkRecord(this.carry, 0, ++this.received);
      this.carried = 0;
    }
    for (; at + RECORD_BYTES <= chunk.length; at += RECORD_BYTES)
      checkRecord(chunk, at, ++this.received);
    if (at < chunk.length) {
      this.carry.set(chunk.subarray(at), 0);
      this.carried = chunk.length - at;
    }
    return this.received - before;
  }

  /** Throws unless exactly `count` whole records arrived. */
  complete(count: number): void {
    if (this.received !== count || this.carried !== 0)
      throw new Error(
        `stream ended after ${this.received} of ${count} echoes` +
          (this.carried ? ` and ${this.carried} stray bytes` : ""),
      );
  }
}
