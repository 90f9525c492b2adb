/**
 * One request and its response, over HTTP/2 (a ServerHttp2Stream) or
 * HTTP/1.1 (an IncomingMessage and its ServerResponse): what the gRPC-Web
 * and Connect protocols need of either. gRPC itself needs HTTP/2 trailers
 * and works on the stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { Readable, Writable } from "node:stream";

export interface Exchange {
  /** Request headers, HTTP/2-style: `:method`, `:path` and `:authority` too on HTTP/1.1. */
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: "2" | "1.1";
  /** The request body. */
  readonly body: Readable;
  /** The response body, with back-pressure: `write()` false means wait for `drain`. */
  readonly out: Writable;
  /** Set on HTTP/2: the stream (gRPC needs its trailers). */
  readonly stream: ServerHttp2Stream | undefined;
  /** Set on HTTP/1.1: the request and its response (for `fallbackHttp1`). */
  readonly http1: { request: IncomingMessage; response: ServerResponse } | undefined;
  /** Applied to the headers of every response (CORS). */
  decorate: ((headers: OutgoingHttpHeaders) => OutgoingHttpHeaders) | undefined;
  readonly headersSent: boolean;
  /** The connection or stream is gone, or the response already ended. */
  readonly finished: boolean;
  /** Starts a streamed response: headers now, body through `out`. */
  start(status: number, headers: OutgoingHttpHeaders): void;
  /** A whole response at once (with content-length on HTTP/1.1). */
  reply(status: number, headers: OutgoingHttpHeaders, body?: Uint8Array | string): void;
  /** The client reset the stream or dropped the connection before its body ended. */
  wasReset(): boolean;
  /** Runs when the exchange is over, whichever way (sent, reset, connection lost); maybe twice (reset, then closed): idempotent listeners only. */
  onClose(listener: () => void): void;
  /** It is over: the stream or the response has closed. */
  readonly isClosed: boolean;
}

/**
 * A class, not an object literal: the literal's getters and its late `decorate` put it in V8's
 * dictionary mode, 832 bytes of properties per stream (bench:memory's heap snapshots).
 */
class Http2Exchange implements Exchange {
  readonly httpVersion = "2";
  readonly http1 = undefined;
  decorate: ((headers: OutgoingHttpHeaders) => OutgoingHttpHeaders) | undefined = undefined;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly headers: IncomingHttpHeaders,
  ) {}

  get body(): Readable {
    return this.stream;
  }
  get out(): Writable {
    return this.stream;
  }
  get headersSent(): boolean {
    return this.stream.headersSent;
  }
  get finished(): boolean {
    return this.stream.destroyed || this.stream.closed || this.stream.writableEnded;
  }
  start(status: number, headers: OutgoingHttpHeaders): void {
    this.stream.respond({ ...(this.decorate ? this.decorate(headers) : headers), ":status": status });
  }
  reply(status: number, headers: OutgoingHttpHeaders, body?: Uint8Array | string): void {
    const all = { ...(this.decorate ? this.decorate(headers) : headers), ":status": status };
    if (body === undefined) return this.stream.respond(all, { endStream: true });
    this.stream.respond(all);
    this.stream.end(body);
  }
  wasReset(): boolean {
    return this.stream.aborted || (this.stream.rstCode !== undefined && this.stream.rstCode !== 0);
  }
  onClose(listener: () => void): void {
    // `on`, not `once` (a bound wrapper and its state per listener): the stream emits each at most once.
    this.stream.on("aborted", listener);
    this.stream.on("close", listener);
  }
  get isClosed(): boolean {
    return this.stream.closed || this.stream.destroyed;
  }
}

export function http2Exchange(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Exchange {
  return new Http2Exchange(stream, headers);
}

/** HTTP/1.1 headers as HTTP/2 names them, so protocol code reads one shape. */
function pseudoHeaders(request: IncomingMessage): IncomingHttpHeaders {
  return {
    ...request.headers,
    ":method": request.method,
    ":path": request.url,
    ":authority": request.headers.host,
    ":scheme": (request.socket as { encrypted?: boolean }).encrypted ? "https" : "http",
  } as IncomingHttpHeaders;
}

export function http1Exchange(request: IncomingMessage, response: ServerResponse): Exchange {
  let over = false;
  response.once("close", () => (over = true));
  return {
    headers: pseudoHeaders(request),
    httpVersion: "1.1",
    body: request,
    out: response,
    stream: undefined,
    http1: { request, response },
    decorate: undefined,
    get headersSent() {
      return response.headersSent;
    },
    get finished() {
      return over || response.destroyed || response.writableEnded;
    },
    start(status, headers) {
      response.writeHead(status, this.decorate ? this.decorate(headers) : headers);
      response.flushHeaders(); // a stream's first message may be long in coming
    },
    reply(status, headers, body) {
      const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
      response.writeHead(status, { ...(this.decorate ? this.decorate(headers) : headers), "content-length": length });
      response.end(body);
    },
    get isClosed() {
      return over;
    },
    wasReset: () => !request.complete,
    onClose: (listener) => {
      response.once("close", listener);
    },
  };
}
