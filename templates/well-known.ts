/**
 * Well-known types whose proto3 JSON is not the plain object form: their
 * generated `toJson`/`fromJson` delegate to `streampath/runtime/core/wkt`.
 */
import type { CodeWriter } from "./writer.js";
import type { FieldContext } from "./message-fields.js";
import { fromJsonFunction, toJsonFunction } from "./scalars.js";
import type { ScalarType } from "../schema/model.js";

export interface WellKnownJson {
  write(w: CodeWriter, ctx: FieldContext): void;
}

/**
 * toJson/fromJson that hand the whole message to a runtime pair of functions;
 * `nested` ones (Any, Struct, Value, ListValue) take the options, which carry
 * the registry and count nesting.
 */
function delegate(toJson: string, fromJson: string, nested = false): WellKnownJson {
  return {
    write(w, { rt }) {
      const o = nested ? ", o" : "";
      const toJsonOptions = toJson === "anyToJson" ? o : "";
      w.writeLine(`toJson(m${toJsonOptions}) {`);
      w.indent(() => w.writeLine(`return ${rt(toJson)}(m${toJsonOptions});`));
      w.writeLine("},");
      w.writeLine(`fromJson(json${o}) {`);
      w.indent(() => w.writeLine(`return ${rt(fromJson)}(json${o});`));
      w.writeLine("},");
    },
  };
}

/** Wrappers (`Int64Value`...) are their `value` field's JSON. */
function wrapper(scalar: ScalarType, typeName: string): WellKnownJson {
  return {
    write(w, { rt }) {
      const to = toJsonFunction(scalar);
      const value = to ? `${to === "String" ? to : rt(to)}(m.value)` : "m.value";
      w.writeLine("toJson(m) {");
      w.indent(() => w.writeLine(`return ${value};`));
      w.writeLine("},");
      w.writeLine("fromJson(json) {");
      w.indent(() => w.writeLine(`return { value: ${rt(fromJsonFunction(scalar))}(json, "${typeName}") };`));
      w.writeLine("},");
    },
  };
}

const WRAPPERS: [string, ScalarType][] = [
  ["DoubleValue", "double"],
  ["FloatValue", "float"],
  ["Int64Value", "int64"],
  ["UInt64Value", "uint64"],
  ["Int32Value", "int32"],
  ["UInt32Value", "uint32"],
  ["BoolValue", "bool"],
  ["StringValue", "string"],
  ["BytesValue", "bytes"],
];

export const WELL_KNOWN_JSON: { readonly [fullName: string]: WellKnownJson | undefined } = {
  "google.protobuf.Timestamp": delegate("timestampToJson", "timestampFromJson"),
  "google.protobuf.Duration": delegate("durationToJson", "durationFromJson"),
  "google.protobuf.FieldMask": delegate("fieldMaskToJson", "fieldMaskFromJson"),
  "google.protobuf.Struct": delegate("structToJson", "structFromJson", true),
  "google.protobuf.Value": delegate("valueToJson", "valueFromJson", true),
  "google.protobuf.ListValue": delegate("listValueToJson", "listValueFromJson", true),
  "google.protobuf.Any": delegate("anyToJson", "anyFromJson", true),
  ...Object.fromEntries(WRAPPERS.map(([name, scalar]) => [`google.protobuf.${name}`, wrapper(scalar, `google.protobuf.${name}`)])),
};
