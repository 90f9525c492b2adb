/**
 * The code one field contributes to its message's codec: its part of
 * `write`, its `case`s in `read`, and its lines in `toJson` and `fromJson`.
 */
import type { CodeBlockWriter } from "ts-morph";
import type { Field, Message, ScalarType, SchemaModel, ValueType } from "../schema/model.js";
import { Wire, defaultValue, fromJsonFunction, isLong, notDefault, toJsonFunction, tsType, wireType } from "./scalars.js";

export interface FieldContext {
  model: SchemaModel;
  message: Message;
  /** The identifier for a message or enum by full name, importing it if needed. */
  ref: (fullName: string) => string;
  /** The identifier for a runtime export, importing it. */
  rt: (name: string) => string;
  /** The message's own local name (its codec object). */
  self: string;
}

export interface FieldCode {
  write(w: CodeBlockWriter): void;
  read(w: CodeBlockWriter): void;
  toJson(w: CodeBlockWriter): void;
  fromJson(w: CodeBlockWriter): void;
  /** toJson passes the JSON options on (message values do). */
  jsonUsesOptions: boolean;
}

const tag = (number: number, wire: Wire) => ((number << 3) | wire) >>> 0;

/** Wire type and writer/reader method of a scalar or enum value. */
function codecOf(type: ValueType): { wire: Wire; method: string } | undefined {
  if (type.kind === "scalar") return { wire: wireType(type.scalar), method: type.scalar };
  if (type.kind === "enum") return { wire: Wire.Varint, method: "int32" };
  return undefined;
}

export function emitField(ctx: FieldContext, f: Field): FieldCode {
  const { ref, rt, message, self } = ctx;
  const codec = codecOf(f.type);
  const msgType = f.type.kind === "message" ? ref(f.type.typeName) : "";
  const oneof = f.oneof !== undefined ? message.oneofs.find((o) => o.name === f.oneof)! : undefined;
  const access = oneof ? `m.${oneof.jsonName}.value` : `m.${f.jsonName}`;
  /** When a singular field is written: set in its oneof, not undefined, or not the default. */
  const presence = oneof
    ? `m.${oneof.jsonName}.case === "${f.jsonName}"`
    : f.optional
      ? `${access} !== undefined`
      : f.type.kind === "enum"
        ? `${access} !== 0`
        : notDefault((f.type as { scalar: ScalarType }).scalar, access);

  /** Statements writing value `expr` with its tag. */
  const writeValue = (w: CodeBlockWriter, type: ValueType, expr: string, number: number) => {
    const c = codecOf(type);
    if (c) {
      w.writeLine(`w.uint32(${tag(number, c.wire)});`);
      w.writeLine(`w.${c.method}(${expr});`);
    } else {
      const name = ref((type as { typeName: string }).typeName);
      w.writeLine(`w.uint32(${tag(number, Wire.Delimited)});`);
      w.writeLine("const start = w.fork();");
      w.writeLine(`${name}.write(${expr}, w);`);
      w.writeLine("w.join(start);");
    }
  };

  /** An expression turning value `expr` into JSON. */
  const valueToJson = (type: ValueType, expr: string): string => {
    if (type.kind === "scalar") {
      const fn = toJsonFunction(type.scalar);
      return fn ? `${rtFn(fn)}(${expr})` : expr;
    }
    if (type.kind === "enum") return `${rt("enumToJson")}(${ref(type.typeName)}, ${expr})`;
    return `${ref(type.typeName)}.toJson(${expr}, o)`;
  };
  const rtFn = (fn: string) => (fn === "String" ? fn : rt(fn));

  /** An expression reading the JSON value `v` of this field's key `k`. */
  const valueFromJson = (type: ValueType): string => {
    if (type.kind === "scalar") return `${rt(fromJsonFunction(type.scalar))}(v, ${self}, k)`;
    if (type.kind === "enum") return `${rt("enumFromJson")}(${ref(type.typeName)}, v, ${self}, k)`;
    return `${ref(type.typeName)}.fromJson(v, o)`;
  };

  /** The `case` labels of this field's JSON names, opening a braced case when `block`. */
  const jsonCases = (w: CodeBlockWriter, block: boolean) => {
    const labels = [f.jsonName, ...(f.name !== f.jsonName ? [f.name] : [])];
    labels.forEach((l, i) => w.writeLine(`case "${l}":${block && i === labels.length - 1 ? " {" : ""}`));
  };

  /** The JSON of a map or repeated field, as one runtime call. */
  const collectionToJson = (): string => {
    const field = `m.${f.jsonName}`;
    const t = f.type;
    if (f.cardinality === "map") {
      if (t.kind === "enum") return `${rt("enumMapToJson")}(${ref(t.typeName)}, ${field})`;
      if (t.kind === "message") return `${rt("messageMapToJson")}(${ref(t.typeName)}, ${field}, o)`;
      const fn = toJsonFunction(t.scalar);
      return `${rt("mapToJson")}(${field}${fn ? `, ${rtFn(fn)}` : ""})`;
    }
    if (t.kind === "enum") return `${rt("enumsToJson")}(${ref(t.typeName)}, ${field})`;
    if (t.kind === "message") return `${rt("messagesToJson")}(${ref(t.typeName)}, ${field}, o)`;
    const fn = toJsonFunction(t.scalar);
    return fn ? `${field}.map(${rtFn(fn)})` : `${field}.slice()`;
  };

  const collectionFromJson = (): string => {
    const t = f.type;
    if (f.cardinality === "map") {
      const key = rt(mapKeyFromJson(f.mapKey!));
      if (t.kind === "enum") return `${rt("enumMapFromJson")}(${ref(t.typeName)}, v, ${self}, k, ${key})`;
      if (t.kind === "message") return `${rt("messageMapFromJson")}(${ref(t.typeName)}, v, o, ${self}, k, ${key})`;
      return `${rt("mapFromJson")}(v, ${self}, k, ${key}, ${rt(fromJsonFunction(t.scalar))})`;
    }
    if (t.kind === "enum") return `${rt("enumsFromJson")}(${ref(t.typeName)}, v, ${self}, k)`;
    if (t.kind === "message") return `${rt("messagesFromJson")}(${ref(t.typeName)}, v, o)`;
    return `${rt("scalarsFromJson")}(v, ${self}, k, ${rt(fromJsonFunction(t.scalar))})`;
  };

  const code: FieldCode = {
    jsonUsesOptions: f.type.kind === "message",
    write(w) {
      if (f.cardinality === "map") return writeMap(w, ctx, f, writeValue);
      if (f.cardinality === "repeated") {
        if (f.packed && codec) {
          w.write(`if (m.${f.jsonName}.length > 0) `).inlineBlock(() => {
            w.writeLine(`w.uint32(${tag(f.number, Wire.Delimited)});`);
            w.writeLine("const start = w.fork();");
            w.writeLine(`for (const v of m.${f.jsonName}) w.${codec.method}(v);`);
            w.writeLine("w.join(start);");
          });
        } else {
          w.write(`for (const v of m.${f.jsonName}) `).inlineBlock(() => writeValue(w, f.type, "v", f.number));
        }
        w.newLine();
        return;
      }
      w.write(`if (${presence}) `).inlineBlock(() => writeValue(w, f.type, access, f.number));
      w.newLine();
    },
    read(w) {
      if (f.cardinality === "map") return readMap(w, ctx, f);
      if (f.cardinality === "repeated") {
        if (codec) {
          if (codec.wire !== Wire.Delimited) {
            // Packed and unpacked encodings are both accepted, whatever the schema says.
            w.writeLine(`case ${tag(f.number, Wire.Delimited)}: {`);
            w.indent(() => {
              w.writeLine("const e = r.packedEnd();");
              w.writeLine(`while (r.pos < e) m.${f.jsonName}.push(r.${codec.method}());`);
              w.writeLine("r.packedDone(e);");
              w.writeLine("break;");
            });
            w.writeLine("}");
          }
          w.writeLine(`case ${tag(f.number, codec.wire)}:`);
          w.indent(() => {
            w.writeLine(`m.${f.jsonName}.push(r.${codec.method}());`);
            w.writeLine("break;");
          });
        } else {
          w.writeLine(`case ${tag(f.number, Wire.Delimited)}:`);
          w.indent(() => {
            w.writeLine(`m.${f.jsonName}.push(${msgType}.read(r, r.enter()));`);
            w.writeLine("break;");
          });
        }
        return;
      }
      const number = tag(f.number, codec ? codec.wire : Wire.Delimited);
      if (codec) {
        w.writeLine(`case ${number}:`);
        w.indent(() => {
          const value = `r.${codec.method}()`;
          w.writeLine(oneof ? `m.${oneof.jsonName} = { case: "${f.jsonName}", value: ${value} };` : `${access} = ${value};`);
          w.writeLine("break;");
        });
      } else if (oneof) {
        w.writeLine(`case ${number}: {`);
        w.indent(() => {
          // A message seen twice merges (proto semantics), if the oneof still holds it.
          w.writeLine(`let prev: ${msgType} | undefined;`);
          w.writeLine(`if (m.${oneof.jsonName}.case === "${f.jsonName}") prev = ${access};`);
          w.writeLine(`const value = ${msgType}.read(r, r.enter(), prev);`);
          w.writeLine(`m.${oneof.jsonName} = { case: "${f.jsonName}", value };`);
          w.writeLine("break;");
        });
        w.writeLine("}");
      } else {
        w.writeLine(`case ${number}:`);
        w.indent(() => {
          w.writeLine(`${access} = ${msgType}.read(r, r.enter(), ${access});`);
          w.writeLine("break;");
        });
      }
    },
    toJson(w) {
      const key = `j.${f.jsonName}`;
      let condition: string;
      let value: string;
      if (f.cardinality === "map") {
        condition = `Object.keys(m.${f.jsonName}).length > 0`;
        value = collectionToJson();
      } else if (f.cardinality === "repeated") {
        condition = `m.${f.jsonName}.length > 0`;
        value = collectionToJson();
      } else {
        condition = presence;
        value = valueToJson(f.type, access);
      }
      w.write(`if (${condition}) `).inlineBlock(() => w.writeLine(`${key} = ${value};`));
      w.newLine();
    },
    fromJson(w) {
      if (oneof) {
        jsonCases(w, true);
        w.indent(() => {
          w.writeLine(`const value = ${valueFromJson(f.type)};`);
          w.writeLine(`m.${oneof.jsonName} = { case: "${f.jsonName}", value };`);
          w.writeLine("break;");
        });
        w.writeLine("}");
        return;
      }
      jsonCases(w, false);
      w.indent(() => {
        const value = f.cardinality === "single" ? valueFromJson(f.type) : collectionFromJson();
        w.writeLine(`${access} = ${value};`);
        w.writeLine("break;");
      });
    },
  };
  return code;
}

/** Writer conversion of a map key (a string property name) back to its type. */
function mapKeyToWire(key: ScalarType, expr: string): string {
  if (key === "string") return expr;
  if (key === "bool") return `${expr} === "true"`;
  if (isLong(key)) return `BigInt(${expr})`;
  return `Number(${expr})`;
}

/** The runtime function reading a JSON map key (always a string) as its key type. */
function mapKeyFromJson(key: ScalarType): string {
  if (key === "bool") return "boolKeyFromJson";
  if (key === "int64" || key === "sint64" || key === "sfixed64") return "int64KeyFromJson";
  if (key === "uint64" || key === "fixed64") return "uint64KeyFromJson";
  return fromJsonFunction(key);
}

function writeMap(
  w: CodeBlockWriter,
  ctx: FieldContext,
  f: Field,
  writeValue: (w: CodeBlockWriter, type: ValueType, expr: string, number: number) => void,
): void {
  const key = f.mapKey!;
  w.write(`for (const k of Object.keys(m.${f.jsonName})) `).inlineBlock(() => {
    w.writeLine(`w.uint32(${tag(f.number, Wire.Delimited)});`);
    w.writeLine("const start = w.fork();");
    w.writeLine(`w.uint32(${tag(1, wireType(key))});`);
    w.writeLine(`w.${key}(${mapKeyToWire(key, "k")});`);
    if (f.type.kind === "message") {
      w.writeLine(`w.uint32(${tag(2, Wire.Delimited)});`);
      w.writeLine("const value = w.fork();");
      w.writeLine(`${ctx.ref(f.type.typeName)}.write(m.${f.jsonName}[k], w);`);
      w.writeLine("w.join(value);");
    } else {
      writeValue(w, f.type, `m.${f.jsonName}[k]`, 2);
    }
    w.writeLine("w.join(start);");
  });
  w.newLine();
}

function readMap(w: CodeBlockWriter, ctx: FieldContext, f: Field): void {
  const key = f.mapKey!;
  const keyRead = key === "bool" ? "String(r.bool())" : isLong(key) ? `String(r.${key}())` : `r.${key}()`;
  const keyDefault = key === "string" ? '""' : key === "bool" ? '"false"' : isLong(key) ? '"0"' : "0";
  const isMessage = f.type.kind === "message";
  const valueType = f.type.kind === "scalar" ? tsType(f.type.scalar) : ctx.ref(f.type.typeName);
  const valueCodec = codecOf(f.type);
  w.writeLine(`case ${tag(f.number, Wire.Delimited)}: {`);
  w.indent(() => {
    w.writeLine("const e = r.enter();");
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
    w.writeLine(`${ctx.rt("setEntry")}(m.${f.jsonName}, k, ${isMessage ? `v ?? ${valueType}.create()` : "v"});`);
    w.writeLine("break;");
  });
  w.writeLine("}");
}

export function enumZero(ctx: FieldContext, fullName: string): string {
  const e = ctx.model.enums.get(fullName)!;
  const zero = e.values.find((v) => v.number === 0) ?? e.values[0];
  return `${ctx.ref(fullName)}.${zero.name}`;
}
