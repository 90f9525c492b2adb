// TLS: browsers need HTTP/2 over TLS, and hosts may link over it too.
import test from "ava";
import { createHost, connectHost, implement } from "../runtime/host/index.js";
import { loadEcho, request } from "./helpers/host.js";
import { selfSigned } from "./helpers/tls.js";

test("a TLS host serves a link that trusts its certificate, and refuses one that does not", async (t) => {
  const tls = selfSigned();
  const { Echo, EchoReply, createEchoClient } = await loadEcho();
  const host = await createHost({
    tls,
    services: [
      implement(Echo, {
        say: async (req: { text: string }) => EchoReply.create({ text: req.text }),
        async *repeat() {},
        collect: async () => EchoReply.create(),
        async *chat(reqs: AsyncIterable<{ text: string }>) {
          for await (const r of reqs) yield EchoReply.create({ text: r.text });
        },
        async *events() {},
        async *flood() {},
      } as never),
    ],
  });
  t.teardown(() => host.close(100));
  t.regex(host.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const trusted = connectHost(host.url, { ca: tls.cert });
  t.teardown(() => trusted.close());
  const client = createEchoClient(trusted);
  t.like(await client.say(request({ text: "over tls" })), { text: "over tls" });
  const texts: string[] = [];
  for await (const r of client.chat((async function* () { for (const text of ["a", "b", "c"]) yield request({ text }); })())) texts.push(r.text);
  t.deepEqual(texts, ["a", "b", "c"]);

  const untrusted = connectHost(host.url);
  t.teardown(() => untrusted.close());
  const error = await createEchoClient(untrusted).say(request({ text: "x" })).then(() => undefined, (e: unknown) => e);
  t.truthy(error, "a certificate nobody vouched for is refused");
  t.regex(String((error as Error).message), /certificate|self.signed/i);
});
