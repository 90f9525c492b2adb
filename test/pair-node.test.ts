/**
 * The pair with the guest in Node (undici over HTTP/2, TLS): bidi, client-
 * and server-streaming calls through connectGateway against a generated
 * host, streaming the up direction and with the POST-batch fallback forced.
 */
import test from "ava";
import { selfSigned } from "./helpers/browser.js";
import { nodeGateway } from "./helpers/guest.js";
import { type Event, fromArray, loadEcho, request, startEchoHost } from "./helpers/host.js";

const payloadOf = (seq: number) => new Uint8Array(8).map((_, i) => (seq * 7 + i) & 0xff);

async function* events(count: number): AsyncGenerator<Event> {
  for (let seq = 1; seq <= count; seq++) yield { seq: BigInt(seq), payload: payloadOf(seq) };
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: a bidi call carries 20,000 events each way, in order, each once`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned() });
    const gateway = nodeGateway(t, echo.url, { upload });
    t.is(gateway.upload, upload);
    const client = (await loadEcho()).createEchoClient(gateway);
    let expected = 1;
    for await (const event of client.events(events(20_000))) {
      if (Number(event.seq) !== expected) t.fail(`echo ${expected}: got seq ${event.seq}`);
      t.deepEqual(event.payload, payloadOf(expected));
      expected++;
    }
    t.is(expected - 1, 20_000);
    const record = await echo.call("events");
    t.is(record.received, 20_000);
    t.true(record.finished);
  });

  test(`${upload}: client streaming, server streaming and unary through the gateway`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned() });
    const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { upload, headers: { "x-user": "ada" } }));
    const collected = await client.collect(fromArray(["a", "b", "c"].map((text) => request({ text }))));
    t.is(collected.text, "abc");
    t.is(collected.index, 3);
    t.is(collected.principal, "ada");
    const replies = [];
    for await (const reply of client.repeat(request({ text: "r", repeat: 3000 }))) replies.push(reply.index);
    t.deepEqual(replies, Array.from({ length: 3000 }, (_, i) => i));
    t.is((await client.say(request({ text: "hi" }))).text, "hi");
  });

  test(`${upload}: a handler's error reaches the guest with its code`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned() });
    const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { upload }));
    const error = await t.throwsAsync(client.collect(fromArray([request({ text: "no", failWith: 9 })])));
    t.is((error as { code?: number }).code, 9);
    t.is(error?.message, "no");
  });
}

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: a call outlives the host's up timeout while its up half keeps arriving`, async (t) => {
    const echo = await startEchoHost(t, { tls: selfSigned(), pair: { upTimeoutMs: 1000 } });
    const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { upload }));
    // The timeout leaves room for a loaded machine to open the up stream; the call lasts three times it.
    async function* slowly(): AsyncGenerator<Event> {
      for (let seq = 1; seq <= 8; seq++) {
        await new Promise((resolve) => setTimeout(resolve, 350));
        yield { seq: BigInt(seq), payload: payloadOf(seq) };
      }
    }
    const seqs: number[] = [];
    for await (const event of client.events(slowly())) seqs.push(Number(event.seq));
    t.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8], "2.8 s of calling, almost three times the up timeout");
  });
}
