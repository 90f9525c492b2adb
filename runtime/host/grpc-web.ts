/**
 * gRPC-Web (`application/grpc-web`, `+proto`, `+json`, and `-text`, whose
 * body is base64): gRPC's envelopes over HTTP/2 or HTTP/1.1, with the status
 * as a last envelope (flag 0x80) of `name: value` lines in the body, since
 * browsers cannot read HTTP trailers.
 */
import { Code, StreampathError } from "../core/error.js";
import { encodeEnvelope } from "../core/envelope.js";
import type { CallSetup } from "./dispatch.js";
import { type RequestBody, invoke, readRequests } from "./call.js";
import { writeEnvelopes } from "./write-envelopes.js";
import { ACCEPTED_ENCODINGS, requestEncoding } from "./compression.js";
import { grpcStatus } from "./grpc.js";
import { serialization } from "./serialization.js";

/** The flag of gRPC-Web's trailer envelope. */
const TRAILER_FLAG = 0x80;

const toBase64 = (chunk: Uint8Array) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString("base64");

/** Serves one gRPC-Web call; resolves when it has ended. */
export async function serveGrpcWeb(call: CallSetup): Promise<void> {
  const { method, handler, context, limits, exchange, kind } = call;
  const text = kind.protocol === "grpc-web-text";
  const contentType = text ? "application/grpc-web-text+proto" : `application/grpc-web+${kind.format}`;
  let started = false;
  const start = () => {
    started = true;
    exchange.start(200, { ...context.responseHeaders, "content-type": contentType, "grpc-accept-encoding": ACCEPTED_ENCODINGS });
  };
  let error: StreampathError | undefined;
  try {
    const encoding = requestEncoding(context.requestHeaders["grpc-encoding"], "grpc-encoding");
    const body = text ? base64Body(exchange) : exchange;
    const requests = readRequests(body, serialization(method.input, kind.format, call.json), limits.maxMessageBytes, context.signal, encoding);
    const responses = invoke(method, handler, requests, context);
    const output = serialization(method.output, kind.format, call.json);
    await writeEnvelopes(exchange.out, responses, output, start, context.signal, text ? toBase64 : undefined);
  } catch (caught) {
    error = context.signal.aborted ? StreampathError.from(context.signal.reason) : StreampathError.from(caught);
  }
  if (exchange.finished) return;
  if (!started) start();
  const trailers = { ...context.responseTrailers, ...grpcStatus(error) };
  const lines = Object.entries(trailers).map(([name, value]) => `${name.toLowerCase()}: ${value}\r\n`).join("");
  const envelope = encodeEnvelope(TRAILER_FLAG, new TextEncoder().encode(lines));
  exchange.out.end(text ? toBase64(envelope) : envelope);
}

/**
 * A `-text` body decoded: base64 in any chunking, each chunk possibly padded
 * (clients encode per message), decoded four characters at a time.
 */
function base64Body(plain: RequestBody): RequestBody {
  let pending = "";
  const chunk = (data: Uint8Array): Uint8Array[] => {
    pending += Buffer.from(data.buffer, data.byteOffset, data.length).toString("latin1").replace(/\s+/g, "");
    const whole = pending.length - (pending.length % 4);
    if (whole === 0) return [];
    const ready = pending.slice(0, whole);
    pending = pending.slice(whole);
    // Groups of four: four characters, or a padded last group of a segment.
    if (!/^(?:[A-Za-z0-9+/]{2}(?:[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]=|==))*$/.test(ready)) {
      throw new StreampathError(Code.InvalidArgument, "grpc-web-text: the body is not base64");
    }
    // A padded group ends a segment: decode segment by segment.
    return ready.split(/(?<==)(?=[^=])/).map((segment) => {
      const bytes = Buffer.from(segment, "base64");
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    });
  };
  const end = () => {
    if (pending.length > 0) throw new StreampathError(Code.InvalidArgument, "grpc-web-text: the body's base64 is cut short");
  };
  return { body: plain.body, decode: { chunk, end }, wasReset: () => plain.wasReset() };
}
