/**
 * Names and paths of generated code, shared by every emitter so that one
 * file's imports agree with another file's exports.
 */
import path from "node:path/posix";
import type { SchemaModel } from "../schema/model.js";
import { localNameOf } from "../schema/field-facts.js";

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
 * Names a generated export must not take: globals the generated code refers
 * to, and the locals and parameters of its codec methods. (Imported names
 * never clash: ImportSet aliases them.)
 */
const RESERVED = new Set([
  ...["Array", "BigInt", "Boolean", "Error", "JSON", "Map", "Math", "Number", "Object", "Partial"],
  ...["Promise", "Record", "Set", "String", "Symbol", "Uint8Array", "AsyncIterable", "undefined", "globalThis"],
  ...["m", "w", "r", "j", "o", "k", "v", "e", "t", "tag", "end", "into", "init", "start", "value", "prev"],
  ...["json", "options", "bytes", "key", "obj"],
]);

const localNames = new WeakMap<SchemaModel, Map<string, string>>();

/**
 * Local TypeScript name of a message or enum: nested names joined by `_`
 * (`Order_Item`). Where that collides within a file (`Order.Item` beside a
 * top-level `Order_Item`), the later declaration gets a `$` and a number.
 */
export function localName(model: SchemaModel, fullName: string): string {
  let names = localNames.get(model);
  if (!names) localNames.set(model, (names = assignLocalNames(model)));
  const name = names.get(fullName);
  if (name === undefined) throw new Error(`internal: ${fullName} is not in the model`);
  return name;
}

/**
 * Local name of an extension's handle: its scope's local name and its own
 * name in lowerCamelCase (`extensionInt32`, `Outer_myExtension`), as protobuf-es names it.
 */
export function extensionLocalName(model: SchemaModel, fullName: string): string {
  return localName(model, `${fullName}#extension`);
}

function assignLocalNames(model: SchemaModel): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of model.files) {
    const taken = new Set<string>();
    for (const fullName of [...file.enums, ...file.messages]) {
      const inPackage = file.package && fullName.startsWith(file.package + ".") ? fullName.slice(file.package.length + 1) : fullName;
      let name = inPackage.split(".").join("_");
      if (RESERVED.has(name)) name += "$";
      for (let i = 2; taken.has(name); i++) name = `${inPackage.split(".").join("_")}$${i}`;
      taken.add(name);
      names.set(fullName, name);
    }
    for (const fullName of file.extensions) {
      const inPackage = file.package && fullName.startsWith(file.package + ".") ? fullName.slice(file.package.length + 1) : fullName;
      const parts = inPackage.split(".");
      const base = [...parts.slice(0, -1), localNameOf(parts.at(-1)!)].join("_");
      let name = RESERVED.has(base) ? base + "$" : base;
      for (let i = 2; taken.has(name); i++) name = `${base}$${i}`;
      taken.add(name);
      names.set(`${fullName}#extension`, name);
    }
  }
  return names;
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
  private readonly byModule = new Map<string, Map<string, { alias: string; typeOnly: boolean }>>();
  private readonly taken: Set<string>;

  constructor(localNames: Iterable<string>) {
    this.taken = new Set([...RESERVED, ...localNames]);
  }

  /**
   * Imports `name` from `specifier`; returns the identifier to use. `typeOnly`
   * marks a name used only as a type (imported with `type`, as
   * verbatimModuleSyntax wants), until some use needs its value.
   */
  use(specifier: string, name: string, typeOnly = false): string {
    let names = this.byModule.get(specifier);
    if (!names) this.byModule.set(specifier, (names = new Map()));
    const existing = names.get(name);
    if (existing) {
      existing.typeOnly &&= typeOnly;
      return existing.alias;
    }
    let alias = name;
    for (let i = 2; this.taken.has(alias); i++) alias = `${name}$${i}`;
    this.taken.add(alias);
    names.set(name, { alias, typeOnly });
    return alias;
  }

  /** `[specifier, [[name, alias, typeOnly]...]]`, runtime modules first, each sorted, for stable output. */
  entries(): [string, [string, string, boolean][]][] {
    const isPackage = (s: string) => !s.startsWith(".");
    return [...this.byModule.entries()]
      .sort(([a], [b]) => (isPackage(a) !== isPackage(b) ? (isPackage(a) ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0))
      .map(([spec, names]) => [
        spec,
        [...names.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, { alias, typeOnly }]): [string, string, boolean] => [name, alias, typeOnly]),
      ]);
  }
}
