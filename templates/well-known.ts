/**
 * Well-known types whose proto3 JSON is not the plain object form: their
 * generated `toJson`/`fromJson` delegate to `streampath/runtime/core/wkt`.
 */
import type { CodeBlockWriter } from "ts-morph";
import type { FieldContext } from "./message-fields.js";
import { fromJsonFunction, toJsonFunction } from "./scalars.js";
import type { ScalarType } from "../schema/model.js";

export interface WellKnownJson {
  write(w: CodeBlockWriter, ctx: FieldContext): void;
}

/** toJson/fromJson that hand the whole message to a runtime pair of functions. */
function delegate(toJson: string, fromJson: string, usesOptions = false): WellKnownJson {
  return {
    write(w, { rt }) {
      const o = usesOptions ? ", o" : "";
      w.writeLine(`toJson(m${o}) {`);
      w.indent(() => w.writeLine(`return ${rt(toJson)}(m${o});`));
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
  "google.protobuf.Struct": delegate("structToJson", "structFromJson"),
  "google.protobuf.Value": delegate("valueToJson", "valueFromJson"),
  "google.protobuf.ListValue": delegate("listValueToJson", "listValueFromJson"),
  "google.protobuf.Any": delegate("anyToJson", "anyFromJson", true),
  ...Object.fromEntries(WRAPPERS.map(([name, scalar]) => [`google.protobuf.${name}`, wrapper(scalar, `google.protobuf.${name}`)])),
};
