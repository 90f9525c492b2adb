/**
 * The Connect protocol (binary): unary calls as one `application/proto`
 * body with errors as JSON and HTTP statuses; streaming calls as
 * `application/connect+proto` envelopes ending with an end-stream envelope
 * that carries the error and trailers as JSON.
 */
import type { ServerHttp2Stream } from "node:http2";
import { encodeEnvelope, EnvelopeFlag } from "../core/envelope.js";
import { parseConnectTimeout } from "../core/deadline.js";
import { Code, StreampathError, codeName } from "../core/error.js";
import type { CallSetup } from "./dispatch.js";
import { invoke, raceAbort, readRequests, writeEnvelopes } from "./call.js";

export const CONNECT_UNARY = /^application\/proto(?:;.*)?$/i;
export const CONNECT_STREAM = /^application\/connect\+proto(?:;.*)?$/i;

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

export function connectTimeout(header: string | string[] | undefined): number | undefined {
  return typeof header === "string" ? parseConnectTimeout(header) : undefined;
}

function errorJson(error: StreampathError): { code: string; message: string } {
  return { code: codeName(error.code), message: error.message };
}

/** Answers a unary-style failure: HTTP status and a JSON error body. */
export function respondConnectError(stream: ServerHttp2Stream, error: StreampathError, headers: Record<string, string> = {}): void {
  // A stream the network broke has no one to answer (and respond() would throw).
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond({ ":status": HTTP_STATUS[error.code] ?? 500, "content-type": "application/json", ...headers });
  stream.end(JSON.stringify(errorJson(error)));
}

/** Serves one Connect call, unary or streaming; resolves when it has ended. */
export async function serveConnect(stream: ServerHttp2Stream, call: CallSetup, streaming: boolean): Promise<void> {
  const { method, handler, context, limits } = call;
  if (!streaming && method.kind !== "unary") {
    respondConnectError(stream, new StreampathError(Code.Unimplemented, `${method.path} is a streaming method: use application/connect+proto`));
    return;
  }
  if (!streaming) return serveUnary(stream, call);
  let started = false;
  const start = () => {
    started = true;
    stream.respond({ ":status": 200, "content-type": "application/connect+proto", ...context.responseHeaders });
  };
  let error: StreampathError | undefined;
  try {
    const requests = readRequests(stream, method.input, limits.maxMessageBytes, context.signal);
    await writeEnvelopes(stream, invoke(method, handler, requests, context), method.output, start, context.signal);
  } catch (caught) {
    error = context.signal.aborted ? StreampathError.from(context.signal.reason) : StreampathError.from(caught);
  }
  if (stream.destroyed) return;
  if (!started) start();
  const metadata = Object.fromEntries(Object.entries(context.responseTrailers).map(([k, v]) => [k, [v]]));
  const end = JSON.stringify({ ...(error ? { error: errorJson(error) } : {}), metadata });
  stream.end(encodeEnvelope(EnvelopeFlag.EndStream, new TextEncoder().encode(end)));
}

async function serveUnary(stream: ServerHttp2Stream, call: CallSetup): Promise<void> {
  const { method, handler, context, limits } = call;
  const trailerHeaders = () =>
    Object.fromEntries(Object.entries(context.responseTrailers).map(([k, v]) => [`trailer-${k}`, v]));
  try {
    const body = await readBody(stream, limits.maxMessageBytes, Number(context.requestHeaders["content-length"] ?? 0));
    let request: unknown;
    try {
      request = method.input.decode(body);
    } catch (error) {
      throw new StreampathError(Code.InvalidArgument, `cannot decode ${method.input.typeName}: ${(error as Error).message}`);
    }
    // Only unary methods get here: call the handler as it is, no stream plumbing.
    const response = await raceAbort(Promise.resolve().then(() => handler(request, context)), context.signal);
    const bytes = method.output.encode(response);
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "content-type": "application/proto", ...context.responseHeaders, ...trailerHeaders() });
    stream.end(bytes);
  } catch (caught) {
    const error = context.signal.aborted ? StreampathError.from(context.signal.reason) : StreampathError.from(caught);
    respondConnectError(stream, error, { ...context.responseHeaders, ...trailerHeaders() });
  }
}

/**
 * The whole request body, refusing one larger than the limit as soon as it
 * is: with no content-length, once the bytes pass it. The rest of such a
 * body is read and dropped, not reset, so the refusal reaches the client
 * as a status rather than a bare RST_STREAM.
 */
export function readBody(stream: ServerHttp2Stream, limit: number, contentLength: number): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new StreampathError(Code.ResourceExhausted, `message of ${size} bytes exceeds the limit of ${limit} bytes`);
  if (contentLength > limit) return Promise.reject(tooLarge(String(contentLength)));
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
