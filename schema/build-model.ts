/**
 * Turns protobufjs reflection objects into the plain schema model, resolving
 * every type reference on the way and reporting each one that fails with
 * the position of the reference.
 */
import protobuf from "protobufjs";
import type { LoadedFile } from "./load.js";
import type {
  Enum,
  Extension,
  Field,
  Message,
  Method,
  Oneof,
  ProtoFile,
  ScalarType,
  SchemaModel,
  Service,
  SourcePosition,
  ValueType,
} from "./model.js";
import { SCALAR_TYPES } from "./model.js";
import { defaultOf, featuresOf, jsonNameOf, localNameOf } from "./field-facts.js";
import { didYouMean } from "./did-you-mean.js";

export { jsonNameOf } from "./field-facts.js";
import type { Position } from "./positions.js";

type Report = (file: string, at: Position, rule: string, message: string) => void;

const NO_POSITION: Position = { line: 1, column: 1 };

function stripDot(name: string): string {
  return name.startsWith(".") ? name.slice(1) : name;
}

export function buildModel(root: protobuf.Root, files: Map<string, LoadedFile>, report: Report): SchemaModel {
  const model: SchemaModel = { files: [], messages: new Map(), enums: new Map(), services: new Map(), extensions: new Map() };
  const protoFiles = new Map<string, ProtoFile>();
  for (const f of files.values()) {
    const pf: ProtoFile = {
      name: f.name,
      displayPath: f.displayPath,
      package: f.package,
      syntax: f.syntax,
      edition: f.edition,
      imports: f.imports,
      messages: [],
      enums: [],
      services: [],
      extensions: [],
      requested: f.requested,
    };
    protoFiles.set(f.name, pf);
    model.files.push(pf);
  }
  const at = (file: LoadedFile | undefined, pos: Position | undefined): SourcePosition => ({
    file: file?.displayPath ?? "",
    ...(pos ?? NO_POSITION),
  });
  const declared = (file: LoadedFile | undefined, fullName: string): Position | undefined =>
    file?.positions?.declarations.get(fullName)?.at(-1);

  // A field's type looked up once: protobufjs's lookup walks every enclosing namespace (and
  // throws for a scalar), which made it a quarter of a large schema's load.
  const lookedUp = new Map<protobuf.Field, protobuf.ReflectionObject | null>();
  const lookup = (f: protobuf.Field, name: string): protobuf.ReflectionObject | null => {
    if (name !== f.type) return lookupUncached(f, name);
    let resolved = lookedUp.get(f);
    if (resolved === undefined) {
      resolved = (SCALAR_TYPES as readonly string[]).includes(name) ? null : lookupUncached(f, name);
      lookedUp.set(f, resolved);
    }
    return resolved;
  };
  const lookupUncached = (f: protobuf.Field, name: string): protobuf.ReflectionObject | null => {
    try {
      return f.parent!.lookupTypeOrEnum(name);
    } catch {
      return null;
    }
  };

  /** Files whose types `name` may use: itself, its imports, and what those re-export publicly. */
  const visibleFrom = new Map<string, Set<string>>();
  const visible = (name: string): Set<string> => {
    const known = visibleFrom.get(name);
    if (known) return known;
    const out = new Set([name]);
    const add = (n: string) => {
      for (const p of files.get(n)?.publicImports ?? []) if (!out.has(p)) (out.add(p), add(p));
    };
    for (const i of files.get(name)?.imports ?? []) {
      out.add(i);
      add(i);
    }
    visibleFrom.set(name, out);
    return out;
  };

  /** Reports a type used from a file that `file` does not import. */
  const checkImported = (file: LoadedFile, written: string, type: protobuf.ReflectionObject, where: Position | undefined) => {
    const declaredIn = type.filename ?? "";
    if (visible(file.name).has(declaredIn)) return;
    report(
      file.displayPath,
      where ?? NO_POSITION,
      "missing-import",
      `type "${written}" (${stripDot(type.fullName)}) is declared in "${declaredIn}", which ${file.name} does not import`,
    );
  };

  /**
   * `; did you mean "Todo"?` for a type name that does not resolve: the
   * nearest name that names, relative to an enclosing scope of `scope` (as
   * protoc resolves, not protobufjs' search of every package), a type of a
   * file `file` sees, written as the mistaken one was (as many dotted parts,
   * a leading dot kept); for a field, a scalar type too.
   */
  const didYouMeanType = (scope: protobuf.NamespaceBase, file: LoadedFile, written: string, messagesOnly = false): string => {
    const parts = written.replace(/^\./, "").split(".").length;
    const scopeName = stripDot(scope.fullName);
    const encloses = (prefix: string) => prefix === "" || scopeName === prefix || scopeName.startsWith(`${prefix}.`);
    const seen = visible(file.name);
    const names: string[] = messagesOnly || parts > 1 ? [] : [...SCALAR_TYPES];
    const collect = (ns: protobuf.NamespaceBase) => {
      for (const obj of ns.nestedArray) {
        if ((obj instanceof protobuf.Type || (!messagesOnly && obj instanceof protobuf.Enum)) && seen.has(obj.filename ?? "")) {
          const full = stripDot(obj.fullName).split(".");
          if (written.startsWith(".")) names.push(`.${full.join(".")}`);
          else if (full.length >= parts && encloses(full.slice(0, -parts).join("."))) names.push(full.slice(-parts).join("."));
        }
        if (obj instanceof protobuf.Namespace) collect(obj);
      }
    };
    collect(root);
    const guess = didYouMean(written, names);
    return guess ? `; did you mean "${guess}"?` : "";
  };

  const resolveValueType = (
    field: protobuf.Field,
    owner: string,
    file: LoadedFile,
    typeName: string,
  ): ValueType | undefined => {
    if ((SCALAR_TYPES as readonly string[]).includes(typeName)) return { kind: "scalar", scalar: typeName as ScalarType };
    const site = file.positions?.fields.get(`${owner}.${field.name}`)?.at(-1);
    const where = site?.type ?? declared(file, owner);
    const resolved = lookup(field, typeName);
    if (!resolved) {
      const hint = didYouMeanType(field.parent!, file, typeName);
      report(file.displayPath, where ?? NO_POSITION, "unknown-type", `unknown type "${typeName}" for field ${owner}.${field.name}${hint}`);
      return undefined;
    }
    checkImported(file, typeName, resolved, where);
    const fullName = stripDot(resolved.fullName);
    return resolved instanceof protobuf.Enum ? { kind: "enum", typeName: fullName } : { kind: "message", typeName: fullName };
  };

  /** One field of a message, or the field an extension adds; undefined when its type does not resolve. */
  /** A group's field is named by protoc as the group lower-cased (`Data` → `data`), not as protobufjs names it. */
  const protoNameOf = (f: protobuf.Field): string => {
    const t = f.resolvedType ?? lookup(f, f.type);
    return t instanceof protobuf.Type && (t as { group?: boolean }).group === true ? t.name.toLowerCase() : f.name;
  };

  const buildField = (f: protobuf.Field, owner: string, file: LoadedFile, jsonName: string, localName: string): Field | undefined => {
    const site = file.positions?.fields.get(`${owner}.${f.name}`)?.at(-1);
    const position = at(file, site?.name ?? declared(file, owner));
    const isMap = f instanceof protobuf.MapField;
    const type = resolveValueType(f, owner, file, f.type);
    if (!type) return undefined;
    const features = featuresOf(f);
    const partOf = f.partOf;
    const synthetic = partOf !== null && f.options?.proto3_optional === true;
    const repeated = f.repeated && !isMap;
    const singular = !repeated && !isMap;
    const resolved = type.kind === "scalar" ? undefined : lookup(f, f.type);
    const group = resolved instanceof protobuf.Type && (resolved as { group?: boolean }).group === true;
    const scalarOrEnum = type.kind !== "message" && !(type.kind === "scalar" && (type.scalar === "string" || type.scalar === "bytes"));
    const required = singular && (f.required || features.field_presence === "LEGACY_REQUIRED");
    const explicit = features.field_presence !== "IMPLICIT" || type.kind === "message" || synthetic || f.extend !== undefined;
    const defaultText = site?.defaultText ?? (f.options?.default !== undefined ? String(f.options.default) : undefined);
    let defaultValue: string | undefined;
    if (defaultText !== undefined) {
      defaultValue = defaultOf(defaultText, type);
      if (defaultValue === undefined) report(position.file, position, "default", `[default = ${defaultText}] is not a value of field ${owner}.${f.name}'s type`);
    }
    return {
      name: protoNameOf(f),
      localName,
      jsonName,
      number: f.id,
      cardinality: isMap ? "map" : repeated ? "repeated" : "single",
      type,
      mapKey: isMap ? ((f as protobuf.MapField).keyType as ScalarType) : undefined,
      packed: repeated && scalarOrEnum && (f.options?.packed ?? features.repeated_field_encoding === "PACKED") === true,
      optional: singular && (partOf === null || synthetic) && explicit,
      required,
      delimited: type.kind === "message" && !isMap && (group || features.message_encoding === "DELIMITED"),
      closedEnum: resolved instanceof protobuf.Enum && featuresOf(resolved).enum_type === "CLOSED",
      defaultValue,
      deprecated: f.options?.deprecated === true,
      oneof: partOf !== null && !synthetic ? partOf.name : undefined,
      position,
      comment: f.comment ?? undefined,
    };
  };

  const buildMessage = (type: protobuf.Type, file: LoadedFile, pf: ProtoFile) => {
    const fullName = stripDot(type.fullName);
    const fields: Field[] = [];
    const oneofs: Oneof[] = [];
    const jsonNames = new Map<string, string>();
    const localNames = new Map<string, string>();
    for (const f of type.fieldsArray) {
      // Extensions declared elsewhere show up on the extended type: not its own fields.
      if (f.name.startsWith(".") || f.declaringField) continue;
      const name = protoNameOf(f);
      const jsonName = (f.options?.json_name as string | undefined) ?? jsonNameOf(name);
      const field = buildField(f, fullName, file, jsonName, localNameOf(name));
      if (!field) continue;
      const { position } = field;
      const clash = jsonNames.get(jsonName.toLowerCase());
      const jsonClash = clash !== undefined && file.syntax !== "proto2" && featuresOf(type).json_format !== "LEGACY_BEST_EFFORT";
      if (jsonClash) {
        report(position.file, position, "json-name-conflict", `field ${name} and field ${clash} of ${fullName} have the same JSON name "${jsonName}"`);
      }
      jsonNames.set(jsonName.toLowerCase(), name);
      const sameProperty = localNames.get(field.localName);
      if (sameProperty !== undefined && !jsonClash) {
        report(position.file, position, "name-conflict", `field ${name} and ${sameProperty} of ${fullName} would both be the TypeScript property "${field.localName}"`);
      }
      localNames.set(field.localName, `field ${name}`);
      fields.push(field);
    }
    for (const o of type.oneofsArray) {
      const members = o.fieldsArray;
      if (members.length === 1 && members[0].options?.proto3_optional === true) continue;
      const site = file.positions?.fields.get(`${fullName}.${members[0]?.name}`)?.at(-1);
      const oneof: Oneof = { name: o.name, localName: localNameOf(o.name), fields: members.map(protoNameOf), position: at(file, file.positions?.oneofs.get(`${fullName}.${o.name}`) ?? site?.name ?? declared(file, fullName)) };
      // The oneof's union is a property too: it may not take a field's name, nor another oneof's.
      const taken = localNames.get(oneof.localName);
      if (taken !== undefined) {
        report(oneof.position.file, oneof.position, "name-conflict", `oneof ${o.name} and ${taken} of ${fullName} would both be the TypeScript property "${oneof.localName}"`);
      }
      localNames.set(oneof.localName, `oneof ${o.name}`);
      oneofs.push(oneof);
    }
    const message: Message = {
      name: type.name,
      fullName,
      file: pf.name,
      fields,
      oneofs,
      nested: [],
      extensionRanges: (type.extensions ?? []).map(([from, to]) => [from, to] as [number, number]),
      deprecated: type.options?.deprecated === true,
      position: at(file, declared(file, fullName)),
      comment: type.comment ?? undefined,
    };
    model.messages.set(fullName, message);
    pf.messages.push(fullName);
    return message;
  };

  const buildEnum = (e: protobuf.Enum, file: LoadedFile, pf: ProtoFile): Enum => {
    const fullName = stripDot(e.fullName);
    const en: Enum = {
      name: e.name,
      fullName,
      file: pf.name,
      values: Object.entries(e.values).map(([name, number]) => ({ name, number, deprecated: e.valuesOptions?.[name]?.deprecated === true })),
      closed: featuresOf(e).enum_type === "CLOSED",
      deprecated: e.options?.deprecated === true,
      position: at(file, declared(file, fullName)),
      comment: e.comment ?? undefined,
    };
    model.enums.set(fullName, en);
    pf.enums.push(fullName);
    return en;
  };

  const buildService = (s: protobuf.Service, file: LoadedFile, pf: ProtoFile): Service => {
    const fullName = stripDot(s.fullName);
    const methods: Method[] = [];
    for (const m of s.methodsArray) {
      const site = file.positions?.methods.get(`${fullName}.${m.name}`);
      const types: [string, Position | undefined][] = [
        [m.requestType, site?.input],
        [m.responseType, site?.output],
      ];
      const resolved = types.map(([name, where]) => {
        const t = s.lookup(name);
        if (!(t instanceof protobuf.Type)) {
          const what = t ? "is not a message" : `is unknown${didYouMeanType(s, file, name, true)}`;
          report(file.displayPath, where ?? NO_POSITION, "unknown-type", `type "${name}" of rpc ${fullName}.${m.name} ${what}`);
          return undefined;
        }
        checkImported(file, name, t, where);
        return stripDot(t.fullName);
      });
      if (!resolved[0] || !resolved[1]) continue;
      methods.push({
        name: m.name,
        path: `/${fullName}/${m.name}`,
        kind: m.requestStream ? (m.responseStream ? "bidi_streaming" : "client_streaming") : m.responseStream ? "server_streaming" : "unary",
        ...idempotencyOf(m.options?.["idempotency_level"]),
        inputType: resolved[0],
        outputType: resolved[1],
        position: at(file, site?.name ?? declared(file, fullName)),
        comment: m.comment ?? undefined,
      });
    }
    const service: Service = {
      name: s.name,
      fullName,
      file: pf.name,
      role: "host",
      roleDeclared: false,
      dependencies: [],
      methods,
      position: at(file, declared(file, fullName)),
      comment: s.comment ?? undefined,
    };
    model.services.set(fullName, service);
    pf.services.push(fullName);
    return service;
  };

  const buildExtension = (f: protobuf.Field, file: LoadedFile, pf: ProtoFile) => {
    const scope = stripDot(f.parent!.fullName);
    const fullName = scope ? `${scope}.${f.name}` : f.name;
    const site = file.positions?.fields.get(`${scope}#extend.${f.name}`)?.at(-1);
    const extendee = lookup(f, f.extend!);
    const where = at(file, site?.name ?? declared(file, scope));
    if (!(extendee instanceof protobuf.Type)) {
      const what = extendee ? "is not a message" : `is unknown${didYouMeanType(f.parent!, file, f.extend!, true)}`;
      report(where.file, where, "unknown-type", `extended type "${f.extend}" of extension ${fullName} ${what}`);
      return;
    }
    checkImported(file, f.extend!, extendee, site?.type);
    const field = buildField(f, `${scope}#extend`, file, `[${fullName}]`, "value");
    if (!field) return;
    const extension: Extension = { name: f.name, fullName, file: pf.name, extendee: stripDot(extendee.fullName), field, position: where, comment: f.comment ?? undefined };
    model.extensions.set(fullName, extension);
    pf.extensions.push(fullName);
  };

  const walk = (ns: protobuf.NamespaceBase, parent: Message | undefined) => {
    for (const obj of ns.nestedArray) {
      const file = files.get(obj.filename ?? "");
      const pf = protoFiles.get(obj.filename ?? "");
      if (obj instanceof protobuf.Field) {
        if (file && pf && obj.extend !== undefined) buildExtension(obj, file, pf);
      } else if (obj instanceof protobuf.Type) {
        if (!file || !pf) continue;
        const message = buildMessage(obj, file, pf);
        parent?.nested.push(message.fullName);
        walk(obj, message);
      } else if (obj instanceof protobuf.Enum) {
        if (!file || !pf) continue;
        const en = buildEnum(obj, file, pf);
        parent?.nested.push(en.fullName);
      } else if (obj instanceof protobuf.Service) {
        if (file && pf) buildService(obj, file, pf);
      } else if (obj instanceof protobuf.Namespace) {
        walk(obj, undefined);
      }
    }
  };
  walk(root, undefined);
  return model;
}

/** `idempotency_level` as protobufjs gives it: the enum's name from .proto text, its number from a descriptor. */
function idempotencyOf(level: unknown): Pick<Method, "idempotency"> {
  if (level === "NO_SIDE_EFFECTS" || level === 1) return { idempotency: "no_side_effects" };
  if (level === "IDEMPOTENT" || level === 2) return { idempotency: "idempotent" };
  return {};
}
