/**
 * What a host serves: service descriptors (generated) and implementations
 * (the application's), tied together type-safely.
 */
import type { Metadata, MethodDescriptor, ServiceDescriptor } from "../core/service.js";

export type { Metadata, MethodDescriptor, MethodKind, ServiceDescriptor } from "../core/service.js";

/** What every handler gets besides its request(s). */
export interface HandlerContext<P = unknown> {
  /** Whatever `authenticate` returned for this call. */
  readonly principal: P;
  /** The call's request headers (custom metadata included). */
  readonly requestHeaders: Metadata;
  /** Set before the first response message to send them as headers. */
  readonly responseHeaders: Record<string, string>;
  /** Sent with the status at the end of the call. */
  readonly responseTrailers: Record<string, string>;
  /** Aborts when the client goes away, the deadline passes or the host shuts down. */
  readonly signal: AbortSignal;
  /** Milliseconds since the epoch at which the call's deadline passes, if it has one. */
  readonly deadline: number | undefined;
  /** The method being called. */
  readonly method: MethodDescriptor;
}

type In<M> = M extends MethodDescriptor<infer I, any, any> ? I : never;
type Out<M> = M extends MethodDescriptor<any, infer O, any> ? O : never;

/** The handler type of one method, from its kind. */
export type Handler<M extends MethodDescriptor, P = unknown> = M["kind"] extends "unary"
  ? (request: In<M>, context: HandlerContext<P>) => Promise<Out<M>> | Out<M>
  : M["kind"] extends "server_streaming"
    ? (request: In<M>, context: HandlerContext<P>) => AsyncIterable<Out<M>>
    : M["kind"] extends "client_streaming"
      ? (requests: AsyncIterable<In<M>>, context: HandlerContext<P>) => Promise<Out<M>> | Out<M>
      : (requests: AsyncIterable<In<M>>, context: HandlerContext<P>) => AsyncIterable<Out<M>>;

export type ServiceImplementation<S extends ServiceDescriptor, P = unknown> = {
  [K in keyof S["methods"]]: Handler<S["methods"][K], P>;
};

export interface ServiceRegistration {
  readonly service: ServiceDescriptor;
  readonly implementation: { readonly [localName: string]: (...args: any[]) => unknown };
}

/** Pairs a generated service descriptor with its implementation, checking the handler types. */
export function implement<S extends ServiceDescriptor, P = unknown>(
  service: S,
  implementation: ServiceImplementation<S, P>,
): ServiceRegistration {
  for (const name of Object.keys(service.methods)) {
    if (typeof (implementation as Record<string, unknown>)[name] !== "function") {
      throw new TypeError(`${service.typeName}: the implementation has no method ${name}`);
    }
  }
  return { service, implementation: implementation as ServiceRegistration["implementation"] };
}
