// Generated code of the host benchmark: ours (`bench/gen/echo`, by our CLI)
// and protobuf-es's (`bench/gen/echo-es`, by protoc-gen-es, for Connect).
// Written by `prepare()` in the parent process, loaded in the children.
// Loaded dynamically with local types, so `npm run typecheck` does not need
// bench/gen/ (git-ignored) to exist.
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
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
/** Where the generated code of a streampath package root lives (bench/host/base.ts). */
export const streampathGenDirOf = (root: string): string =>
  join(root, "bench", "gen", "echo");
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

/** The generated code below `root` (this checkout's, or the base worktree's). */
export async function loadStreampathEcho(
  root: string = repoRoot,
): Promise<StreampathEcho> {
  const dir = streampathGenDirOf(root);
  const pb = await import(pathToFileURL(join(dir, "echo_pb.ts")).href);
  const host = await import(pathToFileURL(join(dir, "echo_host.ts")).href);
  return {
    Event: pb.Event,
    Echo: host.Echo,
    createEchoClient: host.createEchoClient,
  };
}

/** The host runtime (typed as this checkout's; the base's is used the same way). */
export type HostRuntime = typeof import("streampath/runtime/host");

/**
 * `streampath/runtime/host` as the generated code below `root` resolves it
 * (package self-reference: dist/ under the default conditions), so the host
 * or link and the generated module share one runtime. For this checkout
 * that is the module a bare import from bench/ gets.
 */
export async function loadStreampathHost(
  root: string = repoRoot,
): Promise<HostRuntime> {
  const from = join(streampathGenDirOf(root), "echo_host.ts");
  const path = createRequire(from).resolve("streampath/runtime/host");
  if (!path.startsWith(root.replace(/\/?$/, sep)))
    throw new Error(
      `streampath/runtime/host resolved to ${path}, not below ${root}`,
    );
  return (await import(pathToFileURL(path).href)) as HostRuntime;
}

/** `streampath/runtime/core` as the generated code below `root` resolves it (see loadStreampathHost). */
export async function loadStreampathCore(
  root: string = repoRoot,
): Promise<typeof import("streampath/runtime/core")> {
  const from = join(streampathGenDirOf(root), "echo_host.ts");
  const path = createRequire(from).resolve("streampath/runtime/core");
  return (await import(pathToFileURL(path).href)) as typeof import("streampath/runtime/core");
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
