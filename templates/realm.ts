/**
 * What the guest and view targets emit alike: a module of the services one
 * browser realm serves (a worker's read/write services, a window's views),
 * with per service its descriptor, the interface its implementation has
 * (the host's, with the realm's context), a typed client, the clients of
 * what it depends on, and `defineX(create)` for the realm's registry. The
 * targets differ only in the names a RealmTarget gives.
 */
import type { ProtoFile, SchemaModel, Service } from "../schema/model.js";
import { interfaceText } from "./declarations.js";
import { MESSAGES_SUFFIX } from "./messages.js";
import type { EmittedModule } from "./module.js";
import { ImportSet, declaringFile, importSpecifier, localName, outputPath } from "./names.js";
import { clientText, descriptorText, handlerSignature, methodName, signatureLine } from "./services.js";

export interface RealmTarget {
  /** The output file's suffix (`_guest`). */
  readonly suffix: string;
  /** The runtime entry point of the realm (`streampath/runtime/guest`). */
  readonly runtime: string;
  /** Its handler context type, service type and define function (`GuestContext`, `WorkerService`, `defineWorkerService`). */
  readonly context: string;
  readonly service: string;
  readonly define: string;
  /** Its registry function (`serveWorker`) and where it runs (`worker`), for doc comments. */
  readonly registry: string;
  readonly place: string;
  /** The services of a file this target emits. */
  serves(service: Service): boolean;
  /** The suffix of the module a dependency's descriptor and client come from (`_host`). */
  dependencyModule(dependency: Service): string;
}

const CORE_RUNTIME = "streampath/runtime/core";

export function emitRealmFile(model: SchemaModel, file: ProtoFile, target: RealmTarget): EmittedModule | undefined {
  const services = file.services.map((n) => model.services.get(n)!).filter((s) => target.serves(s));
  if (services.length === 0) return undefined;
  const path = outputPath(file.name, target.suffix);
  const own = services.flatMap((s) => [
    ...[s.name, `${s.name}Implementation`, `${s.name}Client`, `create${s.name}Client`],
    ...[`${s.name}Dependencies`, `define${s.name}`],
  ]);
  const imports = new ImportSet(own);
  const rt = (name: string) =>
    name === target.define
      ? imports.use(target.runtime, name)
      : name === target.context || name === target.service
        ? imports.use(target.runtime, name, true)
        : imports.use(CORE_RUNTIME, name);
  const ref = (fullName: string) =>
    imports.use(importSpecifier(path, outputPath(declaringFile(model, fullName), MESSAGES_SUFFIX)), localName(model, fullName));
  // A dependency's descriptor and client type: local, or from the module of its role.
  const dependency = (dep: Service): { descriptor: string; client: string } => {
    const suffix = target.dependencyModule(dep);
    if (dep.file === file.name && suffix === target.suffix) return { descriptor: dep.name, client: `${dep.name}Client` };
    const from = importSpecifier(path, outputPath(dep.file, suffix));
    return { descriptor: imports.use(from, dep.name), client: imports.use(from, `${dep.name}Client`, true) };
  };
  const statements: string[] = [];
  for (const service of services) {
    const deps = dependencyNames(model, service).map(([name, dep]) => ({ name, dep, ...dependency(dep) }));
    statements.push(descriptorText(service, ref));
    statements.push(
      interfaceText({
        name: `${service.name}Implementation`,
        exported: true,
        docs: `What a ${target.place} implements to serve ${service.fullName}: what the factory given to \`define${service.name}\` returns.`,
        methods: service.methods.map((m) => handlerSignature(m, ref, rt(target.context))),
      }),
    );
    statements.push(clientText(service, rt, `over any transport (in the ${target.place}: \`${target.registry}(...).transport\`)`));
    const dependenciesDoc = `The clients ${service.fullName}'s implementation is given: one per \`depends_on\`.`;
    statements.push(
      deps.length === 0
        ? // prettier prints an empty interface on one line; interfaceText does not.
          `/** ${dependenciesDoc} */\nexport interface ${service.name}Dependencies {}`
        : interfaceText({
            name: `${service.name}Dependencies`,
            exported: true,
            docs: dependenciesDoc,
            properties: deps.map((d) => ({ name: d.name, type: d.client })),
          }),
    );
    const entries = deps.map((d) => `    ${d.name}: { service: ${d.descriptor}, role: "${d.dep.role}" },\n`).join("");
    statements.push(
      [
        `/** ${service.fullName} for \`${target.registry}\`: \`create\` gets the clients of its dependencies and returns its implementation. */`,
        signatureLine(
          `export function define${service.name}(`,
          `create: (deps: ${service.name}Dependencies) => ${service.name}Implementation`,
          `): ${rt(target.service)} {`,
        ),
        `  return ${rt(target.define)}(${service.name}, create, {${entries ? `\n${entries}  ` : ""}});`,
        "}",
      ].join("\n"),
    );
  }
  return { path, source: file.name, imports, statements };
}

/**
 * Each dependency's property in `XDependencies`: its lower-camel name
 * (`boardHost`), or where two share a simple name, its full name's
 * (`boardV1BoardHost`).
 */
function dependencyNames(model: SchemaModel, service: Service): [string, Service][] {
  const deps = service.dependencies.map((d) => model.services.get(d.service)!);
  const camel = (fullName: string) => methodName(fullName.split(".").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join(""));
  return deps.map((dep) => [
    deps.filter((other) => other.name === dep.name).length > 1 ? camel(dep.fullName) : methodName(dep.name),
    dep,
  ]);
}
