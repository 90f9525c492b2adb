/**
 * A one-method worker registry for in-realm call tests: `Echo.echo` (bidi),
 * whose handler is the test's, recording whether it finished and how it failed.
 */
import type {
  MessageCodec,
  ServiceDescriptor,
  Transport,
} from "../../runtime/core/index.js";
import {
  type GuestContext,
  defineWorkerService,
  serveWorker,
} from "../../runtime/guest/index.js";

// In-realm calls neither encode nor decode: the codecs are never used.
const unused = {} as MessageCodec<unknown>;
export const Echo: ServiceDescriptor = {
  typeName: "test.Echo",
  methods: {
    echo: {
      name: "Echo",
      path: "/test.Echo/Echo",
      kind: "bidi_streaming",
      input: unused,
      output: unused,
    },
  },
};
const noHost: Transport = {
  call: () => {
    throw new Error("no host");
  },
};

export interface Seen {
  error?: unknown;
  finished: boolean;
}

export function registry(
  seen: Seen,
  handler: (
    requests: AsyncIterable<unknown>,
    context: GuestContext,
  ) => AsyncIterable<unknown>,
) {
  const echo = defineWorkerService(
    Echo,
    () =>
      ({
        async *echo(requests: AsyncIterable<unknown>, context: GuestContext) {
          try {
            yield* handler(requests, context);
          } catch (error) {
            seen.error = error;
            throw error;
          } finally {
            seen.finished = true;
          }
        },
      }) as never,
    {},
  );
  return serveWorker({ gateway: noHost, services: [echo] });
}
