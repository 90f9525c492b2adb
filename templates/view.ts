/**
 * The `view` target: for each .proto file with view services, a
 * `<name>_view.ts` module with, per service, its descriptor, the interface
 * its implementation has (handlers take a ViewContext), a typed client, the
 * clients of what it depends on, and `defineX(create)` for serveView. Views
 * it depends on come from their `_view.ts`; read and write services'
 * descriptors and clients from their `_guest.ts` (called through the worker).
 */
import type { ProtoFile, SchemaModel, Service } from "../schema/model.js";
import { GUEST_SUFFIX, isGuestService } from "./guest.js";
import type { EmittedModule } from "./module.js";
import { type RealmTarget, emitRealmFile } from "./realm.js";

export const VIEW_SUFFIX = "_view";

/** The services the view target serves in a window. */
export function isViewService(service: Service): boolean {
  return service.role === "view";
}

const VIEW: RealmTarget = {
  suffix: VIEW_SUFFIX,
  runtime: "streampath/runtime/view",
  context: "ViewContext",
  service: "ViewService",
  define: "defineViewService",
  registry: "serveView",
  place: "window",
  serves: isViewService,
  dependencyModule: (dep) => {
    // The schema check allows nothing else; a host dependency here would be a bug upstream.
    if (!isViewService(dep) && !isGuestService(dep)) throw new Error(`internal: a view depends on ${dep.role} service ${dep.fullName}`);
    return isViewService(dep) ? VIEW_SUFFIX : GUEST_SUFFIX;
  },
};

export function emitViewFile(model: SchemaModel, file: ProtoFile): EmittedModule | undefined {
  return emitRealmFile(model, file, VIEW);
}
