/**
 * What the guest needs of fetch: Connect errors from a response, unary calls
 * over the Connect protocol, and whether this platform streams request
 * bodies.
 */
import { Code, StreampathError, codeFromName, codeOfHttpStatus } from "../core/error.js";
import { detailsFromJson } from "../core/error-details.js";
import { parseJsonText } from "../core/json-text.js";
import type { MessageCodec } from "../core/message.js";

export type Fetch = (input: string, init: RequestInit & { duplex?: "half" }) => Promise<Response>;

/** The error of a non-200 response: its Connect JSON body if it has one, else its HTTP status. */
export async function responseError(response: Response, what: string): Promise<StreampathError> {
  let text = "";
  try {
    text = await response.text();
    const json = JSON.parse(text) as { code?: unknown; message?: unknown; details?: unknown };
    const code = typeof json.code === "string" ? codeFromName(json.code) : undefined;
    if (code !== undefined) return new StreampathError(code, String(json.message ?? ""), { details: detailsFromJson(json.details) });
  } catch {
    // not a Connect error body: fall through to the HTTP status
  }
  return new StreampathError(codeOfHttpStatus(response.status), `${what}: HTTP ${response.status} ${text.slice(0, 200)}`.trim());
}

/** A network failure (fetch rejected, a body broke) as an UNAVAILABLE error. */
export function networkError(error: unknown, what: string): StreampathError {
  if (error instanceof StreampathError) return error;
  return new StreampathError(Code.Unavailable, `${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** `request`, or UNAVAILABLE with `what` if its response does not come within `ms`: a guest must not trust a fetch to end. */
export function within<T>(request: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StreampathError(Code.Unavailable, `${what} got no response within ${ms} ms`)), ms);
  });
  return Promise.race([request, timeout]).finally(() => clearTimeout(timer));
}

/** The headers of a response as a record (what CallOptions.onHeaders is given). */
export function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => (record[name] = value));
  return record;
}

/** A unary call with the Connect protocol: one body up, one down, in protobuf binary or JSON. */
export async function connectUnary<I, O>(
  fetch: Fetch,
  url: string,
  input: MessageCodec<I>,
  output: MessageCodec<O>,
  request: I,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  format: "proto" | "json" = "proto",
): Promise<O> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      // The caller's headers cannot replace the protocol's content type.
      headers: { ...headers, "content-type": `application/${format}` },
      body: (format === "json" ? JSON.stringify(input.toJson(request)) : input.encode(request)) as BodyInit,
      signal,
    });
  } catch (error) {
    throw signal?.aborted ? StreampathError.from(signal.reason, Code.Canceled) : networkError(error, url);
  }
  if (response.status !== 200) throw await responseError(response, url);
  const body = new Uint8Array(await response.arrayBuffer());
  try {
    if (format === "json") return output.fromJson(parseJsonText(new TextDecoder().decode(body)), { ignoreUnknownFields: true });
    return output.decode(body);
  } catch (error) {
    throw new StreampathError(Code.Internal, `cannot decode ${output.typeName}: ${(error as Error).message}`);
  }
}

/**
 * Whether `fetch` accepts a ReadableStream body (`duplex: "half"`): the
 * standard detection — such a Request reads the `duplex` option and sets no
 * text content type. Streaming may still fail on the wire (HTTP/1.1 in
 * Chromium); the gateway then falls back for good.
 */
export function requestStreamsSupported(): boolean {
  if (typeof ReadableStream === "undefined" || typeof Request === "undefined") return false;
  let duplexRead = false;
  try {
    const hasContentType = new Request("https://streampath.invalid/", {
      method: "POST",
      body: new ReadableStream(),
      get duplex() {
        duplexRead = true;
        return "half";
      },
    } as RequestInit).headers.has("content-type");
    return duplexRead && !hasContentType;
  } catch {
    return false;
  }
}
