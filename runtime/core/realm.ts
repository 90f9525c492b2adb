/**
 * The services of one realm — a worker's read and write services, a
 * window's views — each built once with typed clients of what it depends
 * on: services of this realm called in-realm (a LocalCall: no encoding, the
 * caller's own objects), the others over the transport their role names.
 * `serveWorker` and `serveView` are this with their realm's roles.
 */
import { type CallOptions, type Transport, createClient } from "./client.js";
import { Code, StreampathError } from "./error.js";
import { type Handlers, LocalCall } from "./local-call.js";
import type { MethodDescriptor, ServiceDescriptor } from "./service.js";

/** What every handler in a realm gets besides its request(s). */
export interface RealmContext<R extends string = string> {
  /** Where the handler runs (`worker`, `window`); it also keeps the handler types of two realms apart. */
  readonly realm: R;
  /** Aborts when the caller cancels or stops reading, the deadline passes, the call ends or the registry closes. */
  readonly signal: AbortSignal;
  /** Milliseconds since the epoch at which the call's deadline passes, if it has one. */
  readonly deadline: number | undefined;
  /** Custom metadata the caller sent (`CallOptions.headers`). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Set before the first response: the caller's `CallOptions.onHeaders` gets them with it (or at the end, if none). */
  readonly responseHeaders: Record<string, string>;
  /** Set before the call ends: the caller's `CallOptions.onTrailers` gets them then, failed or not. */
  readonly responseTrailers: Record<string, string>;
  /** The method being called. */
  readonly method: MethodDescriptor;
}

type In<M> = M extends MethodDescriptor<infer I, any, any> ? I : never;
type Out<M> = M extends MethodDescriptor<any, infer O, any> ? O : never;

/** The handler type of one method, from its kind: the host's, with the realm's context `C`. */
export type RealmHandler<M extends MethodDescriptor, C> = M["kind"] extends "unary"
  ? (request: In<M>, context: C) => Promise<Out<M>> | Out<M>
  : M["kind"] extends "server_streaming"
    ? (request: In<M>, context: C) => AsyncIterable<Out<M>>
    : M["kind"] extends "client_streaming"
      ? (requests: AsyncIterable<In<M>>, context: C) => Promise<Out<M>> | Out<M>
      : (requests: AsyncIterable<In<M>>, context: C) => AsyncIterable<Out<M>>;

export type RealmImplementation<S extends ServiceDescriptor, C> = {
  [K in keyof S["methods"]]: RealmHandler<S["methods"][K], C>;
};

/** A service depended on, and its role, which says where it is served. */
export interface RealmDependency<Role extends string = string> {
  readonly service: ServiceDescriptor;
  readonly role: Role;
}

/** A service ready for its realm's registry: what a generated `defineX(...)` returns. */
export interface RealmService<R extends string = string, Role extends string = string> {
  /** The realm it runs in: a registry refuses another realm's service (and so do the types). */
  readonly realm: R;
  readonly service: ServiceDescriptor;
  /** By the name the factory's dependencies object gives each client (`boardHost`). */
  readonly dependencies: { readonly [name: string]: RealmDependency<Role> };
  readonly create: (dependencies: { readonly [name: string]: unknown }) => object;
}

export interface RealmRegistry {
  /** Calls any registered service's method in-realm (what in-realm dependencies use too). */
  readonly transport: Transport;
  /** The same by path (`/board.v1.BoardReader/Current`), for a caller that has only the path. */
  call(path: string, requests: AsyncIterable<unknown>, options?: CallOptions): AsyncIterable<unknown>;
  /** Aborts every running call (its handler's context.signal) and fails later ones with `reason`. */
  close(reason?: unknown): void;
}

/** A role served in the realm itself: its services must be registered in the same call. */
export const IN_REALM = "in-realm";

export interface RealmOptions {
  /** The public function building it, named in errors (`serveWorker`). */
  readonly caller: string;
  /** The realm served (`worker`, `window`): every service must be defined for it. */
  readonly realm: string;
  readonly services: readonly RealmService[];
  /** Each role a dependency may have: IN_REALM, or the transport that reaches its services. */
  readonly roles: { readonly [role: string]: Transport | typeof IN_REALM };
}

interface Route {
  readonly method: MethodDescriptor;
  readonly name: string;
  readonly entry: Entry;
}

interface Entry {
  readonly spec: RealmService;
  /** Set once the factory ran; calls resolve it when they start, so dependency cycles work. */
  handlers?: Handlers;
}

/**
 * Builds every service once, each with its dependencies' clients. Throws a
 * TypeError naming the service when one is registered twice, is another
 * realm's, has a dependency whose role this realm cannot reach or an
 * in-realm one not registered here, or has an implementation lacking a method.
 */
export function serveRealm(options: RealmOptions): RealmRegistry {
  const { caller, realm, roles } = options;
  const entries = new Map<string, Entry>();
  const routes = new Map<string, Route>();
  for (const spec of options.services) {
    const typeName = spec.service.typeName;
    if (spec.realm !== realm) {
      throw new TypeError(`${caller}: ${typeName} is defined to run in a ${String(spec.realm)}, not in a ${realm}`);
    }
    if (entries.has(typeName)) throw new TypeError(`${caller}: ${typeName} is registered twice`);
    const entry: Entry = { spec };
    entries.set(typeName, entry);
    for (const [name, method] of Object.entries(spec.service.methods)) routes.set(method.path, { method, name, entry });
  }
  for (const { service, dependencies } of options.services) {
    for (const dep of Object.values(dependencies)) {
      const where = Object.hasOwn(roles, dep.role) ? roles[dep.role] : undefined;
      if (where === undefined) {
        throw new TypeError(`${caller}: ${service.typeName} may not depend on ${dep.role} service ${dep.service.typeName} in a ${realm}`);
      }
      if (where === IN_REALM && !entries.has(dep.service.typeName)) {
        throw new TypeError(
          `${caller}: ${service.typeName} depends on ${dep.role} service ${dep.service.typeName}, which is not registered in this ${caller} call`,
        );
      }
    }
  }

  const closing = new AbortController();
  const call = (path: string, requests: AsyncIterable<unknown>, callOptions: CallOptions = {}): AsyncIterable<unknown> => {
    const route = routes.get(path);
    if (!route) return failed(new StreampathError(Code.Unimplemented, `no method ${path} in this ${realm}`));
    const { entry, method, name } = route;
    // Resolved when the call starts, not now: a factory may call a service built after it.
    const handlers = () => {
      if (entry.handlers) return entry.handlers;
      throw new StreampathError(Code.FailedPrecondition, `${entry.spec.service.typeName} was never built: ${caller} failed`);
    };
    return new LocalCall(realm, method, name, handlers, requests, callOptions, closing.signal);
  };
  const transport: Transport = {
    call: <I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions?: CallOptions) =>
      call(method.path, requests, callOptions) as AsyncIterable<O>,
  };

  for (const entry of entries.values()) {
    const { service, dependencies, create } = entry.spec;
    const clients: Record<string, unknown> = {};
    for (const [key, dep] of Object.entries(dependencies)) {
      const where = roles[dep.role]!;
      clients[key] = createClient(dep.service, where === IN_REALM ? transport : where);
    }
    const implementation = create(clients) as Handlers;
    for (const name of Object.keys(service.methods)) {
      if (typeof implementation?.[name] !== "function") {
        throw new TypeError(`${caller}: ${service.typeName}'s implementation has no method ${name}`);
      }
    }
    entry.handlers = implementation;
  }

  return {
    transport,
    call,
    close(reason?: unknown) {
      closing.abort(reason ?? new StreampathError(Code.Unavailable, `the ${realm}'s services are closed`));
    },
  };
}

/** A call that fails on its first read. */
function failed(error: StreampathError): AsyncIterable<never> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  };
}
