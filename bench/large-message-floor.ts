// What any API that hands out a 64 KiB `bytes` field as one Uint8Array must
// pay, whatever its pipeline: (1) node:http2 delivers a message in DATA frames
// of at most 16 KiB, even when the receiver allows larger ones, so the message
// is joined by one copy; (2) a copy into fresh memory costs several times one
// into memory just used. bench/README "Large messages" reads these.
//
//   npx tsx bench/large-message-floor.ts   (no build, no protoc; about 5 s)
import http2 from "node:http2";
import type { AddressInfo } from "node:net";

const MESSAGE = 65_536 + 5;
const WRITES = 40;

/** The sizes of the chunks a server's stream emits for WRITES writes of MESSAGE bytes. */
async function chunkSizes(maxFrameSize: number): Promise<Map<number, number>> {
  const settings = { maxFrameSize, initialWindowSize: 4 << 20 };
  const server = http2.createServer({ settings });
  const sizes = new Map<number, number>();
  const ended = new Promise<void>((resolve) =>
    server.on("stream", (stream) => {
      stream.respond({ ":status": 200 });
      stream.on("data", (chunk: Buffer) => sizes.set(chunk.length, (sizes.get(chunk.length) ?? 0) + 1));
      stream.on("end", () => (stream.end(), resolve()));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { settings });
  const request = session.request({ ":method": "POST", ":path": "/" });
  request.resume();
  const message = Buffer.alloc(MESSAGE, 1);
  for (let i = 0; i < WRITES; i++) request.write(message);
  request.end();
  await ended;
  session.close();
  await new Promise((resolve) => server.close(resolve));
  return sizes;
}

/** µs per copy of a 64 KiB payload: into a new buffer each time, and into one reused. */
function copyCost(): { fresh: number; reused: number } {
  const source = Buffer.alloc(65_536, 3);
  const n = 20_000;
  const time = (copy: () => void) => {
    for (let i = 0; i < 1000; i++) copy();
    const start = performance.now();
    for (let i = 0; i < n; i++) copy();
    return ((performance.now() - start) * 1000) / n;
  };
  const reusedBuffer = Buffer.allocUnsafeSlow(MESSAGE);
  return {
    fresh: time(() => Buffer.allocUnsafeSlow(MESSAGE).set(source, 5)),
    reused: time(() => reusedBuffer.set(source, 5)),
  };
}

const top = (sizes: Map<number, number>) =>
  [...sizes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([size, count]) => `${count} × ${size} B`).join(", ");

console.log(`node:http2, ${WRITES} writes of ${MESSAGE} bytes (a 64 KiB message in its envelope); chunks the receiving stream emits, most common first:`);
for (const maxFrameSize of [16_384, 1 << 20]) {
  console.log(`  SETTINGS_MAX_FRAME_SIZE ${maxFrameSize} on both ends: ${top(await chunkSizes(maxFrameSize))}`);
}
for (let round = 1; round <= 3; round++) {
  const { fresh, reused } = copyCost();
  console.log(
    `copy of 64 KiB, round ${round}: into a new buffer ${fresh.toFixed(2)} µs, into one reused ${reused.toFixed(2)} µs (${(fresh / reused).toFixed(1)}×)`,
  );
}
