/**
 * The Connect protocol, `proto` and `json`: unary calls as one body
 * (`application/proto`, `application/json`, or a GET with the message in the
 * query) with errors as JSON and HTTP statuses; streaming calls as
 * `application/connect+proto|json` envelopes ending with an end-stream
 * envelope that carries the error and trailers as JSON. Over HTTP/2 or 1.1.
 */
import type { Readable } from "node:stream";
import type { OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { encodeEnvelope, EnvelopeFlag } from "../core/envelope.js";
import { parseConnectTimeout } from "../core/deadline.js";
import { Code, StreampathError, codeName } from "../core/error.js";
import { detailsToJson, fromBase64 } from "../core/error-details.js";
import type { CallSetup } from "./dispatch.js";
import { invoke, raceAbort, readRequests } from "./call.js";
import { writeEnvelopes } from "./write-envelopes.js";
import { ACCEPTED_ENCODINGS, acceptedEncoding, compress, decompress, requestEncoding } from "./compression.js";
import { type Exchange, http2Exchange } from "./exchange.js";
import { serialization } from "./serialization.js";

/** Connect's HTTP status for each code (for unary errors). */
const HTTP_STATUS: Record<Code, number> = {
  [Code.Ok]: 200,
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** Unary responses smaller than this are not worth compressing. */
const COMPRESS_MIN_BYTES = 1024;

export function connectTimeout(header: string | string[] | undefined): number | undefined {
  return typeof header === "string" ? parseConnectTimeout(header) : undefined;
}

/** Connect's JSON error: `{ code, message, details }`. */
export function connectErrorJson(error: StreampathError): { code: string; message: string; details?: unknown } {
  const json: { code: string; message: string; details?: unknown } = { code: codeName(error.code), message: error.message };
  if (error.details.length > 0) json.details = detailsToJson(error.details);
  return json;
}

/** Answers a unary-style failure: HTTP status and a JSON error body. */
export function replyConnectError(exchange: Exchange, error: StreampathError, headers: OutgoingHttpHeaders = {}): void {
  if (exchange.finished || exchange.headersSent) return; // nobody to answer, or answered already
  exchange.reply(HTTP_STATUS[error.code] ?? 500, { ...headers, "content-type": "application/json" }, JSON.stringify(connectErrorJson(error)));
}

/** The same on a bare HTTP/2 stream (the pair gateway's requests). */
export function respondConnectError(stream: ServerHttp2Stream, error: StreampathError, headers: Record<string, string> = {}): void {
  replyConnectError(http2Exchange(stream, {}), error, headers);
}

/** Serves one Connect streaming call (any method kind); resolves when it has ended. */
export async function serveConnectStream(call: CallSetup): Promise<void> {
  const { method, handler, context, limits, exchange, kind } = call;
  const contentType = `application/connect+${kind.format}`;
  let started = false;
  const start = () => {
    started = true;
    exchange.start(200, { ...context.responseHeaders, "content-type": contentType, "connect-accept-encoding": ACCEPTED_ENCODINGS });
  };
  let error: StreampathError | undefined;
  try {
    const encoding = requestEncoding(exchange.headers["connect-content-encoding"], "connect-content-encoding");
    const requests = readRequests(exchange, serialization(method.input, kind.format, call.json), limits.maxMessageBytes, context.signal, encoding);
    const output = serialization(method.output, kind.format, call.json);
    await writeEnvelopes(exchange.out, invoke(method, handler, requests, context), output, start, context.signal);
  } catch (caught) {
    error = context.signal.aborted ? StreampathError.from(context.signal.reason) : StreampathError.from(caught);
  }
  if (exchange.finished) return;
  if (!started) start();
  const metadata = Object.fromEntries(Object.entries(context.responseTrailers).map(([k, v]) => [k, [v]]));
  const end = JSON.stringify({ ...(error ? { error: connectErrorJson(error) } : {}), metadata });
  exchange.out.end(encodeEnvelope(EnvelopeFlag.EndStream, new TextEncoder().encode(end)));
}

/** Serves one Connect unary call, POST or GET. */
export async function serveConnectUnary(call: CallSetup): Promise<void> {
  const { method, handler, context, exchange, kind } = call;
  const trailerHeaders = () =>
    Object.fromEntries(Object.entries(context.responseTrailers).map(([k, v]) => [`trailer-${k}`, v]));
  try {
    if (method.kind !== "unary") {
      throw new StreampathError(Code.Unimplemented, `${method.path} is a streaming method: use application/connect+${kind.format}`);
    }
    const body = kind.protocol === "connect-get" ? await queryMessage(call) : await postBody(call);
    const request = serialization(method.input, kind.format, call.json).decode(body, 0, body.length);
    // Only unary methods get here: call the handler as it is, no stream plumbing.
    const response = await raceAbort(Promise.resolve().then(() => handler(request, context)), context.signal);
    let bytes = serialization(method.output, kind.format, call.json).encode(response);
    const headers: OutgoingHttpHeaders = { ...context.responseHeaders, ...trailerHeaders(), "content-type": `application/${kind.format}` };
    const encoding = bytes.length >= COMPRESS_MIN_BYTES ? acceptedEncoding(exchange.headers["accept-encoding"]) : undefined;
    if (encoding) {
      bytes = await compress(encoding, bytes);
      headers["content-encoding"] = encoding;
    }
    if (exchange.finished) return;
    exchange.reply(200, headers, bytes);
  } catch (caught) {
    const error = context.signal.aborted ? StreampathError.from(context.signal.reason) : StreampathError.from(caught);
    const headers: OutgoingHttpHeaders = { ...context.responseHeaders, ...trailerHeaders() };
    if (error.code === Code.Unimplemented && /encoding/.test(error.message)) headers["accept-encoding"] = ACCEPTED_ENCODINGS;
    replyConnectError(exchange, error, headers);
  }
}

/** A POST's body, decompressed as `content-encoding` says, each step within the message limit. */
async function postBody({ exchange, limits, context }: CallSetup): Promise<Uint8Array> {
  const encoding = requestEncoding(exchange.headers["content-encoding"], "content-encoding");
  const body = await readBody(exchange.body, limits.maxMessageBytes, Number(exchange.headers["content-length"] ?? 0));
  return encoding ? decompress(encoding, body, limits.maxMessageBytes, context.signal) : body;
}

/** A GET's message: `?message=` (base64url with `base64=1`), decompressed as `compression=` says. */
async function queryMessage({ exchange, method, limits, context }: CallSetup): Promise<Uint8Array> {
  if (method.idempotency !== "no_side_effects") {
    throw new StreampathError(Code.Unimplemented, `${method.path} has side effects: GET is only for methods with idempotency_level = NO_SIDE_EFFECTS, use POST`);
  }
  exchange.body.resume(); // a GET has no body worth reading
  const path = exchange.headers[":path"] ?? "";
  const query = path.slice(path.indexOf("?") + 1);
  const params = new URLSearchParams(query);
  const body = params.get("base64") === "1" ? fromBase64(params.get("message") ?? "") : queryBytes(query, "message");
  if (body.length > limits.maxMessageBytes) {
    throw new StreampathError(Code.ResourceExhausted, `message of ${body.length} bytes exceeds the limit of ${limits.maxMessageBytes} bytes`);
  }
  const encoding = requestEncoding(params.get("compression") ?? undefined, "compression");
  return encoding ? decompress(encoding, body, limits.maxMessageBytes, context.signal) : body;
}

/**
 * A query parameter's value as the bytes it percent-encodes. Not
 * URLSearchParams: it decodes to UTF-8 text, which would turn a binary
 * message's bytes above 0x7f into U+FFFD.
 */
function queryBytes(query: string, name: string): Uint8Array {
  for (const pair of query.split("&")) {
    const equals = pair.indexOf("=");
    if ((equals < 0 ? pair : pair.slice(0, equals)) !== name) continue;
    const value = equals < 0 ? "" : pair.slice(equals + 1);
    const out: number[] = [];
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
        out.push(parseInt(value.slice(i + 1, i + 3), 16));
        i += 2;
      } else if (c === 0x2b) out.push(0x20); // form encoding: + is a space
      else if (c < 0x80) out.push(c);
      else out.push(...new TextEncoder().encode(value[i]!));
    }
    return new Uint8Array(out);
  }
  return new Uint8Array(0);
}

/**
 * The whole request body, refusing one larger than the limit as soon as it
 * is: with a content-length above it at once, else once the bytes pass it.
 * The rest of such a body is read and dropped, not reset, so the refusal
 * reaches the client as a status rather than a bare RST_STREAM.
 */
export function readBody(stream: Readable, limit: number, contentLength: number): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new StreampathError(Code.ResourceExhausted, `message of ${size} bytes exceeds the limit of ${limit} bytes`);
  if (contentLength > limit) {
    stream.resume(); // drain the rest unread
    return Promise.reject(tooLarge(String(contentLength)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = (error?: StreampathError) => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      if (error) return reject(error);
      const body = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        body.set(c, offset);
        offset += c.length;
      }
      resolve(body);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      chunks.length = 0;
      done(tooLarge(`more than ${limit}`));
      stream.resume(); // drain the rest unread
    };
    const onEnd = () => done();
    const onClose = () => done(new StreampathError(Code.Canceled, "the request was reset before its body ended"));
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onClose);
  });
}
