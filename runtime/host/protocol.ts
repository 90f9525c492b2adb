/**
 * Which protocol and message format a request speaks, from its method and
 * content type: gRPC, gRPC-Web (binary or base64 text), Connect (unary,
 * streaming, or GET), or streampath's pair; `proto` or `json` messages.
 */
import type { IncomingHttpHeaders } from "node:http2";
import { PAIR_CONTENT_TYPE } from "../core/pair.js";

export type Protocol = "grpc" | "grpc-web" | "grpc-web-text" | "connect-unary" | "connect-stream" | "connect-get" | "pair";
export type Format = "proto" | "json";

export interface RequestKind {
  readonly protocol: Protocol;
  readonly format: Format;
}

const KINDS = new Map<string, RequestKind>();
const add = (types: string[], protocol: Protocol, format: Format) => {
  for (const type of types) KINDS.set(type, { protocol, format });
};
add(["application/grpc", "application/grpc+proto"], "grpc", "proto");
add(["application/grpc+json"], "grpc", "json");
add(["application/grpc-web", "application/grpc-web+proto"], "grpc-web", "proto");
add(["application/grpc-web+json"], "grpc-web", "json");
add(["application/grpc-web-text", "application/grpc-web-text+proto"], "grpc-web-text", "proto");
add(["application/proto"], "connect-unary", "proto");
add(["application/json"], "connect-unary", "json");
add(["application/connect+proto"], "connect-stream", "proto");
add(["application/connect+json"], "connect-stream", "json");
add([PAIR_CONTENT_TYPE], "pair", "proto");

/** The content types a host serves, for the error that names them. */
export const SERVED_CONTENT_TYPES = [...KINDS.keys()];

/** The protocol of a POST with this content type, if it is one of those served. */
export function kindOfContentType(contentType: string | undefined): RequestKind | undefined {
  if (!contentType) return undefined;
  const semicolon = contentType.indexOf(";");
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return KINDS.get(type);
}

/**
 * The protocol of a request, if it is a call: a POST with a served content
 * type, or a Connect GET (`?connect=v1&encoding=...&message=...`).
 */
export function kindOfRequest(headers: IncomingHttpHeaders): RequestKind | undefined {
  const method = headers[":method"];
  if (method === "POST") return kindOfContentType(headers["content-type"]);
  if (method === "GET") {
    const path = headers[":path"] ?? "";
    const query = path.indexOf("?");
    if (query < 0) return undefined;
    const params = new URLSearchParams(path.slice(query + 1));
    const encoding = params.get("encoding");
    if (!params.has("message") || (encoding !== "proto" && encoding !== "json")) return undefined;
    return { protocol: "connect-get", format: encoding };
  }
  return undefined;
}
