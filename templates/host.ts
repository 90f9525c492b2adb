/**
 * The `host` target: for each .proto file with host services, a
 * `<name>_host.ts` module with, per service, a descriptor to register with
 * `createHost`, the interface its implementation has, and a typed client for
 * any transport (a host link, or a worker's gateway). Only types come from
 * runtime/host, so a browser bundle can import the descriptors and clients.
 */
import { CodeBlockWriter, type InterfaceDeclarationStructure, type StatementStructures, StructureKind } from "ts-morph";
import type { Method, ProtoFile, SchemaModel, Service } from "../schema/model.js";
import { MESSAGES_SUFFIX } from "./messages.js";
import { docs, type EmittedModule } from "./module.js";
import { ImportSet, declaringFile, importSpecifier, localName, outputPath } from "./names.js";

export const HOST_SUFFIX = "_host";
const HOST_RUNTIME = "streampath/runtime/host";
const CORE_RUNTIME = "streampath/runtime/core";

/** `GetBoard` → `getBoard`: the method's name in TypeScript. */
export function methodName(rpc: string): string {
  return rpc.charAt(0).toLowerCase() + rpc.slice(1);
}

export function emitHostFile(model: SchemaModel, file: ProtoFile): EmittedModule | undefined {
  const services = file.services.map((n) => model.services.get(n)!).filter((s) => s.role === "host");
  if (services.length === 0) return undefined;
  const path = outputPath(file.name, HOST_SUFFIX);
  const own = services.flatMap((s) => [s.name, `${s.name}Implementation`, `${s.name}Client`, `create${s.name}Client`]);
  const imports = new ImportSet(own);
  const rt = (name: string) => imports.use(name === "HandlerContext" ? HOST_RUNTIME : CORE_RUNTIME, name);
  const ref = (fullName: string) =>
    imports.use(importSpecifier(path, outputPath(declaringFile(model, fullName), MESSAGES_SUFFIX)), localName(model, fullName));
  const statements: (StatementStructures | string)[] = [];
  for (const service of services) {
    statements.push(descriptorText(service, ref));
    statements.push(implementationInterface(service, ref, rt));
    statements.push(clientText(service, rt));
  }
  return { path, source: file.name, imports, statements };
}

function descriptorText(service: Service, ref: (fullName: string) => string): string {
  const w = new CodeBlockWriter({ indentNumberOfSpaces: 2 });
  const doc = service.comment ? `/**\n${service.comment.split("\n").map((l) => ` * ${l}`.trimEnd()).join("\n")}\n */\n` : "";
  w.write(`${doc}export const ${service.name} = `).inlineBlock(() => {
    w.writeLine(`typeName: "${service.fullName}",`);
    w.write("methods: ").inlineBlock(() => {
      for (const m of service.methods) {
        w.write(`${methodName(m.name)}: `).inlineBlock(() => {
          w.writeLine(`name: "${m.name}",`);
          w.writeLine(`path: "${m.path}",`);
          w.writeLine(`kind: "${m.kind}",`);
          w.writeLine(`input: ${ref(m.inputType)},`);
          w.writeLine(`output: ${ref(m.outputType)},`);
        });
        w.write(",").newLine();
      }
    });
    w.write(",").newLine();
  });
  w.write(" as const;");
  return w.toString();
}

function implementationInterface(
  service: Service,
  ref: (fullName: string) => string,
  rt: (name: string) => string,
): InterfaceDeclarationStructure {
  const ctx = `${rt("HandlerContext")}<P>`;
  return {
    kind: StructureKind.Interface,
    name: `${service.name}Implementation`,
    typeParameters: [{ name: "P", default: "unknown" }],
    isExported: true,
    docs: docs(`What a host implements to serve ${service.fullName}; register it with \`implement(${service.name}, ...)\`.`),
    methods: service.methods.map((m) => handlerSignature(m, ref, ctx)),
  };
}

function handlerSignature(m: Method, ref: (fullName: string) => string, ctx: string) {
  const input = ref(m.inputType);
  const output = ref(m.outputType);
  const streamingIn = m.kind === "client_streaming" || m.kind === "bidi_streaming";
  const streamingOut = m.kind === "server_streaming" || m.kind === "bidi_streaming";
  return {
    name: methodName(m.name),
    docs: docs(m.comment),
    parameters: [
      streamingIn ? { name: "requests", type: `AsyncIterable<${input}>` } : { name: "request", type: input },
      { name: "context", type: ctx },
    ],
    returnType: streamingOut ? `AsyncIterable<${output}>` : `Promise<${output}> | ${output}`,
  };
}

function clientText(service: Service, rt: (name: string) => string): string {
  const client = `${service.name}Client`;
  return [
    `/** A typed client of ${service.fullName} over a host link (\`connectHost(url)\`) or a worker's gateway. */`,
    `export type ${client} = ${rt("Client")}<typeof ${service.name}>;`,
    "",
    signatureLine(`export function create${client}(`, `transport: ${rt("Transport")}`, `): ${client} {`),
    `  return ${rt("createClient")}(${service.name}, transport);`,
    "}",
  ].join("\n");
}

/** A one-parameter signature on one line if it fits in 80 columns, else broken as prettier breaks it. */
function signatureLine(open: string, parameter: string, close: string): string {
  const line = `${open}${parameter}${close}`;
  return line.length <= 80 ? line : `${open}\n  ${parameter},\n${close}`;
}
