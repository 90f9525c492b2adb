// streampath/runtime/host: serving host services, and calling other hosts.
export { createHost, DEFAULT_LIMITS, type Host, type HostOptions } from "./server.js";
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
export { connectHost, type CallOptions, type HostLink, type HostLinkOptions } from "./link.js";
export { createClient, type Client, type ClientMethod } from "./client.js";
