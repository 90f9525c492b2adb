/**
 * A self-signed certificate for localhost, made with openssl the first time
 * and kept (gitignored) so the browser's exception for it lasts across
 * restarts. Browsers need TLS for HTTP/2, and HTTP/2 for streaming uploads.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const DAYS = 30;

export function devCertificate(dir: string): { key: string; cert: string; made: boolean } {
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  // Remade a few days before it expires, so a running demo never meets an expired one.
  const fresh = existsSync(keyFile) && existsSync(certFile) && Date.now() - statSync(certFile).mtimeMs < (DAYS - 3) * 86_400_000;
  if (!fresh) {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync("openssl", [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(DAYS), "-subj", "/CN=localhost"],
        ...["-keyout", keyFile, "-out", certFile],
        ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
      ], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? "").trim();
      throw new Error(`could not make a certificate with openssl (apt-get install -y openssl): ${stderr || (error as Error).message}`);
    }
  }
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), made: !fresh };
}
