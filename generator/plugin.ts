/**
 * protoc-gen-streampath: streampath as a protoc (and buf) plugin. protoc
 * compiles the schema and sends a CodeGeneratorRequest on stdin; the answer
 * on stdout is a CodeGeneratorResponse with the files `streampath generate`
 * writes for the same files, or the schema's errors as `file:line:col:
 * message [rule]` lines. Request and response are read and written with
 * codecs streampath generates itself (generator/gen/).
 */
import { formatDiagnostic } from "../schema/diagnostics.js";
import { SUPPORTED_EDITIONS } from "../schema/load.js";
import { loadDescriptors } from "../schema/load-descriptors.js";
import { Edition } from "./gen/google/protobuf/descriptor_pb.js";
import {
  CodeGeneratorRequest,
  CodeGeneratorResponse,
  CodeGeneratorResponse_Feature as Feature,
} from "./gen/google/protobuf/compiler/plugin_pb.js";
import { TARGETS, type Target, generateFromModel } from "./generate.js";

export interface PluginOptions {
  targets: Target[];
  strictRoles: boolean;
}

const OPTION_HELP = `options: target=${TARGETS.join("+")} (default: all), strict_roles`;

/**
 * Reads the plugin's parameter (`--streampath_opt=target=messages+host,strict_roles`,
 * buf's `opt:` list): comma-separated options; `target` takes targets
 * joined by `+` and may be repeated; `strict_roles` is the CLI's --strict-roles.
 */
export function parsePluginOptions(parameter: string | undefined): PluginOptions | { error: string } {
  const targets: Target[] = [];
  let strictRoles = false;
  for (const entry of (parameter ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.indexOf("=");
    const [name, value] = eq < 0 ? [entry, undefined] : [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
    if (name === "target") {
      for (const target of (value ?? "").split("+").map((t) => t.trim())) {
        if (!(TARGETS as readonly string[]).includes(target)) {
          return { error: `unknown target "${target}" in option "${entry}" (known: ${TARGETS.join(", ")}; join several with +)` };
        }
        if (!targets.includes(target as Target)) targets.push(target as Target);
      }
    } else if (name === "strict_roles" && (value === undefined || value === "true" || value === "false")) {
      strictRoles = value !== "false";
    } else {
      return { error: `unknown option "${entry}" (${OPTION_HELP})` };
    }
  }
  return { targets: targets.length ? TARGETS.filter((t) => targets.includes(t)) : [...TARGETS], strictRoles };
}

/** What the plugin declares it supports: proto3 `optional`, proto2, proto3 and the editions the generator knows. */
export const SUPPORTED: Pick<CodeGeneratorResponse, "supportedFeatures" | "minimumEdition" | "maximumEdition"> = {
  supportedFeatures: BigInt(Feature.FEATURE_PROTO3_OPTIONAL | Feature.FEATURE_SUPPORTS_EDITIONS),
  minimumEdition: Edition.EDITION_PROTO2,
  maximumEdition: Math.max(...SUPPORTED_EDITIONS.map((e) => Edition[`EDITION_${e}` as keyof typeof Edition])),
};

/** The response to a request: the generated files, or an error. Pure: no I/O. */
export async function respond(request: CodeGeneratorRequest): Promise<CodeGeneratorResponse> {
  const answer = (fields: Partial<CodeGeneratorResponse>) => CodeGeneratorResponse.create({ ...SUPPORTED, ...fields });
  const options = parsePluginOptions(request.parameter);
  if ("error" in options) return answer({ error: `streampath: ${options.error}` });
  const { model, diagnostics } = loadDescriptors({ files: request.protoFile, requested: request.fileToGenerate, strictRoles: options.strictRoles });
  if (!model) return answer({ error: diagnostics.map(formatDiagnostic).join("\n") });
  const files = generateFromModel(model, options.targets);
  return answer({ file: files.map((f) => ({ name: f.path, content: f.content })) });
}

/** `generateFromRequest(requestBytes)`: CodeGeneratorRequest bytes in, CodeGeneratorResponse bytes out. */
export async function generateFromRequest(request: Uint8Array | CodeGeneratorRequest): Promise<Uint8Array> {
  let decoded: CodeGeneratorRequest;
  try {
    decoded = request instanceof Uint8Array ? CodeGeneratorRequest.decode(request) : request;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return CodeGeneratorResponse.encode(CodeGeneratorResponse.create({ ...SUPPORTED, error: `streampath: the input is no CodeGeneratorRequest (${message})` }));
  }
  try {
    return CodeGeneratorResponse.encode(await respond(decoded));
  } catch (error) {
    // A bug of the generator: said in the response, where protoc shows it, with its stack.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return CodeGeneratorResponse.encode(CodeGeneratorResponse.create({ ...SUPPORTED, error: `streampath: internal error: ${message}` }));
  }
}

/** The process: the request on stdin, the response on stdout. */
export async function runPlugin(): Promise<void> {
  if (process.stdin.isTTY) {
    process.stderr.write(
      "protoc-gen-streampath is run by protoc or buf, not by hand:\n" +
        "  protoc --plugin=protoc-gen-streampath=node_modules/.bin/protoc-gen-streampath --streampath_out=gen -I schema schema/a.proto\n" +
        `  (--streampath_opt=… ${OPTION_HELP}). See README.md, "From protoc or buf".\n`,
    );
    process.exitCode = 2;
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const response = await generateFromRequest(new Uint8Array(Buffer.concat(chunks)));
  await new Promise<void>((resolve, reject) => process.stdout.write(response, (error) => (error ? reject(error) : resolve())));
}
