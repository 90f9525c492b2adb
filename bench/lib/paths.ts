// Well-known locations used by the benchmark scripts. Everything is derived
// from this file's URL so the scripts work from any working directory.
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Repository root (the folder holding package.json). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export const benchDir = join(repoRoot, "bench");
export const schemaDir = join(benchDir, "schema");
/** The .proto file all codecs in the codec benchmark are generated from. */
export const benchProto = join(schemaDir, "bench.proto");

/** Generated code of every codec goes to `bench/gen/<codec>/` (git-ignored). */
export const genDir = join(benchDir, "gen");
export const genDirOf = (codec: string): string => join(genDir, codec);
/**
 * Written by prepare.ts when our generator could not produce code, so that
 * codec.ts can repeat the reason next to the results instead of guessing.
 */
export const streampathErrorFile = join(genDir, "streampath.error.txt");

/** Our CLI (owned by the generator work, may not exist yet). */
export const streampathCli = join(repoRoot, "bin", "streampath.js");

/** protoc plugins installed as devDependencies. */
export const protocGenEs = join(
  repoRoot,
  "node_modules",
  ".bin",
  "protoc-gen-es",
);
export const protocGenTsProto = join(
  repoRoot,
  "node_modules",
  ".bin",
  "protoc-gen-ts_proto",
);
export const pbjsCli = join(repoRoot, "node_modules", ".bin", "pbjs");
