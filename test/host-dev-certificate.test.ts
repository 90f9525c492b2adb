/**
 * developmentCertificate(): a certificate Node's TLS accepts for localhost,
 * 127.0.0.1 and ::1 when told to trust it, kept in its cache folder and
 * reused, remade when it no longer covers the names asked for.
 */
import test from "ava";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHost, developmentCertificate } from "../runtime/host/index.js";
import { echoServedBy } from "./helpers/host.js";

function cacheDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-dev-cert-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a made certificate is valid X.509 for localhost and loopback, signed by its own key", (t) => {
  const dir = cacheDir(t);
  const made = developmentCertificate({ dir });
  t.true(made.made);
  t.is(made.certFile, path.join(dir, "dev-cert.pem"));
  const x509 = new X509Certificate(made.cert);
  t.is(x509.checkHost("localhost"), "localhost");
  t.is(x509.checkIP("127.0.0.1"), "127.0.0.1");
  t.is(x509.checkIP("::1"), "::1");
  t.is(x509.checkHost("example.com"), undefined);
  t.true(x509.verify(x509.publicKey), "self-signed");
  const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
  t.true(days > 29 && days <= 30, `valid for ${days} more days`);
  t.is(statSync(path.join(dir, "dev-key.pem")).mode & 0o077, 0, "the key is readable by its owner only");
});

test("the second call reads it back from the cache folder; other names or a near expiry make a new one", (t) => {
  const dir = cacheDir(t);
  const first = developmentCertificate({ dir });
  const again = developmentCertificate({ dir });
  t.false(again.made);
  t.is(again.cert, first.cert);
  t.is(again.key, first.key);

  const wider = developmentCertificate({ dir, hosts: ["dev.example.test", "10.0.0.7"] });
  t.true(wider.made, "a name the cached one lacks");
  const x509 = new X509Certificate(wider.cert);
  t.is(x509.checkHost("dev.example.test"), "dev.example.test");
  t.is(x509.checkIP("10.0.0.7"), "10.0.0.7");

  const short = developmentCertificate({ dir: cacheDir(t), validDays: 2 });
  t.true(short.made);
  t.true(developmentCertificate({ dir: path.dirname(short.certFile) }).made, "within 3 days of expiry: remade");

  writeFileSync(path.join(dir, "dev-cert.pem"), "not a certificate");
  const mended = developmentCertificate({ dir });
  t.true(mended.made, "an unreadable cache is replaced");
  t.not(readFileSync(path.join(dir, "dev-cert.pem"), "utf8"), "not a certificate");
});

test("a host with it serves HTTP/2 over TLS to a client that trusts the certificate, by name and by address", async (t) => {
  const { cert, key } = developmentCertificate({ dir: cacheDir(t) });
  const host = await createHost({ tls: { key, cert }, services: [await echoServedBy({})] });
  t.teardown(() => host.close());
  for (const authority of [`https://localhost:${host.port}`, `https://127.0.0.1:${host.port}`]) {
    const session = http2.connect(authority, { ca: cert });
    t.teardown(() => session.close());
    const status = await new Promise<number>((resolve, reject) => {
      session.once("error", reject);
      const request = session.request({ ":method": "GET", ":path": "/.well-known/streampath/health" });
      request.once("response", (headers) => resolve(Number(headers[":status"])));
      request.once("error", reject);
      request.resume();
    });
    t.is(status, 200, authority);
  }
});
