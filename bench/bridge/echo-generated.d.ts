// What the bridge benchmark uses of the generated echo module beyond
// bench/browser/echo-generated.d.ts: its descriptor, to serve Echo in the worker.
declare module "streampath-bench-echo" {
  import type { ServiceDescriptor } from "streampath/runtime/core";
  export const Echo: ServiceDescriptor;
}
