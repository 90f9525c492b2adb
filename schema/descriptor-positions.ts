/**
 * The position index (positions.ts) of a file that came as a descriptor:
 * the same keys the .proto text gives, with places from source_code_info,
 * so buildModel and checkRoles report descriptor files as they report
 * text. Service options come from the descriptor itself: checkRoles reads
 * `(streampath.role)` and `(streampath.depends_on)` from this index.
 */
import { getExtension } from "../runtime/core/index.js";
import {
  type DescriptorProto,
  Edition,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Type as Type,
  type FileDescriptorProto,
  type ServiceOptions,
} from "../generator/gen/google/protobuf/descriptor_pb.js";
import { Role, dependsOn, role } from "../generator/gen/streampath/options_pb.js";
import type { SourceInfo } from "./descriptor-source.js";
import { groupFieldName } from "./descriptor-root.js";
import type { FieldSite, FilePositions, OptionSite, Position, Token } from "./positions.js";

const FIRST: Position = { line: 1, column: 1 };
const ROLE = 51700;
const DEPENDS_ON = 51701;

/** A string as the .proto text would write it, for defaultOf to read back. */
function quote(text: string): string {
  const escapes: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  return `"${text.replace(/[\\"\n\r\t\x00-\x1f\x7f]/g, (c) => escapes[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}"`;
}

/**
 * The `[default = …]` text of a field. protoc keeps a string's characters,
 * bytes C-escaped, and every other value as text the parser reads too.
 */
function defaultText(f: FieldDescriptorProto): string | undefined {
  if (f.defaultValue === undefined) return undefined;
  if (f.type === Type.TYPE_STRING) return quote(f.defaultValue);
  if (f.type === Type.TYPE_BYTES) return `"${f.defaultValue}"`;
  return f.defaultValue;
}

export function descriptorPositions(fd: FileDescriptorProto, info: SourceInfo): FilePositions {
  const positions: FilePositions = {
    tokens: [],
    declarations: new Map(),
    fields: new Map(),
    oneofs: new Map(),
    methods: new Map(),
    options: new Map(),
    imports: new Map(),
    syntax: fd.syntax === "proto3" ? "proto3" : "proto2",
  };
  const declare = (fullName: string, at: Position | undefined) => {
    const list = positions.declarations.get(fullName) ?? [];
    list.push(at ?? FIRST);
    positions.declarations.set(fullName, list);
  };
  const qualify = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);

  fd.dependency.forEach((name, i) => {
    const modifier = fd.publicDependency.includes(i) ? "public" : fd.weakDependency.includes(i) ? "weak" : "";
    positions.imports.set(name, { at: info.at([3, i]) ?? FIRST, modifier });
  });

  const field = (key: string, f: FieldDescriptorProto, path: number[], name: string, fallback: Position | undefined) => {
    const at = info.at([...path, 1]) ?? info.at(path) ?? fallback ?? FIRST;
    const site: FieldSite = { name: at, type: info.at([...path, 6]) ?? info.at([...path, 5]) ?? at, number: f.number!, defaultText: defaultText(f) };
    positions.fields.set(`${key}.${name}`, [site]);
  };
  // A group's field is named after its type, as the parser names it.
  const fieldName = (f: FieldDescriptorProto, types: DescriptorProto[]) => {
    if (f.type !== Type.TYPE_GROUP || fd.syntax === "editions") return f.name!;
    const type = types.find((t) => f.typeName!.endsWith("." + t.name));
    return type ? groupFieldName(type.name!) : f.name!;
  };

  const enums = (list: EnumDescriptorProto[], scope: string, path: number[]) =>
    list.forEach((e, i) => {
      const fullName = qualify(scope, e.name!);
      declare(fullName, info.at([...path, i, 1]));
      e.value.forEach((v, j) => declare(`${fullName}.${v.name}`, info.at([...path, i, 2, j, 1])));
    });

  const messages = (list: DescriptorProto[], scope: string, path: number[]) =>
    list.forEach((m, i) => {
      const at = [...path, i];
      const fullName = qualify(scope, m.name!);
      const declared = info.at([...at, 1]);
      declare(fullName, declared);
      m.field.forEach((f, j) => field(fullName, f, [...at, 2, j], fieldName(f, m.nestedType), declared));
      m.extension.forEach((f, j) => field(`${fullName}#extend`, f, [...at, 6, j], fieldName(f, m.nestedType), declared));
      m.oneofDecl.forEach((o, j) => positions.oneofs.set(`${fullName}.${o.name}`, info.at([...at, 8, j, 1]) ?? declared ?? FIRST));
      messages(m.nestedType, fullName, [...at, 3]);
      enums(m.enumType, fullName, [...at, 4]);
    });

  const pkg = fd.package ?? "";
  messages(fd.messageType, pkg, [4]);
  enums(fd.enumType, pkg, [5]);
  fd.extension.forEach((f, i) => field(`${pkg}#extend`, f, [7, i], fieldName(f, fd.messageType), undefined));
  fd.service.forEach((s, i) => {
    const fullName = qualify(pkg, s.name!);
    const declared = info.at([6, i, 1]);
    declare(fullName, declared);
    s.method.forEach((m, j) => {
      const at = [6, i, 2, j];
      const name = info.at([...at, 1]) ?? declared ?? FIRST;
      positions.methods.set(`${fullName}.${m.name}`, { name, input: info.at([...at, 2]) ?? name, output: info.at([...at, 3]) ?? name });
      declare(`${fullName}.${m.name}`, name);
    });
    const options = s.options ? serviceOptions(s.options, [6, i, 3], info) : [];
    if (options.length) positions.options.set(fullName, options);
  });

  if (fd.syntax === "editions" && fd.edition !== undefined) {
    positions.edition = { name: editionName(fd.edition), at: info.at([14]) ?? info.at([12]) ?? FIRST };
  }
  return positions;
}

/** `2023` for EDITION_2023, as the `edition = "2023";` statement names it. */
export function editionName(edition: Edition): string {
  return Edition[edition]?.replace(/^EDITION_/, "") ?? String(edition);
}

/**
 * The role and dependency options of a service as the text index records
 * them: the option's name and its value, in statement order. Source info
 * spans a whole `option … = value;` statement; the value is taken to end
 * just before its `;`, as the text is usually written.
 */
function serviceOptions(options: ServiceOptions, path: number[], info: SourceInfo): OptionSite[] {
  const sites: (OptionSite & { order: number })[] = [];
  const site = (name: string, value: string, kind: Token["kind"], spanPath: number[]) => {
    const span = info.span(spanPath);
    const at = span ? { line: span.line, column: span.column + "option ".length } : FIRST;
    const column = span && span.endLine === span.line ? span.endColumn - 1 - value.length : undefined;
    const valueAt = span && column !== undefined && column > at.column ? { line: span.line, column } : at;
    sites.push({ name, at, value: { text: value, kind, ...valueAt }, order: span ? span.line * 1e6 + span.column : 0 });
  };
  const r = getExtension(options, role);
  if (r !== undefined) site("(streampath.role)", Role[r] ?? String(r), "word", [...path, ROLE]);
  (getExtension(options, dependsOn) ?? []).forEach((dep, i) => site("(streampath.depends_on)", JSON.stringify(dep), "string", [...path, DEPENDS_ON, i]));
  return sites.sort((a, b) => a.order - b.order).map(({ order: _, ...rest }) => rest);
}
