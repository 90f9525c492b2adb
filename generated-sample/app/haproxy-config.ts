/**
 * The haproxy.cfg in front of several board hosts (docs/deploy.md explains
 * each line): TLS and HTTP/2 to browsers, h2c to each host, balancing per
 * request, health checks on the hosts' health path. `npm run start:cluster`
 * and the tests (test/helpers/haproxy.ts) run this one config.
 */
/** The header every pair half after the down carries: `<instance>.<random>` (docs/protocol.md). */
const PAIR_ID_HEADER = "streampath-pair-id";

export interface HaproxyConfig {
  /** The front's port on 127.0.0.1, TLS with `pem` (certificate and key in one file). */
  port: number;
  pem: string;
  /** name → `http://127.0.0.1:PORT` of an h2c host. */
  backends: { name: string; url: string }[];
  /** "round-robin" (default): any request to any host; "pair-id": a pair half to the host its id names. */
  route?: "round-robin" | "pair-id";
  /** The longest a host may say nothing on a stream. Default 60 s, longer than the pair's heartbeat (15 s). */
  timeoutServerMs?: number;
}

export function haproxyConfig(config: HaproxyConfig): string {
  const routes = config.route === "pair-id"
    ? config.backends.map((b) => `    use-server ${b.name} if { req.hdr(${PAIR_ID_HEADER}) -m beg ${b.name}. }`)
    : [];
  return [
    "global",
    "    maxconn 4000",
    // Chromium allows 256 streams per connection, and a streaming call holds two: haproxy's default is 100.
    "    tune.h2.max-concurrent-streams 256",
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 60s",
    `    timeout server ${config.timeoutServerMs ?? 60_000}ms`,
    "frontend fe",
    `    bind 127.0.0.1:${config.port} ssl crt ${config.pem} alpn h2,http/1.1`,
    "    default_backend hosts",
    "backend hosts",
    "    balance roundrobin",
    "    option redispatch 1",
    "    retries 2",
    ...routes,
    // 503 once a host drains; the check needs a Host header (it becomes :authority over h2).
    "    option httpchk",
    "    http-check connect proto h2",
    "    http-check send meth GET uri /.well-known/streampath/health ver HTTP/1.1 hdr host localhost",
    "    http-check expect status 200",
    "    default-server check inter 500ms fall 2 rise 2",
    ...config.backends.map((b) => `    server ${b.name} ${new URL(b.url).host} proto h2`),
    "",
  ].join("\n");
}
