// streampath/runtime/host: serving host services, and calling other hosts.
export { createHost, DEFAULT_LIMITS, type DrainOptions, type Host, type HostOptions } from "./server.js";
export { drainOnSignal, type DrainOnSignalOptions } from "./drain-on-signal.js";
export { DEFAULT_PAIR_OPTIONS, type PairOptions } from "./pair.js";
export type { Authenticate, HostLimits } from "./dispatch.js";
export type { CorsOptions } from "./cors.js";
export type { StaticFilesOptions } from "./static-files.js";
export {
  developmentCertificate,
  type DevelopmentCertificate,
  type DevelopmentCertificateOptions,
} from "./dev-certificate.js";
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
export { staticMembership, type ClusterOptions, type Membership } from "./cluster.js";
export { brokerMembership, type BrokerMembership, type BrokerMembershipOptions } from "./membership-broker.js";
export type { ForwardCounts } from "./pair-forward.js";
export type { PeerSessionOptions } from "./peer-session.js";
export { connectHost, type HostLink, type HostLinkOptions } from "./link.js";
// Transport-neutral, from runtime/core; here too so host code needs one import.
export { createClient, type CallOptions, type Client, type ClientMethod, type Transport } from "../core/client.js";
export { type ResumeOptions, resumeStream } from "../core/resume.js";
// Events between instances and resume from a cursor (docs/broker.md); NATS: streampath/runtime/host/nats.
export {
  DEFAULT_BROKER_LIMITS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type Broker,
  type BrokerLimits,
  type BrokerMessage,
  type PublishOptions,
  type PublishResult,
  type SubscribeOptions,
} from "./broker.js";
export { createMemoryBroker, type MemoryBrokerOptions } from "./broker-memory.js";
