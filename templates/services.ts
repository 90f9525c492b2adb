/**
 * What the host and guest targets emit alike for a service: its descriptor,
 * handler signatures and typed client. One copy, so a service implemented in
 * a worker looks like one implemented on a host.
 */
import type { Method, Service } from "../schema/model.js";
import { type MethodSignature, docBlock } from "./declarations.js";
import { CodeWriter } from "./writer.js";

/** `GetBoard` → `getBoard`: the method's name in TypeScript (and `BoardHost` → `boardHost`, a dependency's). */
export function methodName(rpc: string): string {
  return rpc.charAt(0).toLowerCase() + rpc.slice(1);
}

/** `export const X = { typeName, methods: { ... } } as const;`: what registration and clients take. */
export function descriptorText(service: Service, ref: (fullName: string) => string): string {
  const w = new CodeWriter();
  const doc = docBlock(service.comment, "", false);
  w.write(`${doc}export const ${service.name} = `).inlineBlock(() => {
    w.writeLine(`typeName: "${service.fullName}",`);
    w.write("methods: ").inlineBlock(() => {
      for (const m of service.methods) {
        w.write(`${methodName(m.name)}: `).inlineBlock(() => {
          w.writeLine(`name: "${m.name}",`);
          w.writeLine(`path: "${m.path}",`);
          w.writeLine(`kind: "${m.kind}",`);
          if (m.idempotency) w.writeLine(`idempotency: "${m.idempotency}",`);
          // `as typeof`: a declaration emitter that sees only this file (isolatedDeclarations) can type it.
          const input = ref(m.inputType);
          const output = ref(m.outputType);
          w.writeLine(`input: ${input} as typeof ${input},`);
          w.writeLine(`output: ${output} as typeof ${output},`);
        });
        w.write(",").newLine();
      }
    });
    w.write(",").newLine();
  });
  w.write(" as const;");
  return w.toString();
}

/** One method of an implementation interface; `ctx` is the context type handlers get. */
export function handlerSignature(m: Method, ref: (fullName: string) => string, ctx: string): MethodSignature {
  const input = ref(m.inputType);
  const output = ref(m.outputType);
  const streamingIn = m.kind === "client_streaming" || m.kind === "bidi_streaming";
  const streamingOut = m.kind === "server_streaming" || m.kind === "bidi_streaming";
  return {
    name: methodName(m.name),
    docs: m.comment,
    parameters: [
      streamingIn ? { name: "requests", type: `AsyncIterable<${input}>` } : { name: "request", type: input },
      { name: "context", type: ctx },
    ],
    returnType: streamingOut ? `AsyncIterable<${output}>` : `Promise<${output}> | ${output}`,
  };
}

/** `XClient` and `createXClient(transport)`; `over` says in the doc comment what transports it is for. */
export function clientText(service: Service, rt: (name: string) => string, over: string): string {
  const client = `${service.name}Client`;
  return [
    `/** A typed client of ${service.fullName} ${over}. */`,
    `export type ${client} = ${rt("Client")}<typeof ${service.name}>;`,
    "",
    signatureLine(`export function create${client}(`, `transport: ${rt("Transport")}`, `): ${client} {`),
    `  return ${rt("createClient")}(${service.name}, transport);`,
    "}",
  ].join("\n");
}

/** A one-parameter signature on one line; the printer breaks it where it passes 80 columns. */
export function signatureLine(open: string, parameter: string, close: string): string {
  return `${open}${parameter}${close}`;
}
