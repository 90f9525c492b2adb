// Generates the code of every codec compared by codec.ts into bench/gen/.
//
//   npx tsx bench/prepare.ts
//
// Peers are generated with their own tool chains from bench/schema/bench.proto.
// Our generator is run through its CLI; while it is not available the reason
// is recorded in bench/gen/streampath.error.txt and reported loudly, but the
// peers are still prepared so the rest of the benchmark can run.
//
// BENCH_BASELINE=<git rev> also prepares that revision's generator and codec
// (lib/baseline.ts), for a `streampath @<rev>` row; failing that is fatal.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  baselineLabel,
  baselineRev,
  prepareBaseline,
  writeRuntimeProbe,
} from "./lib/baseline.js";
import { errorMessage, requireProtoc, run } from "./lib/exec.js";
import {
  benchProto,
  genDir,
  genDirOf,
  pbjsCli,
  protocGenEs,
  protocGenTsProto,
  repoRoot,
  schemaDir,
  streampathCli,
  streampathErrorFile,
} from "./lib/paths.js";

/** Repository-relative path: the commands are run from the repository root. */
const rel = (path: string): string => relative(repoRoot, path);

/** protobufjs static code as an ES module (`-w esm` implies `--es6`). */
function generateProtobufjsStatic(): void {
  const outDir = genDirOf("protobufjs-static");
  mkdirSync(outDir, { recursive: true });
  run(pbjsCli, [
    "-t",
    "static-module",
    "-w",
    "esm",
    "-o",
    rel(join(outDir, "bench.js")),
    rel(benchProto),
  ]);
}

/** protobuf-es v2 message code, emitted as TypeScript (tsx runs it directly). */
function generateProtobufEs(): void {
  const outDir = genDirOf("protobuf-es");
  mkdirSync(outDir, { recursive: true });
  run("protoc", [
    `-I${rel(schemaDir)}`,
    `--plugin=protoc-gen-es=${rel(protocGenEs)}`,
    `--es_out=${rel(outDir)}`,
    "--es_opt=target=ts",
    rel(benchProto),
  ]);
}

/**
 * ts-proto options, chosen so its message shapes are as close as ts-proto
 * allows to ours: bigint for 64-bit fields, oneofs as `{ $case, value }`,
 * Timestamp as a plain message rather than a Date (a Date conversion would
 * add work the other codecs do not do), ESM-compatible imports.
 */
export const TS_PROTO_OPTIONS = [
  "forceLong=bigint",
  "esModuleInterop=true",
  "importSuffix=.js",
  "oneof=unions-value",
  "useDate=false",
  "outputServices=false",
].join(",");

function generateTsProto(): void {
  const outDir = genDirOf("ts-proto");
  mkdirSync(outDir, { recursive: true });
  run("protoc", [
    `-I${rel(schemaDir)}`,
    `--plugin=protoc-gen-ts_proto=${rel(protocGenTsProto)}`,
    `--ts_proto_out=${rel(outDir)}`,
    `--ts_proto_opt=${TS_PROTO_OPTIONS}`,
    rel(benchProto),
  ]);
}

/** Our generator, through the same CLI a user would run. */
function generateStreampath(): void {
  if (!existsSync(streampathCli))
    throw new Error(`${rel(streampathCli)} does not exist yet`);
  run(process.execPath, [
    rel(streampathCli),
    "generate",
    rel(benchProto),
    "--out",
    rel(genDirOf("streampath")),
  ]);
  writeRuntimeProbe(genDirOf("streampath"));
}

function main(): void {
  const protocVersion = requireProtoc();
  // Start from scratch so no stale output from an older schema or tool survives.
  rmSync(genDir, { recursive: true, force: true });
  mkdirSync(genDir, { recursive: true });

  generateProtobufjsStatic();
  generateProtobufEs();
  generateTsProto();
  console.log(
    `prepare: generated protobufjs-static, protobuf-es, ts-proto (${protocVersion})`,
  );

  try {
    generateStreampath();
    console.log("prepare: generated streampath");
  } catch (error) {
    rmSync(genDirOf("streampath"), { recursive: true, force: true });
    writeFileSync(streampathErrorFile, errorMessage(error));
    console.error(
      `\n!!! streampath generator not available: ${errorMessage(error)}\n`,
    );
  }

  const rev = baselineRev();
  if (rev !== undefined) {
    const commit = prepareBaseline(rev);
    console.log(`prepare: generated ${baselineLabel(rev)} = ${commit}`);
  }
}

main();
