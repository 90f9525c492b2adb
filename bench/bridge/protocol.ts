// What the bridge benchmark's page and worker share: the peers, the run
// command and its result, and the messages (64 bytes of payload that say
// which message they are, so every echo can be checked cheaply).

export const PEERS = ["streampath-streams", "streampath-port", "streampath-clone", "bridge-direct", "batched-transfer", "naive-transfer", "comlink-style"] as const;

/** Events per chunk of the hand-batched transfer. */
export const HAND_BATCH = 512;
export type Peer = (typeof PEERS)[number];

export interface RunCommand {
  peer: Peer;
  count: number;
  /** Messages in flight at most, for the one-postMessage-per-message peer. */
  window: number;
  /** connectWorker's window and maxBatch, when not its defaults (a diagnostic). */
  bridge?: { window?: number; maxBatch?: number };
}

export interface RunResult {
  ms: number;
  /** Echoes received, each checked. */
  checked: number;
}

export interface Event {
  seq: bigint;
  payload: Uint8Array;
}

export const PAYLOAD_BYTES = 64;

/** A fresh 64-byte payload for message `seq`: its first four bytes are seq, the last is seq's low byte. */
export function eventOf(seq: number): Event {
  const payload = new Uint8Array(PAYLOAD_BYTES);
  payload[0] = seq & 0xff;
  payload[1] = (seq >>> 8) & 0xff;
  payload[2] = (seq >>> 16) & 0xff;
  payload[3] = (seq >>> 24) & 0xff;
  payload[PAYLOAD_BYTES - 1] = seq & 0xff;
  return { seq: BigInt(seq), payload };
}

/** Throws unless `event` is the echo of message `seq`. */
export function check(event: Event, seq: number): void {
  const p = event.payload;
  if (
    Number(event.seq) !== seq ||
    p.length !== PAYLOAD_BYTES ||
    (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0 !== seq >>> 0 ||
    p[PAYLOAD_BYTES - 1] !== (seq & 0xff)
  ) {
    throw new Error(`echo ${seq}: got seq ${event.seq}, payload ${Array.from(p.subarray(0, 4))}`);
  }
}
