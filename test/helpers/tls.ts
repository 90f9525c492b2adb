// A throwaway self-signed certificate for TLS tests (openssl ships with Debian; .ci/run installs it if missing).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

let cert: { key: string; cert: string } | undefined;

/** A throwaway self-signed certificate for 127.0.0.1 and localhost, made once per process. */
export function selfSigned(): { key: string; cert: string } {
  if (cert) return cert;
  const dir = mkdtempSync(path.join(tmpdir(), "streampath-tls-"));
  try {
    execFileSync("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"],
      ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ], { stdio: "ignore" });
    cert = { key: readFileSync(path.join(dir, "key.pem"), "utf8"), cert: readFileSync(path.join(dir, "cert.pem"), "utf8") };
    return cert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
