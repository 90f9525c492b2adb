/**
 * Typed clients over any transport (a host link, a browser gateway), built
 * from a generated service descriptor: each method takes a request (or an
 * async iterable of them) and returns a promise (or an async iterable) of
 * responses.
 */
import { Code, StreampathError } from "./error.js";
import type { Metadata, MethodDescriptor, ServiceDescriptor } from "./service.js";

export interface CallOptions {
  signal?: AbortSignal;
  /** Deadline of the call. */
  timeoutMs?: number;
  /** Custom metadata sent with the call. */
  headers?: Record<string, string>;
  /** Receives the response headers, and then the trailers. */
  onHeaders?: (headers: Metadata) => void;
  onTrailers?: (trailers: Metadata) => void;
}

/** Carries calls: requests streamed up as they are pulled, responses as they arrive. */
export interface Transport {
  call<I, O>(method: MethodDescriptor<I, O>, requests: AsyncIterable<I>, options?: CallOptions): AsyncIterable<O>;
}

type In<M> = M extends MethodDescriptor<infer I, any, any> ? I : never;
type Out<M> = M extends MethodDescriptor<any, infer O, any> ? O : never;

export type ClientMethod<M extends MethodDescriptor> = M["kind"] extends "unary"
  ? (request: In<M>, options?: CallOptions) => Promise<Out<M>>
  : M["kind"] extends "server_streaming"
    ? (request: In<M>, options?: CallOptions) => AsyncIterable<Out<M>>
    : M["kind"] extends "client_streaming"
      ? (requests: AsyncIterable<In<M>>, options?: CallOptions) => Promise<Out<M>>
      : (requests: AsyncIterable<In<M>>, options?: CallOptions) => AsyncIterable<Out<M>>;

export type Client<S extends ServiceDescriptor> = { [K in keyof S["methods"]]: ClientMethod<S["methods"][K]> };

async function* once<T>(value: T): AsyncGenerator<T> {
  yield value;
}

async function only<T>(responses: AsyncIterable<T>, method: MethodDescriptor): Promise<T> {
  let result: { value: T } | undefined;
  for await (const r of responses) {
    if (result) throw new StreampathError(Code.Unimplemented, `${method.path} answered more than one message`);
    result = { value: r };
  }
  if (!result) throw new StreampathError(Code.Unimplemented, `${method.path} answered no message`);
  return result.value;
}

export function createClient<S extends ServiceDescriptor>(service: S, transport: Transport): Client<S> {
  const client: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service.methods)) {
    const streamingIn = method.kind === "client_streaming" || method.kind === "bidi_streaming";
    const streamingOut = method.kind === "server_streaming" || method.kind === "bidi_streaming";
    client[name] = (input: unknown, options?: CallOptions) => {
      const responses = transport.call(method, streamingIn ? (input as AsyncIterable<unknown>) : once(input), options);
      return streamingOut ? responses : only(responses, method);
    };
  }
  return client as Client<S>;
}
