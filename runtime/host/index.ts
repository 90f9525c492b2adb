// streampath/runtime/host: serving host services, and calling other hosts.
export { createHost, DEFAULT_LIMITS, type Host, type HostOptions } from "./server.js";
export { DEFAULT_PAIR_OPTIONS, type PairOptions } from "./pair.js";
export type { Authenticate, HostLimits } from "./dispatch.js";
export {
  implement,
  type Handler,
  type HandlerContext,
  type Metadata,
  type MethodDescriptor,
  type MethodKind,
  type ServiceDescriptor,
  type ServiceImplementation,
  type ServiceRegistration,
} from "./service.js";
export { connectHost, type HostLink, type HostLinkOptions } from "./link.js";
// Transport-neutral, from runtime/core; here too so host code needs one import.
export { createClient, type CallOptions, type Client, type ClientMethod, type Transport } from "../core/client.js";
