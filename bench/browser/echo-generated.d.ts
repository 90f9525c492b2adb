// Types of the generated code the worker imports (bench/gen/browser-echo/,
// git-ignored, written by bench/browser/build.ts before bundling). The
// bundler maps this module name to the generated echo_host.ts; declaring it
// here lets `npm run typecheck` pass before anything is generated.
declare module "streampath-bench-echo" {
  import type { ServiceDescriptor, Transport } from "streampath/runtime/core";

  /** The descriptor: what the worker serves Echo with (bench:bridge) and the floor's codecs. */
  export const Echo: ServiceDescriptor;

  export interface Event {
    seq: bigint;
    payload: Uint8Array;
  }

  export interface EchoClient {
    echo(requests: AsyncIterable<Event>): AsyncIterable<Event>;
  }

  export function createEchoClient(transport: Transport): EchoClient;
}
