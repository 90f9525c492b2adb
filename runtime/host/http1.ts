/**
 * HTTP/1.1 on the host's port, beside HTTP/2: browsers on plain http, curl,
 * and any client that does not speak HTTP/2 reach the Connect and gRPC-Web
 * protocols. Over TLS, ALPN chooses (node:http2's `allowHTTP1`); in
 * cleartext, the first bytes do: HTTP/2 with prior knowledge starts with its
 * `PRI * HTTP/2.0` preface, which no HTTP/1.1 request line can.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type http2 from "node:http2";
import type { Duplex } from "node:stream";

export type Http1Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Hands the HTTP/1.1 requests of `server` to `handler`. node:http2 turns
 * every HTTP/2 stream into compatibility request objects too once anyone
 * listens to `request`; its hook for that is removed first, so HTTP/2 calls
 * stay on the core API and pay nothing for HTTP/1.1 being there.
 */
export function serveHttp1(
  server: http2.Http2Server | http2.Http2SecureServer,
  tls: boolean,
  handler: Http1Handler,
  handshakeTimeoutMs: number,
): void {
  for (const listener of server.listeners("newListener")) {
    if (listener.name === "setupCompat") server.off("newListener", listener as (...args: unknown[]) => void);
  }
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (request.httpVersionMajor === 1) handler(request, response);
  };
  if (tls) {
    server.on("request", onRequest); // allowHTTP1 connections arrive here
    return;
  }
  const http2Listener = server.listeners("connection").find((listener) => listener.name === "connectionListener");
  if (!http2Listener) throw new Error("node:http2 has no connectionListener to route cleartext HTTP/2 to");
  server.off("connection", http2Listener as (...args: unknown[]) => void);
  const http1 = http.createServer(onRequest);
  server.prependListener("connection", (socket: Duplex) => {
    const silent = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
    silent.unref();
    socket.once("close", () => clearTimeout(silent));
    socket.once("data", (first: Buffer) => {
      clearTimeout(silent);
      socket.pause();
      socket.unshift(first);
      if (first.toString("latin1", 0, 3) === "PRI") {
        http2Listener.call(server, socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  });
}
