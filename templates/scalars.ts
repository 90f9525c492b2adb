/**
 * Per-scalar facts the message emitter needs: TypeScript type, wire type,
 * default, and the runtime calls that read, write and convert it.
 */
import type { ScalarType } from "../schema/model.js";

export const enum Wire {
  Varint = 0,
  Bit64 = 1,
  Delimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Bit32 = 5,
}

const LONG = new Set<ScalarType>(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

export function isLong(s: ScalarType): boolean {
  return LONG.has(s);
}

export function tsType(s: ScalarType): string {
  if (LONG.has(s)) return "bigint";
  switch (s) {
    case "bool":
      return "boolean";
    case "string":
      return "string";
    case "bytes":
      return "Uint8Array";
    default:
      return "number";
  }
}

export function wireType(s: ScalarType): Wire {
  switch (s) {
    case "double":
    case "fixed64":
    case "sfixed64":
      return Wire.Bit64;
    case "float":
    case "fixed32":
    case "sfixed32":
      return Wire.Bit32;
    case "string":
    case "bytes":
      return Wire.Delimited;
    default:
      return Wire.Varint;
  }
}

/** The default's expression; `rt` imports a runtime name (the shared empty bytes). */
export function defaultValue(s: ScalarType, rt: (name: string) => string): string {
  if (LONG.has(s)) return "0n";
  switch (s) {
    case "bool":
      return "false";
    case "string":
      return '""';
    case "bytes":
      return rt("EMPTY_BYTES");
    default:
      return "0";
  }
}

/** A condition that holds when `expr` is not the default (proto3 implicit presence). */
export function notDefault(s: ScalarType, expr: string): string {
  if (LONG.has(s)) return `${expr} !== 0n`;
  switch (s) {
    case "bool":
      return expr;
    case "string":
      return `${expr} !== ""`;
    case "bytes":
      return `${expr}.length > 0`;
    default:
      return `${expr} !== 0`;
  }
}

/** The runtime `XFromJson` that reads a scalar of this type (bytes/strings included). */
export function fromJsonFunction(s: ScalarType): string {
  switch (s) {
    case "int32":
    case "sint32":
    case "sfixed32":
      return "int32FromJson";
    case "uint32":
    case "fixed32":
      return "uint32FromJson";
    case "int64":
    case "sint64":
    case "sfixed64":
      return "int64FromJson";
    case "uint64":
    case "fixed64":
      return "uint64FromJson";
    case "float":
      return "float32FromJson";
    case "double":
      return "floatFromJson";
    case "bool":
      return "boolFromJson";
    case "string":
      return "stringFromJson";
    case "bytes":
      return "bytesFromJson";
  }
}

/** The runtime function turning a scalar into JSON, or undefined when it is JSON already. */
export function toJsonFunction(s: ScalarType): string | undefined {
  if (LONG.has(s)) return "String";
  if (s === "float" || s === "double") return "floatToJson";
  if (s === "bytes") return "bytesToJson";
  return undefined;
}
