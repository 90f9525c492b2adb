/**
 * A self-signed certificate for local development, as Vite's basic-ssl
 * gives: browsers speak HTTP/2 only over TLS, and the worker's streaming
 * calls need HTTP/2. Made with node:crypto (an ECDSA P-256 key, an X.509 v3
 * certificate written in DER below: no openssl, which Windows lacks, and no
 * dependency) and kept in a cache folder, so the browser's exception for it
 * lasts across restarts. Never for production: nobody trusts it.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface DevelopmentCertificateOptions {
  /** Where the key and certificate are kept. Default `node_modules/.cache/streampath` under the working directory. */
  dir?: string;
  /** Names it is for, besides localhost, 127.0.0.1 and ::1 (DNS names or IP addresses). */
  hosts?: string[];
  /** How long a new one is valid. Default 30 days; it is remade 3 days before it expires. */
  validDays?: number;
}

export interface DevelopmentCertificate {
  key: string;
  cert: string;
  /** The certificate file, for clients that should trust it (`NODE_EXTRA_CA_CERTS`, curl `--cacert`). */
  certFile: string;
  /** Made now (true) or read from the cache folder (false). */
  made: boolean;
}

const DAY_MS = 86_400_000;
const RENEW_BEFORE_DAYS = 3;
const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

/** Returns the cached certificate while it is good for the names and 3 more days, else makes one. */
export function developmentCertificate(options: DevelopmentCertificateOptions = {}): DevelopmentCertificate {
  const dir = path.resolve(options.dir ?? path.join("node_modules", ".cache", "streampath"));
  const keyFile = path.join(dir, "dev-key.pem");
  const certFile = path.join(dir, "dev-cert.pem");
  const hosts = ["localhost", "127.0.0.1", "::1", ...(options.hosts ?? [])];
  const cached = readCached(keyFile, certFile, hosts);
  if (cached) return { ...cached, certFile, made: false };
  const made = makeCertificate(hosts, options.validDays ?? 30);
  mkdirSync(dir, { recursive: true });
  // Each file whole or not at all, even with two processes starting at once.
  const temp = `.${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(keyFile + temp, made.key, { mode: 0o600 });
  writeFileSync(certFile + temp, made.cert);
  renameSync(keyFile + temp, keyFile);
  renameSync(certFile + temp, certFile);
  return { ...made, certFile, made: true };
}

function readCached(keyFile: string, certFile: string, hosts: string[]): { key: string; cert: string } | undefined {
  try {
    const key = readFileSync(keyFile, "utf8");
    const cert = readFileSync(certFile, "utf8");
    const x509 = new X509Certificate(cert);
    const fresh = Date.parse(x509.validTo) - Date.now() > RENEW_BEFORE_DAYS * DAY_MS;
    const covers = hosts.every((host) => (isIp(host) ? x509.checkIP(host) : x509.checkHost(host)) !== undefined);
    return fresh && covers && x509.checkPrivateKey(createPrivateKey(key)) ? { key, cert } : undefined;
  } catch {
    return undefined; // missing or unreadable: make a new one
  }
}

function makeCertificate(hosts: string[], validDays: number): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const name = sequence(set(sequence(oid("2.5.4.3"), tlv(0x0c, Buffer.from("localhost")))));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and without a leading zero byte
  const notBefore = new Date(Date.now() - DAY_MS); // a clock a little behind still accepts it
  const notAfter = new Date(Date.now() + validDays * DAY_MS);
  const altNames = hosts.map((host) => (isIp(host) ? tlv(0x87, ipBytes(host)) : tlv(0x82, Buffer.from(host))));
  const extensions = [
    extension("2.5.29.17", sequence(...altNames)), // subjectAltName: what browsers check
    extension("2.5.29.15", tlv(0x03, Buffer.from([0x07, 0x80])), true), // keyUsage: digitalSignature
    extension("2.5.29.37", sequence(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
  ];
  const toBeSigned = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    sequence(oid(ECDSA_WITH_SHA256)),
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    tlv(0xa3, sequence(...extensions)),
  );
  const signature = sign("sha256", toBeSigned, privateKey); // DER-encoded ECDSA
  const der = sequence(toBeSigned, sequence(oid(ECDSA_WITH_SHA256)), tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n");
  return {
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
  };
}

// DER, just what a certificate needs: lengths up to 64 KiB.
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * first! + second!];
  for (const arc of rest) {
    const group = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) group.unshift((value & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function extension(id: string, value: Buffer, critical = false): Buffer {
  return sequence(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

/** UTCTime, YYMMDDHHMMSSZ (valid through 2049, which RFC 5280 asks of it). */
function utcTime(date: Date): Buffer {
  return tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z"));
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(":");

function ipBytes(ip: string): Buffer {
  if (!ip.includes(":")) return Buffer.from(ip.split(".").map(Number));
  const [head, tail = ""] = ip.split("::");
  const groups = (part: string) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const left = groups(head!);
  const right = ip.includes("::") ? groups(tail) : [];
  const all = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, 2 * i));
  return bytes;
}
