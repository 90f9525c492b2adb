/**
 * `serveWorker`: the read and write services of one worker, each built once
 * with typed clients of what it depends on — host services through the
 * gateway, the worker's own read/write services in-realm. The registry it
 * returns calls any of them by path (what the window bridge serves).
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

/** What every handler in a worker gets besides its request(s); `realm` is `"worker"`. */
export interface GuestContext extends RealmContext<"worker"> {}

/** The handler type of one method, from its kind: the host's, with a GuestContext. */
export type GuestHandler<M extends MethodDescriptor> = RealmHandler<M, GuestContext>;

export type GuestImplementation<S extends ServiceDescriptor> = RealmImplementation<S, GuestContext>;

/** A service depended on, and its role: host services are reached through the gateway, the others in-realm. */
export interface WorkerDependency extends RealmDependency<"host" | "read" | "write"> {}

/** A read or write service ready for `serveWorker`: what a generated `defineX(...)` returns. */
export interface WorkerService extends RealmService<"worker", "host" | "read" | "write"> {}

/** Ties a descriptor, its dependencies and the factory of its implementation together, checking the handler types. */
export function defineWorkerService<S extends ServiceDescriptor, D>(
  service: S,
  create: (dependencies: D) => GuestImplementation<S>,
  dependencies: { readonly [K in keyof D]: WorkerDependency },
): WorkerService {
  return { realm: "worker", service, dependencies, create: (clients) => create(clients as D) };
}

export interface WorkerOptions {
  /** The worker's transport to its host (`connectGateway(origin)`), for host dependencies. */
  gateway: Transport;
  services: readonly WorkerService[];
}

export interface WorkerRegistry extends RealmRegistry {}

/**
 * Builds every service once, each with its dependencies' clients. Throws,
 * naming the service, when one is registered twice, depends on a read/write
 * service not registered here, or has an implementation lacking a method.
 */
export function serveWorker(options: WorkerOptions): WorkerRegistry {
  return serveRealm({
    caller: "serveWorker",
    realm: "worker",
    services: options.services,
    roles: { host: options.gateway, read: IN_REALM, write: IN_REALM },
  });
}
