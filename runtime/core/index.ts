// streampath/runtime/core: what every generated module and every runtime part imports.
export { Code, StreampathError, codeName, type ErrorDetail } from "./error.js";
export { errorDetail, findDetails } from "./error-details.js";
export { binaryHeaderValue, readBinaryHeader } from "./binary-header.js";
export { BinaryWriter, encodeWith } from "./writer.js";
export { EMPTY_BYTES } from "./bytes.js";
export { BinaryReader, MAX_DEPTH } from "./reader.js";
export {
  type JsonObject,
  type JsonOptions,
  type JsonValue,
  type MessageType,
  type TypeRegistry,
  checkOtherName,
  createRegistry,
  enterJson,
  expectArray,
  expectObject,
  jsonError,
  leaveJson,
  MAX_JSON_DEPTH,
  oneofTwiceError,
  setEntry,
  unknownJsonField,
  type Where,
} from "./json.js";
export {
  boolFromJson,
  boolKeyFromJson,
  bytesFromJson,
  bytesToJson,
  enumFromJson,
  enumToJson,
  float32FromJson,
  floatFromJson,
  floatToJson,
  int32FromJson,
  int32KeyFromJson,
  int64FromJson,
  int64KeyFromJson,
  nullValueFromJson,
  nullValueToJson,
  stringFromJson,
  uint32FromJson,
  uint32KeyFromJson,
  uint64FromJson,
  uint64KeyFromJson,
  type EnumObject,
} from "./json-scalars.js";
export {
  enumMapFromJson,
  enumMapToJson,
  enumsFromJson,
  enumsToJson,
  mapFromJson,
  mapToJson,
  messageMapFromJson,
  messageMapToJson,
  messagesFromJson,
  messagesToJson,
  nullValueMapFromJson,
  nullValueMapToJson,
  nullValuesFromJson,
  nullValuesToJson,
  scalarsFromJson,
} from "./json-collections.js";
export { type ParsedJson, parseJsonText } from "./json-text.js";
export { ENVELOPE_HEADER_BYTES, type Envelope, EnvelopeDecoder, EnvelopeFlag, type EnvelopeVisitor, encodeEnvelope } from "./envelope.js";
export { EnvelopeBatch, FLUSH_BYTES, Flusher, MessageBatch, type Schedule, nextTask } from "./batch.js";
export { Channel, type ChannelOptions } from "./channel.js";
export { createClient, type CallOptions, type Client, type ClientMethod, type Transport } from "./client.js";
export { flatten } from "./flatten.js";
export { type ResumeOptions, resumeStream } from "./resume.js";
export {
  CONNECTING,
  ConnectionCell,
  type ConnectionState,
  type ConnectionStateListener,
  type ConnectionStateSource,
  LIVE,
  sameConnectionState,
} from "./connection-state.js";
export { type Handlers, LocalCall } from "./local-call.js";
export {
  IN_REALM,
  type RealmContext,
  type RealmDependency,
  type RealmHandler,
  type RealmImplementation,
  type RealmOptions,
  type RealmRegistry,
  type RealmService,
  serveRealm,
} from "./realm.js";
export type { Metadata, MethodDescriptor, MethodKind, ServiceDescriptor } from "./service.js";
export { type DeadlineSignal, deadlineSignal, formatGrpcTimeout, parseConnectTimeout, parseGrpcTimeout } from "./deadline.js";
export { MAP_ENTRY, type MessageCodec, decodeAt } from "./message.js";
export { type UnknownFields, keepDelimited, keepEnumValue, missingRequired, readUnknown } from "./unknown.js";
export {
  type Extension,
  type ExtensionValue,
  clearExtension,
  extensionFromJson,
  extensionsToJson,
  getExtension,
  hasExtension,
  setExtension,
} from "./extension.js";
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
