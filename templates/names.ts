/**
 * Names and paths of generated code, shared by every emitter so that one
 * file's imports agree with another file's exports.
 */
import path from "node:path/posix";
import type { SchemaModel } from "../schema/model.js";

/** `shop/order.proto` → `shop/order_pb.ts`; other targets use their own suffix. */
export function outputPath(protoFile: string, suffix: string): string {
  return protoFile.replace(/\.proto$/, "") + suffix + ".ts";
}

/** The specifier one generated file uses to import another (ESM, `.js`). */
export function importSpecifier(fromFile: string, toFile: string): string {
  let rel = path.relative(path.dirname(fromFile), toFile).replace(/\.ts$/, ".js");
  if (!rel.startsWith(".")) rel = "./" + rel;
  return rel;
}

/**
 * Globals generated code refers to, which a generated export must not shadow.
 * (Imported names never clash: ImportSet aliases them.)
 */
const RESERVED = new Set([
  "Array",
  "BigInt",
  "Boolean",
  "Error",
  "JSON",
  "Map",
  "Math",
  "Number",
  "Object",
  "Partial",
  "Promise",
  "Record",
  "Set",
  "String",
  "Symbol",
  "Uint8Array",
  "AsyncIterable",
  "undefined",
  "globalThis",
]);

/** Local TypeScript name of a message or enum: nested names joined by `_` (`Order_Item`). */
export function localName(model: SchemaModel, fullName: string): string {
  const decl = model.messages.get(fullName) ?? model.enums.get(fullName);
  const file = decl ? model.files.find((f) => f.name === decl.file) : undefined;
  const pkg = file?.package ?? "";
  const inPackage = pkg && fullName.startsWith(pkg + ".") ? fullName.slice(pkg.length + 1) : fullName;
  const name = inPackage.split(".").join("_");
  return RESERVED.has(name) ? name + "$" : name;
}

/** The file (import path) that declares a message or enum. */
export function declaringFile(model: SchemaModel, fullName: string): string {
  const decl = model.messages.get(fullName) ?? model.enums.get(fullName);
  if (!decl) throw new Error(`internal: ${fullName} is not in the model`);
  return decl.file;
}

/**
 * Tracks the identifiers a generated file imports, aliasing a name that
 * collides with a local one or with another import (`Item as other_Item`).
 */
export class ImportSet {
  private readonly byModule = new Map<string, Map<string, string>>();
  private readonly taken: Set<string>;

  constructor(localNames: Iterable<string>) {
    this.taken = new Set(localNames);
  }

  /** Imports `name` from `specifier`; returns the identifier to use. */
  use(specifier: string, name: string): string {
    let names = this.byModule.get(specifier);
    if (!names) this.byModule.set(specifier, (names = new Map()));
    const existing = names.get(name);
    if (existing) return existing;
    let alias = name;
    for (let i = 2; this.taken.has(alias); i++) alias = `${name}$${i}`;
    this.taken.add(alias);
    names.set(name, alias);
    return alias;
  }

  /** `[specifier, [[name, alias]...]]`, runtime modules first, each sorted, for stable output. */
  entries(): [string, [string, string][]][] {
    const isPackage = (s: string) => !s.startsWith(".");
    return [...this.byModule.entries()]
      .sort(([a], [b]) => (isPackage(a) !== isPackage(b) ? (isPackage(a) ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0))
      .map(([spec, names]) => [spec, [...names.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  }
}
