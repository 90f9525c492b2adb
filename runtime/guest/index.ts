// streampath/runtime/guest: a browser worker's side — calling host services through the gateway, serving read/write services.
export { connectGateway, DEFAULT_RETRY, type Gateway, type GatewayOptions } from "./gateway.js";
export type { RetryPolicy } from "./pair-environment.js";
export { DEFAULT_PROBE, type ProbePolicy } from "./connection.js";
export { PROBE_PATH } from "../core/connection-state.js";
export type { ConnectionState, ConnectionStateListener, ConnectionStateSource } from "../core/connection-state.js";
export type { Fetch } from "./http.js";
export { requestStreamsSupported } from "./http.js";
export {
  defineWorkerService,
  serveWorker,
  type GuestContext,
  type GuestHandler,
  type GuestImplementation,
  type WorkerDependency,
  type WorkerOptions,
  type WorkerRegistry,
  type WorkerService,
} from "./worker.js";
export { type BridgeEndpoint, type BridgeRegistry, type BridgeServeOptions, type BridgeServer, serveBridge } from "./bridge.js";
// Restarting a lost server stream from its cursor (docs/deploy.md); from runtime/core, here too for worker code.
export { type ResumeOptions, resumeStream } from "../core/resume.js";
