/**
 * Loads a schema that protoc or buf has already compiled: FileDescriptorProtos
 * (a CodeGeneratorRequest's proto_file) instead of .proto text. The files go
 * into a protobufjs Root as the parser would have put them (descriptor-root.ts),
 * with positions from their source_code_info (descriptor-positions.ts), in the
 * order loadSchema loads text; buildModel and checkRoles then run unchanged, so
 * both ways make the same model and the same code.
 */
import protobuf from "protobufjs";
import type { FileDescriptorProto } from "../generator/gen/google/protobuf/descriptor_pb.js";
import type { Diagnostic } from "./diagnostics.js";
import { addDescriptorFile } from "./descriptor-root.js";
import { descriptorPositions, editionName } from "./descriptor-positions.js";
import { SourceInfo } from "./descriptor-source.js";
import { type LoadResult, type LoadedFile, SUPPORTED_EDITIONS, addBundledFile, checkedModel, isBundledFile } from "./load.js";

export interface DescriptorLoadOptions {
  /** Every file, with all it imports (a request's proto_file). */
  files: readonly FileDescriptorProto[];
  /** The files to generate code for (file_to_generate), in order. */
  requested: readonly string[];
  /** Make a service without a role option an error instead of a host service. */
  strictRoles?: boolean;
}

export function loadDescriptors(options: DescriptorLoadOptions): LoadResult {
  const byName = new Map(options.files.map((f) => [f.name ?? "", f]));
  const diagnostics: Diagnostic[] = [];
  const root = new protobuf.Root();
  const files = new Map<string, LoadedFile>();
  const fail = (file: string, rule: string, message: string, at = { line: 1, column: 1 }) =>
    diagnostics.push({ file, ...at, rule, message });

  // As loadSchema: each requested file, then what it imports, depth first.
  const load = (name: string, requested: boolean, importedBy?: LoadedFile) => {
    const existing = files.get(name);
    if (existing) {
      existing.requested ||= requested;
      return;
    }
    if (isBundledFile(name)) {
      // The well-known types are protobufjs's, as when loading text.
      files.set(name, { ...addBundledFile(root, name), requested });
      return;
    }
    const fd = byName.get(name);
    if (!fd) {
      fail(importedBy?.name ?? name, "import", `"${name}" is not in the request's proto_file`, importedBy?.positions?.imports.get(name)?.at);
      return;
    }
    const info = new SourceInfo(fd);
    const positions = descriptorPositions(fd, info);
    const syntax = fd.syntax === "editions" ? "editions" : fd.syntax === "proto3" ? "proto3" : "proto2";
    const edition = syntax === "editions" ? positions.edition?.name ?? editionName(fd.edition ?? 0) : syntax;
    const weak = fd.dependency.filter((_, i) => fd.weakDependency.includes(i));
    const file: LoadedFile = {
      name,
      displayPath: name,
      source: undefined,
      positions,
      syntax,
      edition,
      package: fd.package ?? "",
      // The parser lists weak imports after the others.
      imports: [...new Set([...fd.dependency.filter((d) => !weak.includes(d)), ...weak])],
      publicImports: fd.publicDependency.map((i) => fd.dependency[i]),
      requested,
    };
    files.set(name, file);
    if (syntax === "editions" && !SUPPORTED_EDITIONS.includes(edition)) {
      const at = positions.edition?.at;
      fail(name, "edition", `edition "${edition}" is not supported; streampath supports proto2, proto3 and editions ${SUPPORTED_EDITIONS.join(", ")}`, at);
      return;
    }
    try {
      addDescriptorFile(root, fd, info, edition);
    } catch (error) {
      // What protobufjs refuses to build (protoc checks the rest before the plugin runs).
      fail(name, "descriptor", error instanceof Error ? error.message : String(error));
      return;
    }
    for (const dependency of file.imports) load(dependency, false, file);
  };
  for (const name of options.requested) load(name, true);
  return checkedModel(root, files, diagnostics, options.strictRoles ?? false);
}
