// The echo fixture as generated for the test process (test/helpers/host.ts
// loadEcho), which browser test bundles alias as "echo-generated": its
// directory is per process, so the worker sources see these declarations.
declare module "echo-generated/echo_host.js" {
  import type { CallOptions, Transport } from "streampath/runtime/core";
  interface EchoRequest { text: string; repeat: number; failWith: number; delayMs: number }
  interface EchoReply { text: string; index: number; principal: string; header: string }
  interface Event { seq: bigint; payload: Uint8Array }
  export interface EchoClient {
    say(request: EchoRequest, options?: CallOptions): Promise<EchoReply>;
    repeat(request: EchoRequest, options?: CallOptions): AsyncIterable<EchoReply>;
    collect(requests: AsyncIterable<EchoRequest>, options?: CallOptions): Promise<EchoReply>;
    chat(requests: AsyncIterable<EchoRequest>, options?: CallOptions): AsyncIterable<EchoReply>;
    events(requests: AsyncIterable<Event>, options?: CallOptions): AsyncIterable<Event>;
    flood(request: EchoRequest, options?: CallOptions): AsyncIterable<Event>;
  }
  export function createEchoClient(transport: Transport): EchoClient;
}
