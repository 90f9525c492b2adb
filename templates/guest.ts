/**
 * The `guest` target: for each .proto file with read or write services, a
 * `<name>_guest.ts` module with, per service, its descriptor, the interface
 * its implementation has (the host's, with a GuestContext), a typed client,
 * the clients of what it depends on, and `defineX(create)` for serveWorker.
 * Host services' descriptors and clients come from their `_host.ts`, which
 * only type-imports runtime/host, so the worker bundle stays browser-only.
 */
import type { ProtoFile, SchemaModel, Service } from "../schema/model.js";
import { HOST_SUFFIX } from "./host.js";
import type { EmittedModule } from "./module.js";
import { type RealmTarget, emitRealmFile } from "./realm.js";

export const GUEST_SUFFIX = "_guest";

/** The services the guest target serves in a worker. */
export function isGuestService(service: Service): boolean {
  return service.role === "read" || service.role === "write";
}

const GUEST: RealmTarget = {
  suffix: GUEST_SUFFIX,
  runtime: "streampath/runtime/guest",
  context: "GuestContext",
  service: "WorkerService",
  define: "defineWorkerService",
  registry: "serveWorker",
  place: "worker",
  serves: isGuestService,
  dependencyModule: (dep) => (isGuestService(dep) ? GUEST_SUFFIX : HOST_SUFFIX),
};

export function emitGuestFile(model: SchemaModel, file: ProtoFile): EmittedModule | undefined {
  return emitRealmFile(model, file, GUEST);
}
