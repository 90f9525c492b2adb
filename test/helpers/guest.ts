/**
 * A guest in Node: the gateway over http2Fetch (streampath/runtime/guest/node),
 * one multiplexed HTTP/2 connection per origin as a browser has, trusting the
 * test's self-signed certificate.
 */
import type { ExecutionContext } from "ava";
import { type Fetch, type Gateway, type GatewayOptions, connectGateway } from "../../runtime/guest/index.js";
import { http2Fetch } from "../../runtime/guest/node.js";
import { selfSigned } from "./tls.js";

export function nodeGateway(
  t: ExecutionContext,
  url: string,
  options: GatewayOptions & { wrapFetch?: (fetch: Fetch) => Fetch } = {},
): Gateway {
  const fetch = http2Fetch({ ca: selfSigned().cert });
  t.teardown(() => fetch.close());
  return connectGateway(url, { ...options, fetch: options.wrapFetch ? options.wrapFetch(fetch) : fetch });
}
