// What every peer's client shares: payloads, echo checks, and for the raw
// node:http2 peer the hand-written wire format (gRPC envelopes holding
// `Event { uint64 seq = 1; bytes payload = 2; }`).

/** One run of events up a stream. Events carry seq 1..count. */
export interface StreamSpec {
  readonly count: number;
  readonly payloadBytes: number;
  /** Most events sent and not yet echoed. */
  readonly window: number;
  /**
   * Correctness pass: every event gets its own payload bytes and every echo
   * is compared byte for byte. Timed runs share one payload and check seq
   * and payload length only.
   */
  readonly verify: boolean;
}

/**
 * A sender blocked by the window resumes once this many events are still in
 * flight: resuming on every echo would wake it per message. All peers use it.
 */
export const resumeAt = (window: number): number => Math.floor(window / 2);

/** Payload of event `seq`: distinct bytes when verifying, else `shared`. */
export function payloadOf(
  seq: number,
  spec: StreamSpec,
  shared: Uint8Array,
): Uint8Array {
  if (!spec.verify) return shared;
  const bytes = new Uint8Array(spec.payloadBytes);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (seq * 31 + i * 7) & 0xff;
  return bytes;
}

export const sharedPayload = (size: number): Uint8Array =>
  new Uint8Array(size).fill(0x5a);

/**
 * Throws unless the echo is the one expected next: seq in order, each once,
 * payload intact (byte for byte when verifying).
 */
export function checkEcho(
  expectedSeq: number,
  seq: number | bigint | string,
  payload: Uint8Array | undefined,
  spec: StreamSpec,
): void {
  if (Number(seq) !== expectedSeq) {
    throw new Error(
      `echo out of order: expected seq ${expectedSeq}, got ${seq}`,
    );
  }
  const length = payload?.length ?? 0;
  if (length !== spec.payloadBytes) {
    throw new Error(
      `echo of seq ${expectedSeq}: payload of ${length} bytes, expected ${spec.payloadBytes}`,
    );
  }
  if (spec.verify) {
    for (let i = 0; i < length; i++) {
      if (payload![i] !== ((expectedSeq * 31 + i * 7) & 0xff)) {
        throw new Error(
          `echo of seq ${expectedSeq}: payload differs at byte ${i}`,
        );
      }
    }
  }
}

/** Throws unless every event came back. */
export function checkComplete(received: number, spec: StreamSpec): void {
  if (received !== spec.count) {
    throw new Error(`stream ended after ${received} of ${spec.count} echoes`);
  }
}

// ---- raw wire format -------------------------------------------------------

const varintLength = (value: number): number => {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
};

/** Bytes of the envelope of `Event { seq, payload }`, header included. */
export function envelopeLength(seq: number, payloadBytes: number): number {
  const body =
    1 +
    varintLength(seq) +
    (payloadBytes > 0 ? 1 + varintLength(payloadBytes) + payloadBytes : 0);
  return 5 + body;
}

function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

/** Writes one envelope at `pos` (room must exist); returns the end. */
export function writeEventEnvelope(
  buf: Uint8Array,
  pos: number,
  seq: number,
  payload: Uint8Array,
): number {
  const length = envelopeLength(seq, payload.length) - 5;
  buf[pos] = 0;
  buf[pos + 1] = length >>> 24;
  buf[pos + 2] = length >>> 16;
  buf[pos + 3] = length >>> 8;
  buf[pos + 4] = length;
  pos += 5;
  buf[pos++] = 0x08;
  pos = writeVarint(buf, pos, seq);
  if (payload.length > 0) {
    buf[pos++] = 0x12;
    pos = writeVarint(buf, pos, payload.length);
    buf.set(payload, pos);
    pos += payload.length;
  }
  return pos;
}

/**
 * The raw client's receive side: finds envelope boundaries in chunks split
 * anywhere, reads each event's seq (the varint after the leading 0x08 tag)
 * and skips the rest. `onEnvelope(seq, bodyLength)` runs per envelope.
 */
export class EnvelopeCounter {
  private readonly header = new Uint8Array(5);
  private headerFilled = 0;
  /** Body bytes of the current envelope still to come; -1 between envelopes. */
  private remaining = -1;
  private bodyLength = 0;
  /** 0: expecting the seq tag, 1: inside the seq varint, 2: seq done. */
  private seqState = 0;
  private seq = 0;
  private scale = 1;

  constructor(
    private readonly onEnvelope: (seq: number, bodyLength: number) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.remaining < 0) {
        while (this.headerFilled < 5 && pos < end)
          this.header[this.headerFilled++] = chunk[pos++]!;
        if (this.headerFilled < 5) return;
        this.headerFilled = 0;
        const h = this.header;
        this.bodyLength =
          h[1]! * 0x1000000 + ((h[2]! << 16) | (h[3]! << 8) | h[4]!);
        this.remaining = this.bodyLength;
        this.seqState = 0;
        this.seq = 0;
        this.scale = 1;
      }
      while (this.seqState < 2 && this.remaining > 0 && pos < end) {
        const b = chunk[pos++]!;
        this.remaining--;
        if (this.seqState === 0) {
          this.seqState = b === 0x08 ? 1 : 2;
        } else {
          this.seq += (b & 0x7f) * this.scale;
          this.scale *= 128;
          if (b < 0x80) this.seqState = 2;
        }
      }
      const skip = Math.min(this.remaining, end - pos);
      pos += skip;
      this.remaining -= skip;
      if (this.remaining === 0) {
        this.remaining = -1;
        this.onEnvelope(this.seq, this.bodyLength);
      }
    }
  }

  /** Bytes of an envelope begun and not finished (0 at a clean end). */
  get pending(): number {
    return this.headerFilled + (this.remaining < 0 ? 0 : 1);
  }
}
