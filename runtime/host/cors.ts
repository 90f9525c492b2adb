/**
 * CORS, for pages on other origins calling the host: preflights answered
 * with the headers the Connect and gRPC-Web protocols send and read, and
 * calls from origins not allowed refused before their handler runs.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";

export interface CorsOptions {
  /** Origins (`https://app.example.com`) whose pages may call the host, or a test of one. */
  allowedOrigins: readonly string[] | ((origin: string) => boolean);
  /** Request headers of your own that pages send (the protocols' are always allowed). */
  allowedHeaders?: readonly string[];
  /**
   * More response headers pages may read. The protocols' and every header a
   * call's response carries (a handler's `responseHeaders`, Connect's
   * `trailer-*`) are exposed anyway.
   */
  exposedHeaders?: readonly string[];
  /** How long a browser may cache a preflight. Default 7200 s (Chromium caps it there). */
  maxAgeSeconds?: number;
  /** Let pages send cookies and HTTP authentication (`credentials: "include"`). Default false. */
  allowCredentials?: boolean;
}

/** What Connect and gRPC-Web clients send: connect-web, grpc-web. */
const PROTOCOL_REQUEST_HEADERS = [
  "content-type",
  "connect-protocol-version",
  "connect-timeout-ms",
  "connect-content-encoding",
  "connect-accept-encoding",
  "grpc-timeout",
  "grpc-encoding",
  "grpc-accept-encoding",
  "x-grpc-web",
  "x-user-agent",
];

/** What their clients read: statuses, encodings. */
const PROTOCOL_RESPONSE_HEADERS = [
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "grpc-accept-encoding",
  "connect-content-encoding",
  "connect-accept-encoding",
  "content-encoding",
];

/** Headers every page may read anyway (the CORS-safelisted response headers). */
const SAFELISTED = new Set(["cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"]);

export class Cors {
  private readonly allowed: (origin: string) => boolean;
  private readonly requestHeaders: string;
  private readonly responseHeaders: string;

  constructor(private readonly options: CorsOptions) {
    const origins = options.allowedOrigins;
    this.allowed = typeof origins === "function" ? origins : (origin) => origins.includes(origin);
    this.requestHeaders = [...PROTOCOL_REQUEST_HEADERS, ...(options.allowedHeaders ?? [])].join(", ");
    this.responseHeaders = [...PROTOCOL_RESPONSE_HEADERS, ...(options.exposedHeaders ?? [])].join(", ");
  }

  /**
   * The request's foreign origin, if it has one: undefined for requests
   * without `origin` (not from a browser) or from the host's own origin.
   */
  foreignOrigin(headers: IncomingHttpHeaders): string | undefined {
    const origin = headers.origin;
    if (typeof origin !== "string") return undefined;
    if (origin === `${headers[":scheme"]}://${headers[":authority"]}`) return undefined;
    return origin;
  }

  isAllowed(origin: string): boolean {
    return this.allowed(origin);
  }

  /** An OPTIONS request a browser sends before a cross-origin call. */
  isPreflight(headers: IncomingHttpHeaders): boolean {
    return headers[":method"] === "OPTIONS" && typeof headers["access-control-request-method"] === "string" && typeof headers.origin === "string";
  }

  /** The answer to an allowed origin's preflight (status 204). */
  preflight(origin: string): OutgoingHttpHeaders {
    return {
      ...this.base(origin),
      "access-control-allow-methods": "POST, GET",
      "access-control-allow-headers": this.requestHeaders,
      "access-control-max-age": String(this.options.maxAgeSeconds ?? 7200),
    };
  }

  /** A response to an allowed origin's call: `headers` with the CORS ones, exposing what they carry. */
  response(origin: string, headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const own = Object.keys(headers).filter((name) => name[0] !== ":" && !SAFELISTED.has(name.toLowerCase()));
    const exposed = own.length > 0 ? `${this.responseHeaders}, ${own.join(", ")}` : this.responseHeaders;
    return { ...headers, ...this.base(origin), "access-control-expose-headers": exposed };
  }

  private base(origin: string): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { "access-control-allow-origin": origin, vary: "Origin" };
    if (this.options.allowCredentials) headers["access-control-allow-credentials"] = "true";
    return headers;
  }
}
