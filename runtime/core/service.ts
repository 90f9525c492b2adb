/**
 * Service and method descriptors, as generated code declares them: what a
 * host registers and what every client (host link, browser gateway) calls.
 * Types only, so importing them costs a bundle nothing.
 */
import type { MessageCodec } from "./message.js";

export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

export interface MethodDescriptor<I = any, O = any, K extends MethodKind = MethodKind> {
  /** rpc name as in the schema (`GetBoard`). */
  readonly name: string;
  /** `/package.Service/Method`. */
  readonly path: string;
  readonly kind: K;
  /** From `option idempotency_level`: a `no_side_effects` method may be called with Connect GET. */
  readonly idempotency?: "no_side_effects" | "idempotent";
  readonly input: MessageCodec<I>;
  readonly output: MessageCodec<O>;
}

export interface ServiceDescriptor {
  /** Full name (`board.v1.BoardHost`). */
  readonly typeName: string;
  /** Methods by their TypeScript name (`getBoard`). */
  readonly methods: { readonly [localName: string]: MethodDescriptor };
}

/** Headers of a call as the host received them (lower-case names). */
export type Metadata = Record<string, string | string[] | undefined>;
