// The programmatic API of streampath's generator, for build tools.
export {
  TARGETS,
  generate,
  generateFromModel,
  type GenerateOptions,
  type GenerateResult,
  type GeneratedFile,
  type Target,
} from "./generate.js";
export { checkOutput, removeStale, staleFiles, writeOutput, type OutputCheck } from "./output.js";
export { loadSchema, type LoadOptions, type LoadResult } from "../schema/load.js";
export { type Diagnostic, SchemaError, formatDiagnostic } from "../schema/diagnostics.js";
export type { SchemaModel } from "../schema/model.js";
export { VERSION } from "./version.js";
