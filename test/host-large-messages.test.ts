/**
 * Large messages both ways, byte for byte. A message that arrives split is
 * reassembled into a buffer of its own and its payload handed out as a view
 * of it; a batch that fills a big buffer is written without a copy and that
 * buffer filled again once its write completes. Each of those would show
 * here as a payload with another message's bytes: every payload differs
 * from the others, and every echo is checked in full, in order, over h2c
 * and TLS, and with each link protocol.
 */
import test from "ava";
import { connectHost } from "../runtime/host/index.js";
import { loadEcho, startEchoHost, type EchoClient, type Event } from "./helpers/host.js";
import { selfSigned } from "./helpers/tls.js";

/** Above one HTTP/2 frame (16 KiB) several times over, and not a multiple of it. */
const PAYLOAD = 70_001;
const COUNT = 150;

const byteOf = (seq: number, i: number) => (seq * 31 + i * 7 + (i >> 8)) & 0xff;

function payloadOf(seq: number): Uint8Array {
  const out = new Uint8Array(PAYLOAD + (seq % 3) * 1000);
  for (let i = 0; i < out.length; i++) out[i] = byteOf(seq, i);
  return out;
}

/** The first wrong byte of `event`'s payload, or undefined. */
function firstWrong(event: Event, seq: number): string | undefined {
  const p = event.payload;
  if (p.length !== PAYLOAD + (seq % 3) * 1000) return `length ${p.length}`;
  for (let i = 0; i < p.length; i++) if (p[i] !== byteOf(seq, i)) return `byte ${i}: ${p[i]}, not ${byteOf(seq, i)}`;
  return undefined;
}

/** Sends COUNT events as fast as flow control lets, and checks each echo as it comes. */
async function echoAll(t: import("ava").ExecutionContext, client: EchoClient): Promise<void> {
  async function* events(): AsyncGenerator<Event> {
    for (let seq = 1; seq <= COUNT; seq++) yield { seq: BigInt(seq), payload: payloadOf(seq) };
  }
  const held: Event[] = [];
  let seq = 0;
  for await (const event of client.events(events())) {
    seq++;
    t.is(Number(event.seq), seq, "in order");
    const wrong = firstWrong(event, seq);
    if (wrong) return void t.fail(`echo ${seq}: ${wrong}`);
    held.push(event);
  }
  t.is(seq, COUNT);
  // Payloads kept past later arrivals are still their own: none was a view of a buffer filled again.
  for (const [i, event] of held.entries()) {
    const wrong = firstWrong(event, i + 1);
    if (wrong) return void t.fail(`echo ${i + 1}, read again at the end: ${wrong}`);
  }
}

for (const protocol of ["grpc", "connect"] as const) {
  test(`h2c, ${protocol}: ${COUNT} events of about 70 KB echo byte for byte`, async (t) => {
    const echo = await startEchoHost(t);
    const { createEchoClient } = await loadEcho();
    const link = connectHost(echo.url, { protocol });
    t.teardown(() => link.close());
    await echoAll(t, createEchoClient(link));
    t.is(echo.calls[0]?.received, COUNT);
  });
}

test(`TLS: ${COUNT} events of about 70 KB echo byte for byte`, async (t) => {
  const tls = selfSigned();
  const echo = await startEchoHost(t, { tls });
  const { createEchoClient } = await loadEcho();
  const link = connectHost(echo.url, { ca: tls.cert });
  t.teardown(() => link.close());
  await echoAll(t, createEchoClient(link));
});
