// Generated code of the host benchmark: ours (`bench/gen/echo`, by our CLI)
// and protobuf-es's (`bench/gen/echo-es`, by protoc-gen-es, for Connect).
// Written by `prepare()` in the parent process, loaded in the children.
// Loaded dynamically with local types, so `npm run typecheck` does not need
// bench/gen/ (git-ignored) to exist.
import { mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { MessageCodec } from "streampath/runtime/core";
import type { ServiceDescriptor } from "streampath/runtime/host";
import { requireProtoc, run } from "../lib/exec.js";
import {
  genDirOf,
  protocGenEs,
  repoRoot,
  schemaDir,
  streampathCli,
} from "../lib/paths.js";

export const echoProto = join(schemaDir, "echo.proto");
/** Our generated code. */
export const streampathGenDir = genDirOf("echo");
/** protobuf-es (for Connect). */
export const protobufEsGenDir = genDirOf("echo-es");

/** `/package.Service/Method` of the benchmark's only method. */
export const ECHO_PATH = "/bench.echo.Echo/Echo";

const rel = (path: string): string => relative(repoRoot, path);

/**
 * Regenerates both into bench/gen/ (only our two folders: the codec
 * benchmark owns the rest). Throws with the failing command's output.
 */
export function prepare(): string {
  const protocVersion = requireProtoc();
  for (const dir of [streampathGenDir, protobufEsGenDir]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  run(process.execPath, [
    rel(streampathCli),
    "generate",
    rel(echoProto),
    "--out",
    rel(streampathGenDir),
  ]);
  run("protoc", [
    `-I${rel(schemaDir)}`,
    `--plugin=protoc-gen-es=${rel(protocGenEs)}`,
    `--es_out=${rel(protobufEsGenDir)}`,
    "--es_opt=target=ts",
    rel(echoProto),
  ]);
  return protocVersion;
}

/** Our `Event`: a plain object. */
export interface SpEvent {
  seq: bigint;
  payload: Uint8Array;
}

export interface StreampathEcho {
  Event: MessageCodec<SpEvent>;
  /** The generated service descriptor (for `implement`). */
  Echo: ServiceDescriptor;
  createEchoClient(link: unknown): {
    echo(requests: AsyncIterable<SpEvent>): AsyncIterable<SpEvent>;
  };
}

export async function loadStreampathEcho(): Promise<StreampathEcho> {
  const pb = await import(
    pathToFileURL(join(streampathGenDir, "echo_pb.ts")).href
  );
  const host = await import(
    pathToFileURL(join(streampathGenDir, "echo_host.ts")).href
  );
  return {
    Event: pb.Event,
    Echo: host.Echo,
    createEchoClient: host.createEchoClient,
  };
}

/** protobuf-es's generated file: the `Echo` GenService and `EventSchema`. */
export interface ProtobufEsEcho {
  Echo: any; // GenService<{ echo: bidi Event → Event }>
  EventSchema: any;
}

export async function loadProtobufEsEcho(): Promise<ProtobufEsEcho> {
  const pb = await import(
    pathToFileURL(join(protobufEsGenDir, "echo_pb.ts")).href
  );
  return { Echo: pb.Echo, EventSchema: pb.EventSchema };
}
