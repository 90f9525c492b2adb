// streampath/runtime/guest: a browser worker's side — calling host services through the gateway.
export { connectGateway, DEFAULT_RETRY, type Gateway, type GatewayOptions } from "./gateway.js";
export type { RetryPolicy } from "./pair.js";
export type { Fetch } from "./http.js";
export { requestStreamsSupported } from "./http.js";
