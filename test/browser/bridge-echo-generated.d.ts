// What the bridge tests use of the generated echo module beyond echo-generated.d.ts: its descriptor, to serve Echo in a worker.
declare module "echo-generated/echo_host.js" {
  import type { ServiceDescriptor } from "streampath/runtime/core";
  export const Echo: ServiceDescriptor;
}
