/**
 * Adds a FileDescriptorProto to a protobufjs Root as protobufjs's parser adds
 * the same file's text: the same objects in source order, the same names
 * (proto field names, groups as the parser names them), the same options
 * (features as enum names, `packed`, `deprecated`, `json_name`,
 * `proto3_optional` with its one-field oneof), the edition on every
 * top-level object, file names and comments — so that buildModel makes the
 * same model from either. protobufjs's own `Root.fromDescriptor` does not
 * keep source order or comments, and sets file names on packages only.
 */
import protobuf from "protobufjs";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FeatureSet,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  type FileDescriptorProto,
  type ServiceDescriptorProto,
  FeatureSet_EnforceNamingStyle,
  FeatureSet_EnumType,
  FeatureSet_FieldPresence,
  FeatureSet_JsonFormat,
  FeatureSet_MessageEncoding,
  FeatureSet_ProtoLimitsFeature_EnforceProtoLimits,
  FeatureSet_RepeatedFieldEncoding,
  FeatureSet_Utf8Validation,
  FeatureSet_VisibilityFeature_DefaultSymbolVisibility,
} from "../generator/gen/google/protobuf/descriptor_pb.js";
import type { SourceInfo } from "./descriptor-source.js";
import { jsonNameOf } from "./field-facts.js";

/** protobufjs's scalar type names by descriptor type number. */
export const SCALAR_NAMES: Partial<Record<Type, string>> = {
  [Type.TYPE_DOUBLE]: "double", [Type.TYPE_FLOAT]: "float", [Type.TYPE_INT64]: "int64", [Type.TYPE_UINT64]: "uint64",
  [Type.TYPE_INT32]: "int32", [Type.TYPE_FIXED64]: "fixed64", [Type.TYPE_FIXED32]: "fixed32", [Type.TYPE_BOOL]: "bool",
  [Type.TYPE_STRING]: "string", [Type.TYPE_BYTES]: "bytes", [Type.TYPE_UINT32]: "uint32", [Type.TYPE_SFIXED32]: "sfixed32",
  [Type.TYPE_SFIXED64]: "sfixed64", [Type.TYPE_SINT32]: "sint32", [Type.TYPE_SINT64]: "sint64",
};

/** Each feature as the parser keeps it (`features.field_presence = "IMPLICIT"`): its option name and value names. */
const FEATURES: [keyof FeatureSet, string, Record<number, string>][] = [
  ["fieldPresence", "field_presence", FeatureSet_FieldPresence],
  ["enumType", "enum_type", FeatureSet_EnumType],
  ["repeatedFieldEncoding", "repeated_field_encoding", FeatureSet_RepeatedFieldEncoding],
  ["utf8Validation", "utf8_validation", FeatureSet_Utf8Validation],
  ["messageEncoding", "message_encoding", FeatureSet_MessageEncoding],
  ["jsonFormat", "json_format", FeatureSet_JsonFormat],
  ["enforceNamingStyle", "enforce_naming_style", FeatureSet_EnforceNamingStyle],
  ["defaultSymbolVisibility", "default_symbol_visibility", FeatureSet_VisibilityFeature_DefaultSymbolVisibility],
  ["enforceProtoLimits", "enforce_proto_limits", FeatureSet_ProtoLimitsFeature_EnforceProtoLimits],
];

/** The `features.x` options a FeatureSet sets, as the parser's option names and values. */
export function featureOptions(features: FeatureSet | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const [field, option, names] of FEATURES) {
    const value = features?.[field] as number | undefined;
    if (value !== undefined) out.push([`features.${option}`, names[value] ?? String(value)]);
  }
  return out;
}

/** The name the parser gives a group's field: its type's name with a lower-case first letter. */
export const groupFieldName = (typeName: string) => typeName.charAt(0).toLowerCase() + typeName.slice(1);

const simpleName = (typeName: string) => typeName.slice(typeName.lastIndexOf(".") + 1);

type Path = readonly number[];

/** Something to add to a scope, where it stands in the file. */
interface Declaration {
  order: number;
  add(): protobuf.ReflectionObject[];
}

export function addDescriptorFile(root: protobuf.Root, fd: FileDescriptorProto, info: SourceInfo, edition: string): void {
  const filename = fd.name!;
  // Groups exist in proto2 only; an edition's DELIMITED field is a message field with that feature.
  const groups = edition === "proto2";
  const ptr: protobuf.Namespace = fd.package ? root.define(fd.package) : root;

  const setOptions = (obj: protobuf.ReflectionObject, options: { deprecated?: boolean; features?: FeatureSet } | undefined) => {
    if (options?.deprecated !== undefined) obj.setOption("deprecated", options.deprecated);
    for (const [name, value] of featureOptions(options?.features)) obj.setOption(name, value);
  };
  const named = <T extends protobuf.ReflectionObject>(obj: T, comment: string | null): T => {
    obj.comment = comment;
    obj.filename = filename;
    return obj;
  };
  const isGroup = (f: FieldDescriptorProto) => groups && f.type === Type.TYPE_GROUP;
  const fieldType = (f: FieldDescriptorProto) => SCALAR_NAMES[f.type!] ?? (isGroup(f) ? simpleName(f.typeName!) : f.typeName!);

  const buildField = (f: FieldDescriptorProto, path: Path, name = f.name!): protobuf.Field => {
    const rule = f.label === Label.LABEL_REPEATED ? "repeated" : f.label === Label.LABEL_REQUIRED && groups ? "required" : "optional";
    const field = named(new protobuf.Field(name, f.number!, fieldType(f), rule, f.extendee), info.lineComment(path, [...path, 3]));
    if (f.options?.packed !== undefined) field.setOption("packed", f.options.packed);
    setOptions(field, f.options);
    setJsonName(field, f, path);
    return field;
  };

  // protoc fills in every json_name; the parser keeps one only where the file sets it.
  const setJsonName = (field: protobuf.FieldBase, f: FieldDescriptorProto, path: Path) => {
    if (f.jsonName === undefined || (f.jsonName === jsonNameOf(f.name!) && !info.at([...path, 10]))) return;
    (field as { jsonName: string }).jsonName = f.jsonName;
    field.setOption("json_name", f.jsonName);
  };

  const buildMapField = (f: FieldDescriptorProto, entry: DescriptorProto, path: Path): protobuf.MapField => {
    const [key, value] = [1, 2].map((n) => entry.field.find((e) => e.number === n)!);
    const field = named(new protobuf.MapField(f.name!, f.number!, SCALAR_NAMES[key.type!]!, fieldType(value)), info.lineComment(path, [...path, 3]));
    setOptions(field, f.options);
    setJsonName(field, f, path);
    return field;
  };

  /** A group: its type and its field, declared together where the field stands. */
  const buildGroup = (f: FieldDescriptorProto, path: Path, type: DescriptorProto, typePath: Path): protobuf.ReflectionObject[] => {
    const built = buildType(type, typePath, info.blockComment(path, [...path, 3]) ?? info.blockComment(typePath, [...typePath, 1]));
    (built as { group?: boolean }).group = true;
    const field = buildField(f, path, groupFieldName(type.name!));
    field.comment = null;
    return [built, field];
  };

  const buildEnum = (e: EnumDescriptorProto, path: Path): protobuf.Enum => {
    const enm = named(new protobuf.Enum(e.name!), info.blockComment(path, [...path, 1]));
    if (e.options?.allowAlias !== undefined) enm.setOption("allow_alias", e.options.allowAlias);
    setOptions(enm, e.options);
    for (const v of e.value) {
      const options: Record<string, unknown> = {};
      if (v.options?.deprecated !== undefined) options.deprecated = v.options.deprecated;
      const features = featureOptions(v.options?.features);
      if (features.length) options.features = Object.fromEntries(features.map(([k, value]) => [k.slice("features.".length), value]));
      enm.add(v.name!, v.number!, undefined, Object.keys(options).length ? options : undefined);
    }
    // Enum reserved ranges are inclusive in descriptors, as in the parser.
    const reserved = [...e.reservedRange.map((r) => [r.start!, r.end!]), ...e.reservedName];
    if (reserved.length) enm.reserved = reserved;
    return enm;
  };

  const buildService = (s: ServiceDescriptorProto, path: Path): protobuf.Service => {
    const service = named(new protobuf.Service(s.name!), info.blockComment(path, [...path, 1]));
    setOptions(service, s.options);
    s.method.forEach((m, i) => {
      const at = [...path, 2, i];
      // An rpc with options has a body, whose comment protobufjs takes from above only.
      const comment = m.options ? info.blockComment(at, at) : info.lineComment(at, at, [...at, 3]);
      const method = new protobuf.Method(m.name!, "rpc", m.inputType!, m.outputType!, m.clientStreaming || undefined, m.serverStreaming || undefined);
      setOptions(named(method, comment), m.options);
      // As protobufjs records it from .proto text (a number here: build-model reads both).
      if (m.options?.idempotencyLevel !== undefined) method.setOption("idempotency_level", m.options.idempotencyLevel);
      service.add(method);
    });
    return service;
  };

  /**
   * The messages, enums and extensions of a scope (the file or a message) in
   * source order; map entries are no declarations, and a group's type is
   * declared with its field (`skip` names those of the scope's fields,
   * `declared` has them built, placed where their fields stand).
   */
  const declarations = (
    scope: { types: DescriptorProto[]; enums: EnumDescriptorProto[]; extensions: FieldDescriptorProto[] },
    paths: { types: Path; enums: Path; extensions: Path },
    skip: ReadonlySet<string> = new Set(),
    declared: Declaration[] = [],
  ): Declaration[] => {
    const groupTypes = new Set([...skip, ...scope.extensions.filter(isGroup).map((f) => simpleName(f.typeName!))]);
    const out: Declaration[] = [...declared];
    scope.types.forEach((t, i) => {
      const path = [...paths.types, i];
      if (t.options?.mapEntry || groupTypes.has(t.name!)) return;
      out.push({ order: info.order(path), add: () => [buildType(t, path, info.blockComment(path, [...path, 1]))] });
    });
    scope.enums.forEach((e, i) => out.push({ order: info.order([...paths.enums, i]), add: () => [buildEnum(e, [...paths.enums, i])] }));
    scope.extensions.forEach((f, i) => {
      const path = [...paths.extensions, i];
      const groupIndex = isGroup(f) ? scope.types.findIndex((t) => t.name === simpleName(f.typeName!)) : -1;
      const add = groupIndex >= 0 ? () => buildGroup(f, path, scope.types[groupIndex], [...paths.types, groupIndex]) : () => [buildField(f, path)];
      out.push({ order: info.order(path), add });
    });
    return out.sort((a, b) => a.order - b.order);
  };

  function buildType(d: DescriptorProto, path: Path, comment: string | null): protobuf.Type {
    const type = named(new protobuf.Type(d.name!), comment);
    setOptions(type, d.options);
    const nested = new Map(d.nestedType.map((t, i) => [t.name!, i]));
    const groupTypes = new Set<string>();
    const groupDeclarations: Declaration[] = [];
    let oneof: { index: number; obj: protobuf.OneOf } | undefined;
    const closeOneof = () => {
      if (oneof) type.add(oneof.obj);
      oneof = undefined;
    };
    d.field.forEach((f, i) => {
      const at = [...path, 2, i];
      const entry = f.type === Type.TYPE_MESSAGE && f.label === Label.LABEL_REPEATED ? d.nestedType[nested.get(simpleName(f.typeName!)) ?? -1] : undefined;
      const groupIndex = isGroup(f) ? nested.get(simpleName(f.typeName!)) : undefined;
      let field: protobuf.FieldBase;
      if (groupIndex !== undefined) {
        groupTypes.add(d.nestedType[groupIndex].name!);
        const [groupType, groupField] = buildGroup(f, at, d.nestedType[groupIndex], [...path, 3, groupIndex]);
        // Its type goes among the nested declarations, at the field's place.
        groupDeclarations.push({ order: info.order(at), add: () => [groupType] });
        field = groupField as protobuf.Field;
      } else field = entry?.options?.mapEntry ? buildMapField(f, entry, at) : buildField(f, at);
      if (f.oneofIndex !== undefined && !f.proto3Optional) {
        if (oneof?.index !== f.oneofIndex) {
          closeOneof();
          const o = d.oneofDecl[f.oneofIndex];
          const opath = [...path, 8, f.oneofIndex];
          oneof = { index: f.oneofIndex, obj: named(new protobuf.OneOf(o.name!), info.blockComment(opath, [...opath, 1])) };
          setOptions(oneof.obj, o.options);
        }
        oneof.obj.add(field as protobuf.Field);
        return;
      }
      closeOneof();
      if (f.proto3Optional) {
        // The parser's shape of a proto3 `optional` field: a oneof of its own, named `_field`.
        field.setOption("proto3_optional", true);
        type.add(new protobuf.OneOf("_" + field.name).add(field as protobuf.Field));
      } else type.add(field);
    });
    closeOneof();
    const scope = { types: d.nestedType, enums: d.enumType, extensions: d.extension };
    for (const decl of declarations(scope, { types: [...path, 3], enums: [...path, 4], extensions: [...path, 6] }, groupTypes, groupDeclarations)) {
      for (const obj of decl.add()) type.add(obj);
    }
    if (d.extensionRange.length) type.extensions = d.extensionRange.map((r) => [r.start!, r.end! - 1]);
    const reserved = [...d.reservedRange.map((r) => [r.start!, r.end! - 1]), ...d.reservedName];
    if (reserved.length) type.reserved = reserved;
    return type;
  }

  const top: Declaration[] = [
    ...declarations({ types: fd.messageType, enums: fd.enumType, extensions: fd.extension }, { types: [4], enums: [5], extensions: [7] }),
    ...fd.service.map((s, i) => ({ order: info.order([6, i]), add: () => [buildService(s, [6, i])] })),
  ].sort((a, b) => a.order - b.order); // stable: what has no location keeps descriptor order
  const fileFeatures = featureOptions(fd.options?.features);
  for (const decl of top) {
    for (const obj of decl.add()) {
      ptr.add(obj);
      // As the parser's resolveFileFeatures: the file's edition and features on what it declares at the top.
      (obj as unknown as { _edition: string })._edition = edition;
      for (const [name, value] of fileFeatures) obj.setOption(name, value, true);
    }
  }
}
