/**
 * The `host` target: for each .proto file with host services, a
 * `<name>_host.ts` module with, per service, a descriptor to register with
 * `createHost`, the interface its implementation has, and a typed client for
 * any transport (a host link, or a worker's gateway). Only types come from
 * runtime/host, so a browser bundle can import the descriptors and clients.
 */
import type { ProtoFile, SchemaModel, Service } from "../schema/model.js";
import { interfaceText } from "./declarations.js";
import { MESSAGES_SUFFIX } from "./messages.js";
import type { EmittedModule } from "./module.js";
import { ImportSet, declaringFile, importSpecifier, localName, outputPath } from "./names.js";
import { clientText, descriptorText, handlerSignature } from "./services.js";

export const HOST_SUFFIX = "_host";
const HOST_RUNTIME = "streampath/runtime/host";
const CORE_RUNTIME = "streampath/runtime/core";

export function emitHostFile(model: SchemaModel, file: ProtoFile): EmittedModule | undefined {
  const services = file.services.map((n) => model.services.get(n)!).filter((s) => s.role === "host");
  if (services.length === 0) return undefined;
  const path = outputPath(file.name, HOST_SUFFIX);
  const own = services.flatMap((s) => [s.name, `${s.name}Implementation`, `${s.name}Client`, `create${s.name}Client`]);
  const imports = new ImportSet(own);
  const rt = (name: string) => imports.use(name === "HandlerContext" ? HOST_RUNTIME : CORE_RUNTIME, name);
  const ref = (fullName: string) =>
    imports.use(importSpecifier(path, outputPath(declaringFile(model, fullName), MESSAGES_SUFFIX)), localName(model, fullName));
  const statements: string[] = [];
  for (const service of services) {
    statements.push(descriptorText(service, ref));
    statements.push(implementationInterface(service, ref, rt));
    statements.push(clientText(service, rt, "over a host link (`connectHost(url)`) or a worker's gateway"));
  }
  return { path, source: file.name, imports, statements };
}

function implementationInterface(
  service: Service,
  ref: (fullName: string) => string,
  rt: (name: string) => string,
): string {
  const ctx = `${rt("HandlerContext")}<P>`;
  return interfaceText({
    name: `${service.name}Implementation`,
    typeParameters: ["P = unknown"],
    exported: true,
    docs: `What a host implements to serve ${service.fullName}; register it with \`implement(${service.name}, ...)\`.`,
    methods: service.methods.map((m) => handlerSignature(m, ref, ctx)),
  });
}
