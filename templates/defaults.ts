/**
 * proto2 `[default = …]` values, exported per message as `Message$defaults`:
 * a plain object has no prototype to hold them, so an unset field stays
 * undefined and this says what it means.
 */
import type { Field } from "../schema/model.js";
import type { FieldContext } from "./message-fields.js";
import { isLong } from "./scalars.js";

/** `export const Message$defaults = {...} as const;`, or undefined when no field has a default. */
export function defaultsStatement(ctx: FieldContext): string | undefined {
  const { self } = ctx;
  const defaults = ctx.message.fields.filter((f) => f.defaultValue !== undefined && f.oneof === undefined);
  if (defaults.length === 0) return undefined;
  // Plain objects have no prototype to hold defaults: an unset field stays undefined, and this says what it means.
  const lines = defaults.map((f) => `  ${f.localName}: ${defaultExpression(ctx, f)},\n`).join("");
  const doc = `/** The \`[default = …]\` of ${self}'s fields, for when one is unset: \`m.x ?? ${self}$defaults.x\`. */\n`;
  // A line break first: printModule puts a blank line before it (after a codec, it would put none).
  return `\n${doc}export const ${self}$defaults = {\n${lines}} as const;`;
}

/** A field's `[default = …]` as a TypeScript expression. */
function defaultExpression(ctx: FieldContext, f: Field): string {
  const v = f.defaultValue!;
  // `as` the enum: a declaration emitter that sees only this file (isolatedDeclarations) can type it.
  if (f.type.kind === "enum") return `${ctx.ref(f.type.typeName)}.${v} as ${ctx.ref(f.type.typeName)}`;
  if (f.type.kind !== "scalar") return "undefined";
  switch (f.type.scalar) {
    case "string":
      return JSON.stringify(v);
    case "bytes":
      return `new Uint8Array([${[...v].map((c) => c.charCodeAt(0)).join(", ")}])`;
    case "bool":
      return v;
    case "float":
    case "double":
      return v === "inf" ? "Infinity" : v === "-inf" ? "-Infinity" : v === "nan" ? "NaN" : v.replace("e+", "e");
    default:
      return isLong(f.type.scalar) ? `${v}n` : v;
  }
}
