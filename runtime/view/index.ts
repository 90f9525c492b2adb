// streampath/runtime/view: a browser window's side — serving view services, calling the worker's read/write services.
export {
  defineViewService,
  serveView,
  type ViewContext,
  type ViewDependency,
  type ViewHandler,
  type ViewImplementation,
  type ViewOptions,
  type ViewRegistry,
  type ViewService,
} from "./view.js";
export { type BridgeOptions, connectWorker, type WorkerConnection } from "./bridge.js";
export type { ConnectionState, ConnectionStateListener, ConnectionStateSource } from "../core/connection-state.js";
