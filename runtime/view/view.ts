/**
 * `serveView`: the view services of one window, each built once with typed
 * clients of what it depends on — other views in-realm (handlers called with
 * the caller's own objects, nothing encoded or cloned), the worker's read
 * and write services over the connection to the worker. The window's twin
 * of `serveWorker`.
 */
import type { Transport } from "../core/client.js";
import {
  IN_REALM,
  type RealmContext,
  type RealmDependency,
  type RealmHandler,
  type RealmImplementation,
  type RealmRegistry,
  type RealmService,
  serveRealm,
} from "../core/realm.js";
import type { MethodDescriptor, ServiceDescriptor } from "../core/service.js";

/** What every handler in a window gets besides its request(s); `realm` is `"window"`. */
export interface ViewContext extends RealmContext<"window"> {}

/** The handler type of one method, from its kind: the host's, with a ViewContext. */
export type ViewHandler<M extends MethodDescriptor> = RealmHandler<M, ViewContext>;

export type ViewImplementation<S extends ServiceDescriptor> = RealmImplementation<S, ViewContext>;

/** A service depended on, and its role: views are called in-realm, read and write services through the worker. */
export interface ViewDependency extends RealmDependency<"view" | "read" | "write"> {}

/** A view service ready for `serveView`: what a generated `defineX(...)` returns. */
export interface ViewService extends RealmService<"window", "view" | "read" | "write"> {}

/** Ties a descriptor, its dependencies and the factory of its implementation together, checking the handler types. */
export function defineViewService<S extends ServiceDescriptor, D>(
  service: S,
  create: (dependencies: D) => ViewImplementation<S>,
  dependencies: { readonly [K in keyof D]: ViewDependency },
): ViewService {
  return { realm: "window", service, dependencies, create: (clients) => create(clients as D) };
}

export interface ViewOptions {
  /** The window's transport to the worker's registry (`connectWorker(worker)`), for read and write dependencies. */
  worker: Transport;
  services: readonly ViewService[];
}

export interface ViewRegistry extends RealmRegistry {}

/**
 * Builds every view once, each with its dependencies' clients. Throws,
 * naming the service, when one is registered twice, depends on a view not
 * registered here, or has an implementation lacking a method. Closing the
 * registry leaves the worker connection open: whoever opened it closes it.
 */
export function serveView(options: ViewOptions): ViewRegistry {
  return serveRealm({
    caller: "serveView",
    realm: "window",
    services: options.services,
    roles: { view: IN_REALM, read: options.worker, write: options.worker },
  });
}
