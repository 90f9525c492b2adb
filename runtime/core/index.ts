// streampath/runtime/core: what every generated module and every runtime part imports.
export { Code, StreampathError, codeName } from "./error.js";
export { BinaryWriter, encodeWith } from "./writer.js";
export { BinaryReader, MAX_DEPTH } from "./reader.js";
export {
  type JsonObject,
  type JsonOptions,
  type JsonValue,
  type MessageType,
  type TypeRegistry,
  boolFromJson,
  boolKeyFromJson,
  bytesFromJson,
  bytesToJson,
  createRegistry,
  enumFromJson,
  enumToJson,
  expectArray,
  expectObject,
  floatFromJson,
  floatToJson,
  int32FromJson,
  int64FromJson,
  jsonError,
  stringFromJson,
  uint32FromJson,
  uint64FromJson,
  unknownJsonField,
  type EnumObject,
} from "./json.js";
export { MAP_ENTRY, type MessageCodec } from "./message.js";
export {
  anyFromJson,
  anyToJson,
  durationFromJson,
  durationToJson,
  fieldMaskFromJson,
  fieldMaskToJson,
  listValueFromJson,
  listValueToJson,
  structFromJson,
  structToJson,
  timestampFromJson,
  timestampToJson,
  valueFromJson,
  valueToJson,
} from "./wkt.js";
