// The schema layer: .proto files in, a validated plain model out.
export { loadSchema, type LoadOptions, type LoadResult } from "./load.js";
export { type Diagnostic, SchemaError, formatDiagnostic } from "./diagnostics.js";
export { ALLOWED_DEPENDENCIES } from "./roles.js";
export { jsonNameOf } from "./build-model.js";
export type {
  Dependency,
  Enum,
  EnumValue,
  Field,
  Message,
  Method,
  MethodKind,
  Oneof,
  ProtoFile,
  Role,
  ScalarType,
  SchemaModel,
  Service,
  SourcePosition,
  ValueType,
} from "./model.js";
