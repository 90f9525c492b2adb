// TLS: browsers need HTTP/2 over TLS, and hosts may link over it too.
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHost, connectHost, implement } from "../runtime/host/index.js";
import { loadEcho, request } from "./helpers/host.js";

/** A throwaway self-signed certificate for 127.0.0.1 (openssl ships with Debian). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-tls-"));
  try {
    execFileSync("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"],
      ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ], { stdio: "ignore" });
    return { key: readFileSync(path.join(dir, "key.pem"), "utf8"), cert: readFileSync(path.join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
