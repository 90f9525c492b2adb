/**
 * An end envelope needs no credit (docs/protocol.md, credit): each side adds
 * it whatever its credit. A call whose last message used the credit up
 * exactly, with the receiver not reading yet, must still end — it failed
 * resource_exhausted "envelope 3 beyond the credit of 2" in both directions.
 */
import test from "ava";
import { nodeGateway } from "./helpers/guest.js";
import { type EchoRequest, loadEcho, request, sleep, startEchoHost } from "./helpers/host.js";

for (const upload of ["stream", "batch"] as const) {
  test(`${upload}: requests that use the host's credit up exactly still end (the end needs none)`, async (t) => {
    // window 2: the host grants two requests; the handler waits before it reads, granting no more.
    const echo = await startEchoHost(t, { pair: { window: 2 } });
    const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { upload }));
    async function* two(): AsyncGenerator<EchoRequest> {
      yield request({ text: "a", delayMs: 300 });
      yield request({ text: "b" });
    }
    const reply = await client.collect(two());
    t.is(reply.text, "ab");
    t.is(reply.index, 2);
  });

  test(`${upload}: responses that use the guest's credit up exactly still end`, async (t) => {
    const echo = await startEchoHost(t);
    const client = (await loadEcho()).createEchoClient(nodeGateway(t, echo.url, { upload, window: 2 }));
    const replies: number[] = [];
    const iterator = client.repeat(request({ text: "r", repeat: 2 }))[Symbol.asyncIterator]();
    await sleep(100); // the host sends both replies and its end before the caller reads
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) replies.push(next.value.index);
    t.deepEqual(replies, [0, 1]);
    t.true((await echo.call("repeat")).finished);
  });
}
