/**
 * A map field's part of `write` and `read`: each entry is a nested message
 * of key (1) and value (2).
 */
import type { CodeWriter } from "./writer.js";
import type { Field, ScalarType } from "../schema/model.js";
import { Wire, defaultValue, isLong, tsType, wireType } from "./scalars.js";
import { type FieldContext, codecOf, enumZero, tag, writeTag } from "./message-fields.js";

/** Writer conversion of a map key (a string property name) back to its type. */
function mapKeyToWire(key: ScalarType, expr: string): string {
  if (key === "string") return expr;
  if (key === "bool") return `${expr} === "true"`;
  if (isLong(key)) return `BigInt(${expr})`;
  return `Number(${expr})`;
}

export function writeMap(w: CodeWriter, ctx: FieldContext, f: Field): void {
  const key = f.mapKey!;
  const prop = `m.${f.localName}`;
  w.write(`for (const k of Object.keys(${prop})) `).inlineBlock(() => {
    w.writeLine(writeTag(f.number, Wire.Delimited));
    w.writeLine("const start = w.fork();");
    w.writeLine(writeTag(1, wireType(key)));
    w.writeLine(`w.${key}(${mapKeyToWire(key, "k")});`);
    const value = codecOf(f.type);
    if (value) {
      w.writeLine(writeTag(2, value.wire));
      // The key comes from the object's own keys: `!` says so under noUncheckedIndexedAccess.
      w.writeLine(`w.${value.method}(${prop}[k]!);`);
    } else {
      w.writeLine(writeTag(2, Wire.Delimited));
      w.writeLine("const value = w.fork();");
      w.writeLine(`${ctx.ref((f.type as { typeName: string }).typeName)}.write(${prop}[k]!, w);`);
      w.writeLine("w.join(value);");
    }
    w.writeLine("w.join(start);");
  });
  w.newLine();
}

export function readMap(w: CodeWriter, ctx: FieldContext, f: Field): void {
  const key = f.mapKey!;
  // String keys through the reader's cache of recent keys: a key met again is the same string (map-keys.ts).
  const keyRead = key === "bool" ? "String(r.bool())" : isLong(key) ? `String(r.${key}())` : key === "string" ? "r.mapKey()" : `r.${key}()`;
  const keyDefault = key === "string" ? '""' : key === "bool" ? '"false"' : isLong(key) ? '"0"' : "0";
  const isMessage = f.type.kind === "message";
  const valueType = f.type.kind === "scalar" ? tsType(f.type.scalar) : ctx.ref(f.type.typeName);
  const valueCodec = codecOf(f.type);
  w.writeLine(`case ${tag(f.number, Wire.Delimited)}: {`);
  w.indent(() => {
    w.writeLine("const e = r.enter();");
    // A closed enum value the enum does not declare keeps the whole entry as an unknown field.
    if (f.closedEnum) w.writeLine("const s = r.pos;");
    w.writeLine(`let k = ${keyDefault};`);
    if (isMessage) w.writeLine(`let v: ${valueType} | undefined;`);
    else {
      const def = f.type.kind === "scalar" ? defaultValue(f.type.scalar, ctx.rt) : enumZero(ctx, f.type.typeName);
      w.writeLine(`let v: ${valueType} = ${def};`);
    }
    w.write("while (r.pos < e) ").inlineBlock(() => {
      w.writeLine("const t = r.uint32();");
      w.writeLine(`if (t === ${tag(1, wireType(key))}) k = ${keyRead};`);
      if (isMessage) w.writeLine(`else if (t === ${tag(2, Wire.Delimited)}) v = ${valueType}.read(r, r.enter(), v);`);
      else w.writeLine(`else if (t === ${tag(2, valueCodec!.wire)}) v = r.${valueCodec!.method}();`);
      w.writeLine(`else r.skip(t, ${ctx.rt("MAP_ENTRY")});`);
    });
    w.newLine();
    w.writeLine("r.leave(e);");
    const set = `${ctx.rt("setEntry")}(m.${f.localName}, k, ${isMessage ? `v ?? ${valueType}.create()` : "v"});`;
    if (f.closedEnum) {
      w.writeLine(`if (${valueType}[v] !== undefined) ${set}`);
      w.writeLine(`else ${ctx.rt("keepDelimited")}(m, ${f.number}, r.buf, s, e);`);
    } else w.writeLine(set);
    w.writeLine("break;");
  });
  w.writeLine("}");
}
