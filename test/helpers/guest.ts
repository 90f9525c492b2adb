/**
 * A guest in Node: the gateway over undici's fetch with HTTP/2 (Node 20's own
 * fetch speaks only HTTP/1.1), trusting the test's self-signed certificate.
 */
import type { ExecutionContext } from "ava";
import { Agent, fetch as undiciFetch } from "undici";
import { type Fetch, type Gateway, type GatewayOptions, connectGateway } from "../../runtime/guest/index.js";
import { selfSigned } from "./browser.js";

export function nodeGateway(
  t: ExecutionContext,
  url: string,
  options: GatewayOptions & { wrapFetch?: (fetch: Fetch) => Fetch } = {},
): Gateway {
  const agent = new Agent({ allowH2: true, connect: { ca: selfSigned().cert } });
  t.teardown(() => agent.destroy());
  const fetch: Fetch = (input, init) => undiciFetch(input, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  return connectGateway(url, { ...options, fetch: options.wrapFetch ? options.wrapFetch(fetch) : fetch });
}
