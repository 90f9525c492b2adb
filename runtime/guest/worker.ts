/**
 * `serveWorker`: the read and write services of one worker, each built once
 * with typed clients of what it depends on — host services through the
 * gateway, the worker's own read/write services in-realm. The registry it
 * returns calls any of them by path (what the window bridge will use).
 */
import { type CallOptions, type Transport, createClient } from "../core/client.js";
import { Code, StreampathError } from "../core/error.js";
import type { MethodDescriptor, ServiceDescriptor } from "../core/service.js";
import { type Handlers, LocalCall } from "./local-call.js";

/** What every handler in a worker gets besides its request(s). */
export interface GuestContext {
  /** Aborts when the caller cancels or stops reading, the deadline passes, the call ends or the registry closes. */
  readonly signal: AbortSignal;
  /** Milliseconds since the epoch at which the call's deadline passes, if it has one. */
  readonly deadline: number | undefined;
  /** Custom metadata the caller sent (`CallOptions.headers`). */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** The method being called. */
  readonly method: MethodDescriptor;
}

type In<M> = M extends MethodDescriptor<infer I, any, any> ? I : never;
type Out<M> = M extends MethodDescriptor<any, infer O, any> ? O : never;

/** The handler type of one method, from its kind: the host's, with a GuestContext. */
export type GuestHandler<M extends MethodDescriptor> = M["kind"] extends "unary"
  ? (request: In<M>, context: GuestContext) => Promise<Out<M>> | Out<M>
  : M["kind"] extends "server_streaming"
    ? (request: In<M>, context: GuestContext) => AsyncIterable<Out<M>>
    : M["kind"] extends "client_streaming"
      ? (requests: AsyncIterable<In<M>>, context: GuestContext) => Promise<Out<M>> | Out<M>
      : (requests: AsyncIterable<In<M>>, context: GuestContext) => AsyncIterable<Out<M>>;

export type GuestImplementation<S extends ServiceDescriptor> = {
  [K in keyof S["methods"]]: GuestHandler<S["methods"][K]>;
};

/** A service depended on, and its role: host services are reached through the gateway, the others in-realm. */
export interface WorkerDependency {
  readonly service: ServiceDescriptor;
  readonly role: "host" | "read" | "write";
}

/** A read or write service ready for `serveWorker`: what a generated `defineX(...)` returns. */
export interface WorkerService {
  readonly service: ServiceDescriptor;
  /** By the name the factory's dependencies object gives each client (`boardHost`). */
  readonly dependencies: { readonly [name: string]: WorkerDependency };
  readonly create: (dependencies: { readonly [name: string]: unknown }) => object;
}

/** Ties a descriptor, its dependencies and the factory of its implementation together, checking the handler types. */
export function defineWorkerService<S extends ServiceDescriptor, D>(
  service: S,
  create: (dependencies: D) => GuestImplementation<S>,
  dependencies: { readonly [K in keyof D]: WorkerDependency },
): WorkerService {
  return { service, dependencies, create: (clients) => create(clients as D) };
}

export interface WorkerOptions {
  /** The worker's transport to its host (`connectGateway(origin)`), for host dependencies. */
  gateway: Transport;
  services: readonly WorkerService[];
}

export interface WorkerRegistry {
  /** Calls any registered service's method in-realm (what in-worker dependencies use too). */
  readonly transport: Transport;
  /** The same by path (`/board.v1.BoardReader/Current`), for a caller that has only the path. */
  call(path: string, requests: AsyncIterable<unknown>, options?: CallOptions): AsyncIterable<unknown>;
  /** Aborts every running call (its handler's context.signal) and fails later ones with `reason`. */
  close(reason?: unknown): void;
}

interface Route {
  readonly method: MethodDescriptor;
  readonly name: string;
  readonly entry: Entry;
}

interface Entry {
  readonly spec: WorkerService;
  /** Set once the factory ran; calls resolve it when they start, so dependency cycles work. */
  handlers?: Handlers;
}

/**
 * Builds every service once, each with its dependencies' clients. Throws,
 * naming the service, when one is registered twice, depends on a read/write
 * service not registered here, or has an implementation lacking a method.
 */
export function serveWorker(options: WorkerOptions): WorkerRegistry {
  const entries = new Map<string, Entry>();
  const routes = new Map<string, Route>();
  for (const spec of options.services) {
    const typeName = spec.service.typeName;
    if (entries.has(typeName)) throw new TypeError(`serveWorker: ${typeName} is registered twice`);
    const entry: Entry = { spec };
    entries.set(typeName, entry);
    for (const [name, method] of Object.entries(spec.service.methods)) routes.set(method.path, { method, name, entry });
  }
  for (const { service, dependencies } of options.services) {
    for (const dep of Object.values(dependencies)) {
      if (dep.role !== "host" && !entries.has(dep.service.typeName)) {
        throw new TypeError(
          `serveWorker: ${service.typeName} depends on ${dep.role} service ${dep.service.typeName}, which is not registered in this serveWorker call`,
        );
      }
    }
  }

  const closing = new AbortController();
  const call = (path: string, requests: AsyncIterable<unknown>, callOptions: CallOptions = {}): AsyncIterable<unknown> => {
    const route = routes.get(path);
    if (!route) return failed(new StreampathError(Code.Unimplemented, `no method ${path} in this worker`));
    const { entry, method, name } = route;
    // Resolved when the call starts, not now: a factory may call a service built after it.
    const handlers = () => {
      if (entry.handlers) return entry.handlers;
      throw new StreampathError(Code.FailedPrecondition, `${entry.spec.service.typeName} was never built: serveWorker failed`);
    };
    return new LocalCall(method, name, handlers, requests, callOptions, closing.signal);
  };
  const transport: Transport = {
    call: <I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, callOptions?: CallOptions) =>
      call(method.path, requests, callOptions) as AsyncIterable<O>,
  };

  for (const entry of entries.values()) {
    const { service, dependencies, create } = entry.spec;
    const clients: Record<string, unknown> = {};
    for (const [key, dep] of Object.entries(dependencies)) {
      clients[key] = createClient(dep.service, dep.role === "host" ? options.gateway : transport);
    }
    const implementation = create(clients) as Handlers;
    for (const name of Object.keys(service.methods)) {
      if (typeof implementation?.[name] !== "function") {
        throw new TypeError(`serveWorker: ${service.typeName}'s implementation has no method ${name}`);
      }
    }
    entry.handlers = implementation;
  }

  return {
    transport,
    call,
    close(reason?: unknown) {
      closing.abort(reason ?? new StreampathError(Code.Unavailable, "the worker's services are closed"));
    },
  };
}

/** A call that fails on its first read. */
function failed(error: StreampathError): AsyncIterable<never> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  };
}
