/**
 * Loads .proto files with protobufjs and turns them into the plain schema
 * model. Loading goes on past errors so that every problem is reported at
 * once, each with its file:line:column; the model is only returned when
 * there are none.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import type { Diagnostic } from "./diagnostics.js";
import { sortDiagnostics } from "./diagnostics.js";
import { buildModel } from "./build-model.js";
import { resolveFeatures } from "./field-facts.js";
import { findOnLine, indexPositions, type FilePositions, type Position } from "./positions.js";
import type { SchemaModel } from "./model.js";
import { checkRoles } from "./roles.js";

export interface LoadOptions {
  /** The .proto files to generate code for. */
  files: string[];
  /** Directories imports are resolved against (`-I`). Default: each input file's directory, then `cwd`. */
  includePaths?: string[];
  /** Make a service without a role option an error instead of a host service. */
  strictRoles?: boolean;
  /** Base for relative paths and for the paths in diagnostics. Default: `process.cwd()`. */
  cwd?: string;
  /** Reads a file; the default reads from disk. Build tools may serve unsaved buffers. */
  readFile?: (absolutePath: string) => string | undefined;
}

export interface LoadResult {
  /** Undefined when there are diagnostics. */
  model: SchemaModel | undefined;
  diagnostics: Diagnostic[];
}

/** What the loader knows of one file while building the model. */
export interface LoadedFile {
  name: string;
  displayPath: string;
  source: string | undefined;
  positions: FilePositions | undefined;
  syntax: "proto2" | "proto3" | "editions";
  /** `proto2`, `proto3` or the edition (`2023`). */
  edition: string;
  package: string;
  imports: string[];
  publicImports: string[];
  requested: boolean;
}

/** Editions whose feature defaults the generator knows (protobuf-es supports the same). */
export const SUPPORTED_EDITIONS: readonly string[] = ["2023", "2024"];

const here = path.dirname(fileURLToPath(import.meta.url));
/** Ships `streampath/options.proto`; found from source and from dist alike. */
const BUNDLED_PROTO_DIR = [path.join(here, "proto"), path.join(here, "../../schema/proto")].find((dir) =>
  existsSync(path.join(dir, "streampath/options.proto")),
)!;
/** protobufjs ships google/protobuf/descriptor.proto and friends. */
const PROTOBUFJS_DIR = path.dirname(createRequire(import.meta.url).resolve("protobufjs"));

const commonFiles = protobuf.common as unknown as Record<string, unknown> & {
  get(file: string): protobuf.INamespace | null;
};

function readFromDisk(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export function loadSchema(options: LoadOptions): LoadResult {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const readFile = options.readFile ?? readFromDisk;
  const inputs = options.files.map((f) => path.resolve(cwd, f));
  const userIncludes = (options.includePaths?.length
    ? options.includePaths.map((p) => path.resolve(cwd, p))
    : [...new Set(inputs.map((f) => path.dirname(f))), cwd]);
  const includes = [...userIncludes, BUNDLED_PROTO_DIR, PROTOBUFJS_DIR];
  const display = (abs: string) => path.relative(cwd, abs) || abs;

  const diagnostics: Diagnostic[] = [];
  const root = new protobuf.Root();
  const files = new Map<string, LoadedFile>();

  const report = (file: string, at: Position, rule: string, message: string) =>
    diagnostics.push({ file, line: at.line, column: at.column, rule, message });

  const loadBundled = (name: string): LoadedFile => {
    const file = addBundledFile(root, name);
    files.set(name, file);
    return file;
  };

  const load = (name: string, abs: string, requested: boolean): LoadedFile => {
    const existing = files.get(name);
    if (existing) {
      existing.requested ||= requested;
      return existing;
    }
    if (isBundledFile(name)) {
      const file = loadBundled(name);
      file.requested = requested;
      return file;
    }
    const source = readFile(abs)!;
    const positions = indexPositions(source);
    const file: LoadedFile = {
      name,
      displayPath: display(abs),
      source,
      positions,
      syntax: "proto3",
      edition: "proto3",
      package: "",
      imports: [],
      publicImports: [],
      requested,
    };
    files.set(name, file);
    if (positions.edition && !SUPPORTED_EDITIONS.includes(positions.edition.name)) {
      // Another edition's defaults are not these: guessing would write wrong bytes. Checked
      // before protobufjs parses, which refuses some editions with a bare syntax error.
      report(
        file.displayPath,
        positions.edition.at,
        "edition",
        `edition "${positions.edition.name}" is not supported; streampath supports proto2, proto3 and editions ${SUPPORTED_EDITIONS.join(", ")}`,
      );
      return file;
    }
    let parsed: protobuf.IParserResult;
    // Only an editions file can hit the protobufjs slip below; walking every object before and
    // after each file's parse made loading quadratic in the schema's size.
    const before = positions.edition ? new Set(allObjects(root)) : undefined;
    // protobufjs throws and catches an Error for every option value that is not a number
    // (`= REQUIRED`); no stack is read, so none is captured (a tenth of a large schema's load).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      (protobuf.parse as unknown as { filename: string | null }).filename = name;
      parsed = protobuf.parse(source, root, { keepCase: true, alternateCommentMode: true });
    } catch (error) {
      reportParseError(file, error instanceof Error ? error.message : String(error), report);
      return file;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    // protobufjs forgets the file name after an error it catches itself (a bare-name
    // `reserved foo;` in editions), leaving every later declaration of the file without one.
    for (const obj of before ? allObjects(root) : []) {
      if (before!.has(obj)) continue;
      obj.filename ??= name;
      if (obj instanceof protobuf.Type) for (const f of obj.fieldsArray) f.filename ??= name;
    }
    file.syntax = positions.edition ? "editions" : positions.syntax;
    file.edition = positions.edition?.name ?? positions.syntax;
    file.package = parsed.package ?? "";
    for (const imported of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      const target = resolveImport(imported, includes, readFile);
      if (target === undefined) {
        report(
          file.displayPath,
          positions.imports.get(imported)?.at ?? { line: 1, column: 1 },
          "import",
          `import "${imported}" was not found in the include paths (${userIncludes.map(display).join(", ")})`,
        );
        continue;
      }
      if (!file.imports.includes(imported)) file.imports.push(imported);
      if (positions.imports.get(imported)?.modifier === "public") file.publicImports.push(imported);
      load(imported, target, false);
    }
    return file;
  };

  for (const abs of inputs) {
    const include = userIncludes.find((dir) => isInside(abs, dir));
    if (readFile(abs) === undefined) {
      diagnostics.push({ file: display(abs), line: 1, column: 1, rule: "file", message: "file not found" });
      continue;
    }
    if (!abs.endsWith(".proto")) {
      diagnostics.push({ file: display(abs), line: 1, column: 1, rule: "file", message: "not a .proto file" });
      continue;
    }
    if (include === undefined) {
      diagnostics.push({
        file: display(abs),
        line: 1,
        column: 1,
        rule: "file",
        message: `file is not inside any include path (${userIncludes.map(display).join(", ")})`,
      });
      continue;
    }
    const name = path.relative(include, abs).split(path.sep).join("/");
    const earlier = files.get(name);
    if (earlier && earlier.displayPath !== display(abs)) {
      // Both would be imported as `name` and written to one output path: protoc refuses this too.
      diagnostics.push({
        file: display(abs),
        line: 1,
        column: 1,
        rule: "file",
        message: `has the import path "${name}" of ${earlier.displayPath}, which it would shadow; give them different paths`,
      });
      continue;
    }
    load(name, abs, true);
  }

  return checkedModel(root, files, diagnostics, options.strictRoles ?? false);
}

/**
 * The well-known files protobufjs bundles (any, duration, struct, timestamp, …):
 * always taken from protobufjs, whatever the include paths hold.
 */
export function isBundledFile(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(commonFiles, name);
}

/** Adds a bundled well-known file to `root`; its declarations are marked as coming from `name`. */
export function addBundledFile(root: protobuf.Root, name: string): LoadedFile {
  const file: LoadedFile = {
    name,
    displayPath: name,
    source: undefined,
    positions: undefined,
    syntax: "proto3",
    edition: "proto3",
    package: "google.protobuf",
    imports: [],
    publicImports: [],
    requested: false,
  };
  const json = commonFiles.get(name)!;
  const before = new Set(allNames(root));
  root.addJSON(json.nested!);
  for (const obj of allObjects(root)) if (!before.has(obj.fullName)) obj.filename = name;
  return file;
}

/**
 * The end of every load, from .proto text or from descriptors: features
 * resolved, the model built, roles checked; diagnostics sorted, and no model
 * if there are any.
 */
export function checkedModel(root: protobuf.Root, files: Map<string, LoadedFile>, diagnostics: Diagnostic[], strictRoles: boolean): LoadResult {
  const report: Report = (file, at, rule, message) => diagnostics.push({ file, line: at.line, column: at.column, rule, message });
  resolveFeatures(root);
  const model = buildModel(root, files, report);
  checkRoles(model, files, report, strictRoles);
  if (diagnostics.length > 0) return { model: undefined, diagnostics: sortDiagnostics(diagnostics) };
  return { model, diagnostics: [] };
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

function resolveImport(
  name: string,
  includes: string[],
  readFile: (abs: string) => string | undefined,
): string | undefined {
  if (Object.prototype.hasOwnProperty.call(commonFiles, name)) return name;
  for (const dir of includes) {
    const abs = path.join(dir, name);
    if (readFile(abs) !== undefined) return abs;
  }
  return undefined;
}

type Report = (file: string, at: Position, rule: string, message: string) => void;

/** protobufjs errors say "(file, line N)" at most; find the column and the rule. */
function reportParseError(file: LoadedFile, message: string, report: Report): void {
  const positions = file.positions!;
  const lineMatch = / \((?:[^()]*, )?line (\d+)\)$/.exec(message);
  const text = lineMatch ? message.slice(0, lineMatch.index) : message;
  if (lineMatch) {
    const quoted = /'([^']*)'/.exec(text);
    const at = findOnLine(positions, Number(lineMatch[1]), quoted ? quoted[1] : "");
    report(file.displayPath, at, "syntax", text);
    return;
  }
  // protobufjs names the owner before it has its package, so find the
  // duplicate in the position index instead: the earliest second occurrence.
  const duplicate = /^duplicate name '([^']+)' in \w+ \.?(.*)$/.exec(text);
  if (duplicate) {
    const name = duplicate[1];
    const sites = [...positions.declarations, ...[...positions.fields].map(([k, v]) => [k, v.map((f) => f.name)] as const)];
    const repeated = sites.filter(([key, at]) => at.length > 1 && (key === name || key.endsWith("." + name))).map(([, at]) => at[1]);
    // Across files only one site is in this file: the declaration itself.
    const single = sites.filter(([key]) => key === name || key.endsWith("." + name)).map(([, at]) => at[0]);
    const at = earliest(repeated) ?? earliest(single) ?? { line: 1, column: 1 };
    report(file.displayPath, at, "duplicate-name", text);
    return;
  }
  const duplicateId = /^duplicate id (\d+) in \w+ \.?(.*)$/.exec(text);
  if (duplicateId) {
    const number = Number(duplicateId[1]);
    const byOwner = new Map<string, Position[]>();
    for (const [key, sites] of positions.fields) {
      const owner = key.slice(0, key.lastIndexOf("."));
      for (const site of sites) if (site.number === number) byOwner.set(owner, [...(byOwner.get(owner) ?? []), site.name]);
    }
    const clash = [...byOwner].filter(([, at]) => at.length > 1).sort(([, a], [, b]) => compare(a[1], b[1]))[0];
    const owner = clash?.[0] ?? duplicateId[2];
    report(file.displayPath, clash?.[1][1] ?? { line: 1, column: 1 }, "duplicate-number", `field number ${number} is used twice in ${owner}`);
    return;
  }
  report(file.displayPath, firstFailingLine(file, message), "syntax", text);
}

/**
 * Where an error protobufjs gives without a line (an internal one, such as
 * "dst must be an object") comes from: the first line whose prefix of the
 * file already fails with it.
 */
function firstFailingLine(file: LoadedFile, message: string): Position {
  const lines = file.source?.split("\n") ?? [];
  for (let n = 1; n <= lines.length && n <= 5000; n++) {
    try {
      protobuf.parse(lines.slice(0, n).join("\n"), new protobuf.Root(), { keepCase: true, alternateCommentMode: true });
    } catch (error) {
      if ((error instanceof Error ? error.message : String(error)) !== message) continue;
      const token = file.positions!.tokens.find((t) => t.line === n);
      return { line: n, column: token?.column ?? 1 };
    }
  }
  return { line: 1, column: 1 };
}

function* allObjects(ns: protobuf.NamespaceBase): Generator<protobuf.ReflectionObject> {
  for (const obj of ns.nestedArray) {
    yield obj;
    if (obj instanceof protobuf.Namespace) yield* allObjects(obj);
  }
}

function* allNames(ns: protobuf.NamespaceBase): Generator<string> {
  for (const obj of allObjects(ns)) yield obj.fullName;
}

function compare(a: Position, b: Position): number {
  return a.line - b.line || a.column - b.column;
}

function earliest(list: Position[]): Position | undefined {
  return [...list].sort(compare)[0];
}
