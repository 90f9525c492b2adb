/**
 * What a field is beyond its type: its names, its resolved edition features
 * (presence, packing, encoding, closed enums) and its `[default = …]`.
 */
import protobuf from "protobufjs";
import type { ScalarType, ValueType } from "./model.js";

/** protoc's json_name: drop underscores, upper-case the letter after each. */
export function jsonNameOf(name: string): string {
  let out = "";
  let upper = false;
  for (const c of name) {
    if (c === "_") upper = true;
    else if (upper) {
      out += c.toUpperCase();
      upper = false;
    } else out += c;
  }
  return out;
}

/**
 * Names a generated object may not use for a field, since they would shadow
 * what every object has, or what the runtime keeps on a message.
 */
const RESERVED_PROPERTIES = new Set(["constructor", "toString", "toJSON", "valueOf", "hasOwnProperty", "isPrototypeOf", "__proto__"]);

/**
 * The TypeScript property of a field or oneof: protobuf-es's protoCamelCase
 * (underscores dropped, the next letter upper-cased, a digit ending the run),
 * with `$` added to a name every object already has.
 */
export function localNameOf(name: string): string {
  let out = "";
  let upper = false;
  for (const c of name) {
    if (c === "_") upper = true;
    else if (c >= "0" && c <= "9") {
      out += c;
      upper = false;
    } else {
      out += upper ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return RESERVED_PROPERTIES.has(out) || out.startsWith("$") ? out + "$" : out;
}

/** The edition features protobufjs resolved for a field, message or enum (proto2 and proto3 map to their editions). */
export interface Features {
  field_presence?: "EXPLICIT" | "IMPLICIT" | "LEGACY_REQUIRED";
  enum_type?: "OPEN" | "CLOSED";
  repeated_field_encoding?: "PACKED" | "EXPANDED";
  message_encoding?: "LENGTH_PREFIXED" | "DELIMITED";
  utf8_validation?: "VERIFY" | "NONE";
  json_format?: "ALLOW" | "LEGACY_BEST_EFFORT";
}

/** protobufjs keeps resolved features on a private property (pinned protobufjs version). */
export function featuresOf(obj: protobuf.ReflectionObject): Features {
  return ((obj as unknown as { _features?: Features })._features ?? {}) as Features;
}

/** Resolves the features of everything loaded: each top-level object carries its file's edition. */
export function resolveFeatures(root: protobuf.Root): void {
  const r = root as unknown as { _resolveFeaturesRecursive(edition: string | null): void; _edition: string | null };
  r._resolveFeaturesRecursive(r._edition);
}

/**
 * A `[default = …]` as the model keeps it: a number's decimal text (`inf`,
 * `-inf`, `nan` for floats), `true`/`false`, a string's or bytes' characters
 * (bytes one character per byte), or an enum value's name. `undefined` when
 * the text is not a value of the type.
 */
export function defaultOf(text: string, type: ValueType): string | undefined {
  if (type.kind === "enum") return /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) ? text : undefined;
  if (type.kind === "message") return undefined;
  const s: ScalarType = type.scalar;
  if (s === "string" || s === "bytes") return /^(["'])/.test(text) ? unquote(text, s === "bytes") : undefined;
  if (s === "bool") return text === "true" || text === "false" ? text : undefined;
  if (s === "float" || s === "double") {
    const lower = text.toLowerCase();
    if (lower === "inf" || lower === "-inf" || lower === "nan") return lower;
    const n = Number(text);
    return Number.isNaN(n) ? undefined : String(n);
  }
  // Integers, in decimal, octal (leading 0) or hex, exactly (64-bit ones lose nothing).
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const digits = m[2];
  const magnitude = /^0[0-7]+$/.test(digits) ? BigInt("0o" + digits.slice(1)) : BigInt(digits);
  return String(m[1] ? -magnitude : magnitude);
}

/** The characters of one or more adjacent quoted strings, with protobuf's C-style escapes. */
function unquote(text: string, asBytes: boolean): string {
  const bytes: number[] = [];
  for (const match of text.matchAll(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g)) {
    const body = match[1] ?? match[2];
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c !== "\\") {
        bytes.push(...new TextEncoder().encode(c));
        continue;
      }
      const e = body[++i];
      const simple: Record<string, number> = { n: 10, r: 13, t: 9, v: 11, f: 12, b: 8, a: 7, "\\": 92, "'": 39, '"': 34, "?": 63 };
      if (e in simple) bytes.push(simple[e]);
      else if (e === "x" || e === "X") {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))![0];
        bytes.push(parseInt(hex, 16));
        i += hex.length;
      } else if (/[0-7]/.test(e)) {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
        bytes.push(parseInt(oct, 8) & 0xff);
        i += oct.length - 1;
      } else bytes.push(e.charCodeAt(0));
    }
  }
  const u8 = Uint8Array.from(bytes);
  return asBytes ? String.fromCharCode(...u8) : new TextDecoder().decode(u8);
}
