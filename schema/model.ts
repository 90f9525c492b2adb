/**
 * The schema model: a plain description of loaded .proto files that the
 * generator reads. It holds no protobufjs objects, so emitters depend only on
 * this file and tests can build a model by hand.
 */

/** Where something is declared: `file` is the path shown to the user (relative to the working directory). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export type ScalarType =
  | "double"
  | "float"
  | "int32"
  | "int64"
  | "uint32"
  | "uint64"
  | "sint32"
  | "sint64"
  | "fixed32"
  | "fixed64"
  | "sfixed32"
  | "sfixed64"
  | "bool"
  | "string"
  | "bytes";

export const SCALAR_TYPES: readonly ScalarType[] = [
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
];

/** What a singular value, a repeated element or a map value is. */
export type ValueType =
  | { kind: "scalar"; scalar: ScalarType }
  | { kind: "enum"; typeName: string }
  | { kind: "message"; typeName: string };

export interface Field {
  /** Name as written in the .proto file (`created_at`). */
  name: string;
  /** The TypeScript property: lowerCamelCase of `name` (`createdAt`), as protobuf-es names it; `json_name` does not change it. */
  localName: string;
  /** The JSON key: `json_name` if given, else lowerCamelCase of `name`. Extensions: `[pkg.name]`. */
  jsonName: string;
  number: number;
  /** `single`, `repeated` or `map`; for maps `mapKey` is set. */
  cardinality: "single" | "repeated" | "map";
  type: ValueType;
  mapKey?: ScalarType;
  /** Repeated scalars/enums only: written packed (proto3 and editions by default, proto2 with `[packed = true]`). */
  packed: boolean;
  /** Has explicit presence (`optional` in proto3, proto2 and editions singular fields): absent is `undefined`. */
  optional: boolean;
  /** proto2 `required` or editions `LEGACY_REQUIRED`: encoding and decoding fail without it. */
  required: boolean;
  /** A message value written between group tags (proto2 `group`, editions `DELIMITED`), not length-prefixed. */
  delimited: boolean;
  /** An enum value the enum does not declare stays an unknown field (proto2 and `CLOSED` enums). */
  closedEnum: boolean;
  /** The `[default = …]` as a TypeScript expression (explicit presence only). */
  defaultValue?: string;
  deprecated: boolean;
  /** Name of the (non-synthetic) oneof this field belongs to. */
  oneof?: string;
  position: SourcePosition;
  comment?: string;
}

export interface Oneof {
  name: string;
  /** lowerCamelCase; the TypeScript property holding the union. */
  localName: string;
  fields: string[];
  position: SourcePosition;
}

export interface Message {
  /** Simple name (`Item`). */
  name: string;
  /** Full name without a leading dot (`shop.Order.Item`). */
  fullName: string;
  /** Import path of the declaring file (`shop/order.proto`). */
  file: string;
  fields: Field[];
  oneofs: Oneof[];
  /** Nested messages and enums are listed at file level too, by full name here. */
  nested: string[];
  /** Field number ranges other files may extend (`extensions 100 to 199;`), inclusive. */
  extensionRanges: [number, number][];
  deprecated: boolean;
  position: SourcePosition;
  comment?: string;
}

export interface EnumValue {
  name: string;
  number: number;
  deprecated: boolean;
}

export interface Enum {
  name: string;
  fullName: string;
  file: string;
  values: EnumValue[];
  /** A closed enum (proto2, editions `enum_type = CLOSED`): undeclared numbers are unknown fields. */
  closed: boolean;
  deprecated: boolean;
  position: SourcePosition;
  comment?: string;
}

/** `extend Foo { T name = N; }`: a field of another message, declared apart from it. */
export interface Extension {
  name: string;
  /** `pkg.name`, or `pkg.Scope.name` when declared inside a message. */
  fullName: string;
  /** Import path of the declaring file. */
  file: string;
  /** Full name of the message extended. */
  extendee: string;
  /** The field as the extendee would declare it: `localName` is `value`, `jsonName` is `[fullName]`. */
  field: Field;
  position: SourcePosition;
  comment?: string;
}

export type Role = "host" | "read" | "write" | "view";
export const ROLES: readonly Role[] = ["host", "read", "write", "view"];

export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

export interface Method {
  name: string;
  /** `/pkg.Service/Method`, the gRPC path. */
  path: string;
  kind: MethodKind;
  /** `option idempotency_level`: Connect serves a `no_side_effects` method over GET too. */
  idempotency?: "no_side_effects" | "idempotent";
  inputType: string;
  outputType: string;
  position: SourcePosition;
  comment?: string;
}

export interface Dependency {
  /** Full name of the service depended on. */
  service: string;
  position: SourcePosition;
}

export interface Service {
  name: string;
  fullName: string;
  file: string;
  role: Role;
  /** False when the role is the default (`host`) rather than declared. */
  roleDeclared: boolean;
  dependencies: Dependency[];
  methods: Method[];
  position: SourcePosition;
  comment?: string;
}

export interface ProtoFile {
  /** Import path, relative to its include directory (`shop/order.proto`). */
  name: string;
  /** Path shown in diagnostics (relative to the working directory); bundled files keep `name`. */
  displayPath: string;
  package: string;
  syntax: "proto2" | "proto3" | "editions";
  /** `proto2`, `proto3`, or the edition (`2023`, `2024`). */
  edition: string;
  /** Import paths of the files this one imports. */
  imports: string[];
  /** Every message and enum declared in this file, nested ones included, by full name. */
  messages: string[];
  enums: string[];
  services: string[];
  /** Extensions declared in this file, at top level or inside messages, by full name. */
  extensions: string[];
  /** True for files named on the command line; the others are only imported. */
  requested: boolean;
}

export interface SchemaModel {
  files: ProtoFile[];
  messages: Map<string, Message>;
  enums: Map<string, Enum>;
  services: Map<string, Service>;
  extensions: Map<string, Extension>;
}
