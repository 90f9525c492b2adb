/**
 * googleapis (npm google-proto-files) as a large real-world fixture: the
 * proto files the test generates, the same files loaded by protobufjs
 * reflection, the generated codecs by full type name, and type-checking of
 * the output under several compiler settings.
 */
import { readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inspect, isDeepStrictEqual } from "node:util";
import protobuf from "protobufjs";
import ts from "typescript";
import { generate } from "../../generator/generate.js";
import { writeOutput } from "../../generator/output.js";
import { formatDiagnostic } from "../../schema/diagnostics.js";
import type { Extension } from "../../runtime/core/extension.js";
import type { MessageCodec } from "../../runtime/core/message.js";
import { ROOT } from "./generated.js";
import type { Msg } from "./random-message.js";
import { STRICT_OPTIONS, walkTs } from "./typecheck.js";

/** The include path: the package's root, which holds google/… */
export const GOOGLEAPIS = path.dirname(createRequire(import.meta.url).resolve("google-proto-files/package.json"));
export const GOOGLEAPIS_VERSION: string = createRequire(import.meta.url)("google-proto-files/package.json").version;

/** The proto files generated, relative to GOOGLEAPIS: every .proto of these directories (not of their subdirectories). */
export const PROTO_DIRS = [
  "google/api",
  "google/rpc",
  "google/rpc/context",
  "google/type",
  "google/longrunning",
  "google/pubsub/v1",
  "google/firestore/v1",
  "google/spanner/v1",
  "google/storage/v2",
  "google/cloud/speech/v1",
  "google/iam/v1",
  "google/iam/v1/logging",
  "google/datastore/v1",
  "google/bigtable/v2",
  "google/logging/v2",
];

/** Every file, listed: a change of the package shows in the test's count check rather than silently. */
export function protoFiles(): string[] {
  return PROTO_DIRS.flatMap((dir) =>
    readdirSync(path.join(GOOGLEAPIS, dir))
      .filter((f) => f.endsWith(".proto"))
      .sort()
      .map((f) => `${dir}/${f}`),
  );
}

export interface Generated {
  /** Output directory (test/.gen/googleapis). */
  dir: string;
  /** Formatted diagnostics (file:line:col rule message); nothing is written when there are any. */
  diagnostics: string[];
  /** Generated paths relative to `dir`. */
  paths: string[];
  ms: number;
}

/** Generates every target of `files` into test/.gen/googleapis (roles default to host). */
export async function generateGoogleapis(files: string[]): Promise<Generated> {
  const dir = path.join(ROOT, "test/.gen/googleapis");
  const started = Date.now();
  const result = await generate({
    cwd: ROOT,
    files: files.map((f) => path.join(GOOGLEAPIS, f)),
    includePaths: [GOOGLEAPIS],
    targets: ["messages", "host", "guest", "view"],
  });
  rmSync(dir, { recursive: true, force: true });
  if (result.diagnostics.length === 0) writeOutput(dir, result.files);
  return {
    dir,
    diagnostics: result.diagnostics.map(formatDiagnostic),
    paths: result.files.map((f) => f.path),
    ms: Date.now() - started,
  };
}

/** The same files as protobufjs reflection sees them; google/protobuf/* it bundles come from protobufjs. */
export function loadPbjsGoogleapis(files: string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    Object.prototype.hasOwnProperty.call(protobuf.common, target) || path.isAbsolute(target)
      ? target
      : path.join(GOOGLEAPIS, target);
  root.loadSync(files, { keepCase: false });
  root.resolveAll();
  return root;
}

/** Every message type of the root, by full name without the leading dot, sorted. */
export function pbjsTypes(root: protobuf.Root): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Type) out.push(o);
      if (o instanceof protobuf.Namespace) walk(o);
    }
  };
  walk(root);
  return out.sort((a, b) => (a.fullName < b.fullName ? -1 : 1));
}

export type Codec = MessageCodec<unknown>;

/**
 * Imports every generated `_pb.ts` and indexes the exported codecs by
 * `typeName` (export names are not relied on); collects the extensions too.
 */
export async function importCodecs(dir: string, paths: string[], extensions: Extension<any, any>[] = []): Promise<Map<string, Codec>> {
  const codecs = new Map<string, Codec>();
  for (const p of paths.filter((p) => p.endsWith("_pb.ts"))) {
    const module: Record<string, unknown> = await import(pathToFileURL(path.join(dir, p)).href);
    for (const value of Object.values(module)) {
      const c = value as Partial<Codec> | null;
      if (c && typeof c === "object" && typeof c.typeName === "string" && typeof c.encode === "function") {
        codecs.set(c.typeName, c as Codec);
      } else if (c && typeof c === "object" && typeof (c as Partial<Extension<any, any>>).extendee === "string") {
        extensions.push(c as unknown as Extension<any, any>);
      }
    }
  }
  return codecs;
}

export interface TypeCheck {
  options: string;
  /** Diagnostics in the generated files only (the runtime is compiled by `npm run typecheck` with its own settings). */
  count: number;
  /** The first few, formatted with file:line:col. */
  first: string;
  /** Count by error code. */
  codes: Record<string, number>;
  ms: number;
}

/**
 * Type-checks every file below `dir` with STRICT_OPTIONS (strict, NodeNext,
 * `source` condition: streampath/runtime/* resolves to this checkout's
 * sources through the package's exports) plus `extra`. One program per
 * option set, reusing the parsed files of the previous one.
 */
export function typeCheckGenerated(dir: string, extras: ts.CompilerOptions[], show = 8): TypeCheck[] {
  const files = walkTs(dir);
  const cache = new Map<string, ts.SourceFile | undefined>();
  let old: ts.Program | undefined;
  return extras.map((extra) => {
    const started = Date.now();
    const options = { ...STRICT_OPTIONS, ...extra };
    const host = ts.createCompilerHost(options, true);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language, ...rest) => {
      if (!cache.has(name)) cache.set(name, read(name, language, ...rest));
      return cache.get(name);
    };
    const program = ts.createProgram(files, options, host, old);
    old = program;
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...files.flatMap((f) => {
        const sf = program.getSourceFile(f)!;
        return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      }),
    ];
    const codes: Record<string, number> = {};
    for (const d of diagnostics) codes[`TS${d.code}`] = (codes[`TS${d.code}`] ?? 0) + 1;
    const first = ts.formatDiagnostics(diagnostics.slice(0, show), {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => "\n",
    });
    return { options: JSON.stringify(extra), count: diagnostics.length, first, codes, ms: Date.now() - started };
  });
}

export const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
export const show = (v: unknown) => inspect(v, { depth: 12, breakLength: 160, maxStringLength: 120 });

/** The first place two protobufjs objects differ, as a path and both values. */
export function firstDifference(a: unknown, b: unknown, at = ""): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Msg)[k], (b as Msg)[k], `${at}.${k}`);
      if (d) return d;
    }
  }
  return `${at || "(top)"}: expected ${show(a)}, got ${show(b)}`;
}

/** Removes parts of a failing input while it still fails, for a short reproduction. */
export function shrink(input: Msg, fails: (m: Msg) => boolean): Msg {
  const copy = (v: unknown): any =>
    v instanceof Uint8Array ? v : Array.isArray(v) ? v.map(copy) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) : v;
  let best = copy(input);
  const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] =>
    v && typeof v === "object" && !(v instanceof Uint8Array)
      ? Object.keys(v).flatMap((k) => [[...at, Array.isArray(v) ? Number(k) : k], ...paths((v as Msg)[k], [...at, k])])
      : [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of paths(best)) {
      const candidate = copy(best);
      const parent = p.slice(0, -1).reduce((o: any, k) => o?.[k], candidate);
      const last = p[p.length - 1];
      // An Any without its type_url fails JSON in a way of its own.
      if (parent === undefined || last === "type_url") continue;
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
      let still = false;
      try {
        still = fails(candidate);
      } catch {
        still = false;
      }
      if (still) {
        best = candidate;
        changed = true;
        break;
      }
    }
  }
  return best;
}
