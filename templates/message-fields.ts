/**
 * The code one field contributes to its message's codec: its part of
 * `write`, its `case`s in `read`, and its lines in `toJson` and `fromJson`.
 */
import type { CodeWriter } from "./writer.js";
import type { Field, Message, ScalarType, SchemaModel, ValueType } from "../schema/model.js";
import { Wire, fromJsonFunction, notDefault, toJsonFunction, wireType } from "./scalars.js";
import { readMap, writeMap } from "./message-maps.js";

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
  write(w: CodeWriter): void;
  read(w: CodeWriter): void;
  toJson(w: CodeWriter): void;
  fromJson(w: CodeWriter): void;
  /** toJson passes the JSON options on (message values do). */
  jsonUsesOptions: boolean;
}

export const tag = (number: number, wire: Wire) => ((number << 3) | wire) >>> 0;

/**
 * The statement writing a field's tag. One- and two-byte tags are stored
 * into the room the writer keeps past its position (runtime/core/writer.ts
 * HEADROOM), so each must be followed by a writer method, which makes that
 * room again; longer tags go through `uint32`.
 */
export function writeTag(number: number, wire: Wire): string {
  const t = tag(number, wire);
  if (t < 0x80) return `w.tag(${t});`;
  if (t < 0x4000) return `w.tag2(${(t & 127) | 128}, ${t >>> 7});`;
  return `w.uint32(${t});`;
}

/** Wire type and writer/reader method of a scalar or enum value. */
export function codecOf(type: ValueType): { wire: Wire; method: string } | undefined {
  if (type.kind === "scalar") return { wire: wireType(type.scalar), method: type.scalar };
  if (type.kind === "enum") return { wire: Wire.Varint, method: "int32" };
  return undefined;
}

export function emitField(ctx: FieldContext, f: Field): FieldCode {
  const { ref, rt, message, self } = ctx;
  const codec = codecOf(f.type);
  const msgType = f.type.kind === "message" ? ref(f.type.typeName) : "";
  const oneof = f.oneof !== undefined ? message.oneofs.find((o) => o.name === f.oneof)! : undefined;
  const prop = `m.${f.localName}`;
  const access = oneof ? `m.${oneof.localName}.value` : prop;
  /** When a singular field is written: set in its oneof, not undefined, or not the default. */
  const presence = oneof
    ? `m.${oneof.localName}.case === "${f.localName}"`
    : f.optional
      ? `${access} !== undefined`
      : f.type.kind === "enum"
        ? `${access} !== 0`
        : notDefault((f.type as { scalar: ScalarType }).scalar, access);
  const isNullValue = f.type.kind === "enum" && f.type.typeName === "google.protobuf.NullValue";
  /** JSON null is a value of this field (NULL_VALUE), not "unset". */
  const nullIsValue = isNullValue || (f.type.kind === "message" && f.type.typeName === "google.protobuf.Value");
  /** A closed enum's check that `v` is declared (else it stays an unknown field). */
  const declaredEnum = f.closedEnum ? `${ref((f.type as { typeName: string }).typeName)}[v] !== undefined` : undefined;
  const keepEnum = () => `${rt("keepEnumValue")}(m, ${f.number}, v)`;

  /** Statements writing value `expr` with its tag. */
  const writeValue = (w: CodeWriter, expr: string) => {
    if (codec) {
      w.writeLine(writeTag(f.number, codec.wire));
      w.writeLine(`w.${codec.method}(${expr});`);
    } else if (f.delimited) {
      w.writeLine(`w.uint32(${tag(f.number, Wire.StartGroup)});`);
      w.writeLine(`${msgType}.write(${expr}, w);`);
      w.writeLine(`w.uint32(${tag(f.number, Wire.EndGroup)});`);
    } else {
      w.writeLine(writeTag(f.number, Wire.Delimited));
      w.writeLine("const start = w.fork();");
      w.writeLine(`${msgType}.write(${expr}, w);`);
      w.writeLine("w.join(start);");
    }
  };

  /** A message value read from here, merged into `prev` if given. */
  const readMessage = (prev: string) =>
    f.delimited ? `${msgType}.read(r, r.enterGroup(end), ${prev}, ${f.number})` : `${msgType}.read(r, r.enter(), ${prev})`;
  const messageTag = tag(f.number, f.delimited ? Wire.StartGroup : Wire.Delimited);

  /** An expression turning value `expr` into JSON. */
  const valueToJson = (type: ValueType, expr: string): string => {
    if (type.kind === "scalar") {
      const fn = toJsonFunction(type.scalar);
      return fn ? `${rtFn(fn)}(${expr})` : expr;
    }
    if (type.kind === "enum") {
      if (type.typeName === "google.protobuf.NullValue") return "null";
      return `${rt("enumToJson")}(${ref(type.typeName)}, ${expr})`;
    }
    return `${ref(type.typeName)}.toJson(${expr}, o)`;
  };
  const rtFn = (fn: string) => (fn === "String" ? fn : rt(fn));

  /** An expression reading the JSON value `v` of this field's key `k`. */
  const valueFromJson = (type: ValueType): string => {
    if (type.kind === "scalar") return `${rt(fromJsonFunction(type.scalar))}(v, ${self}, k)`;
    if (type.kind === "enum") {
      if (type.typeName === "google.protobuf.NullValue") return `${rt("nullValueFromJson")}(v, ${self}, k, o)`;
      return `${rt("enumFromJson")}(${ref(type.typeName)}, v, ${self}, k, o)`;
    }
    return `${ref(type.typeName)}.fromJson(v, o)`;
  };

  /** The `case` labels of this field's JSON names, opening a braced case when `block`. */
  const jsonCases = (w: CodeWriter, block: boolean) => {
    const labels = [f.jsonName, ...(f.name !== f.jsonName ? [f.name] : [])];
    labels.forEach((l, i) => w.writeLine(`case ${JSON.stringify(l)}:${block && i === labels.length - 1 ? " {" : ""}`));
  };

  /** The JSON of a map or repeated field, as one runtime call. */
  const collectionToJson = (): string => {
    const t = f.type;
    if (f.cardinality === "map") {
      if (isNullValue) return `${rt("nullValueMapToJson")}(${prop})`;
      if (t.kind === "enum") return `${rt("enumMapToJson")}(${ref(t.typeName)}, ${prop})`;
      if (t.kind === "message") return `${rt("messageMapToJson")}(${ref(t.typeName)}, ${prop}, o)`;
      const fn = toJsonFunction(t.scalar);
      return `${rt("mapToJson")}(${prop}${fn ? `, ${rtFn(fn)}` : ""})`;
    }
    if (isNullValue) return `${rt("nullValuesToJson")}(${prop})`;
    if (t.kind === "enum") return `${rt("enumsToJson")}(${ref(t.typeName)}, ${prop})`;
    if (t.kind === "message") return `${rt("messagesToJson")}(${ref(t.typeName)}, ${prop}, o)`;
    const fn = toJsonFunction(t.scalar);
    return fn ? `${prop}.map(${rtFn(fn)})` : `${prop}.slice()`;
  };

  const collectionFromJson = (): string => {
    const t = f.type;
    if (f.cardinality === "map") {
      const key = rt(mapKeyFromJson(f.mapKey!));
      if (isNullValue) return `${rt("nullValueMapFromJson")}(v, ${self}, k, ${key}, o)`;
      if (t.kind === "enum") return `${rt("enumMapFromJson")}(${ref(t.typeName)}, v, ${self}, k, ${key}, o)`;
      if (t.kind === "message") return `${rt("messageMapFromJson")}(${ref(t.typeName)}, v, o, ${self}, k, ${key})`;
      return `${rt("mapFromJson")}(v, ${self}, k, ${key}, ${rt(fromJsonFunction(t.scalar))})`;
    }
    if (isNullValue) return `${rt("nullValuesFromJson")}(v, ${self}, k, o)`;
    if (t.kind === "enum") return `${rt("enumsFromJson")}(${ref(t.typeName)}, v, ${self}, k, o)`;
    if (t.kind === "message") return `${rt("messagesFromJson")}(${ref(t.typeName)}, v, o)`;
    return `${rt("scalarsFromJson")}(v, ${self}, k, ${rt(fromJsonFunction(t.scalar))})`;
  };

  /** Reads one (unpacked) element into `target(value)`, keeping a closed enum's undeclared value as unknown. */
  const readElement = (w: CodeWriter, assign: (value: string) => string) => {
    if (declaredEnum) {
      w.writeLine(`const v = r.${codec!.method}();`);
      w.writeLine(`if (${declaredEnum}) ${assign("v")};`);
      w.writeLine(`else ${keepEnum()};`);
    } else w.writeLine(`${assign(`r.${codec!.method}()`)};`);
  };

  const code: FieldCode = {
    jsonUsesOptions: f.type.kind === "message",
    write(w) {
      if (f.cardinality === "map") return writeMap(w, ctx, f);
      if (f.cardinality === "repeated") {
        if (f.packed && codec) {
          w.write(`if (${prop}.length > 0) `).inlineBlock(() => {
            w.writeLine(writeTag(f.number, Wire.Delimited));
            w.writeLine("const start = w.fork();");
            w.writeLine(`for (const v of ${prop}) w.${codec.method}(v);`);
            w.writeLine("w.join(start);");
          });
        } else {
          w.write(`for (const v of ${prop}) `).inlineBlock(() => writeValue(w, "v"));
        }
        w.newLine();
        return;
      }
      if (f.required) {
        // Always written; missing, it fails the encode (as protobuf C++ and Java do).
        w.writeLine(`if (${access} === undefined) ${rt("missingRequired")}(${self}, "${f.name}", false);`);
        w.write("else ").inlineBlock(() => writeValue(w, access));
        w.newLine();
        return;
      }
      w.write(`if (${presence}) `).inlineBlock(() => writeValue(w, access));
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
              if (declaredEnum) {
                w.write("while (r.pos < e) ").inlineBlock(() => readElement(w, (v) => `${prop}.push(${v})`));
                w.newLine();
              } else w.writeLine(`while (r.pos < e) ${prop}.push(r.${codec.method}());`);
              w.writeLine("r.packedDone(e);");
              w.writeLine("break;");
            });
            w.writeLine("}");
          }
          w.writeLine(`case ${tag(f.number, codec.wire)}:${declaredEnum ? " {" : ""}`);
          w.indent(() => {
            readElement(w, (v) => `${prop}.push(${v})`);
            w.writeLine("break;");
          });
          if (declaredEnum) w.writeLine("}");
        } else {
          w.writeLine(`case ${messageTag}:`);
          w.indent(() => {
            w.writeLine(`${prop}.push(${readMessage("undefined")});`);
            w.writeLine("break;");
          });
        }
        return;
      }
      if (codec) {
        w.writeLine(`case ${tag(f.number, codec.wire)}:${declaredEnum ? " {" : ""}`);
        w.indent(() => {
          readElement(w, (v) => (oneof ? `m.${oneof.localName} = { case: "${f.localName}", value: ${v} }` : `${access} = ${v}`));
          w.writeLine("break;");
        });
        if (declaredEnum) w.writeLine("}");
      } else if (oneof) {
        w.writeLine(`case ${messageTag}: {`);
        w.indent(() => {
          // A message seen twice merges (proto semantics), if the oneof still holds it.
          w.writeLine(`let prev: ${msgType} | undefined;`);
          w.writeLine(`if (m.${oneof.localName}.case === "${f.localName}") prev = ${access};`);
          w.writeLine(`const value = ${readMessage("prev")};`);
          w.writeLine(`m.${oneof.localName} = { case: "${f.localName}", value };`);
          w.writeLine("break;");
        });
        w.writeLine("}");
      } else {
        w.writeLine(`case ${messageTag}:`);
        w.indent(() => {
          w.writeLine(`${access} = ${readMessage(access)};`);
          w.writeLine("break;");
        });
      }
    },
    toJson(w) {
      // A bracket, not a dot: JsonObject is an index signature (noPropertyAccessFromIndexSignature).
      const key = `j[${JSON.stringify(f.jsonName)}]`;
      let condition: string;
      let value: string;
      if (f.cardinality === "map") {
        condition = `Object.keys(${prop}).length > 0`;
        value = collectionToJson();
      } else if (f.cardinality === "repeated") {
        condition = `${prop}.length > 0`;
        value = collectionToJson();
      } else {
        condition = f.required ? `${access} !== undefined` : presence;
        value = valueToJson(f.type, access);
      }
      // A "__proto__" key assigned with `=` would set the object's prototype, not a key.
      const assign = f.jsonName === "__proto__" ? `${rt("setEntry")}(j, "__proto__", ${value});` : `${key} = ${value};`;
      w.write(`if (${condition}) `).inlineBlock(() => w.writeLine(assign));
      w.newLine();
    },
    fromJson(w) {
      const singleEnum = f.cardinality === "single" && f.type.kind === "enum";
      if (oneof) {
        jsonCases(w, true);
        w.indent(() => {
          const set = `m.${oneof.localName}.case !== undefined`;
          w.writeLine(`if (${nullIsValue ? `v !== null && ${set}` : set}) {`);
          w.indent(() =>
            w.writeLine(`throw ${rt("oneofTwiceError")}(${self}, "${oneof.name}", m.${oneof.localName}.case, k);`),
          );
          w.writeLine("}");
          w.writeLine(`const value = ${valueFromJson(f.type)};`);
          if (singleEnum) w.writeLine(`if (value !== undefined) m.${oneof.localName} = { case: "${f.localName}", value };`);
          else w.writeLine(`m.${oneof.localName} = { case: "${f.localName}", value };`);
          w.writeLine("break;");
        });
        w.writeLine("}");
        return;
      }
      const twoNames = f.name !== f.jsonName;
      jsonCases(w, twoNames || singleEnum);
      w.indent(() => {
        if (twoNames) {
          // A field under both its names is an error, as in C++.
          w.writeLine(`${rt("checkOtherName")}(j, k, "${f.jsonName}", ${self});`);
        }
        const value = f.cardinality === "single" ? valueFromJson(f.type) : collectionFromJson();
        if (singleEnum) {
          w.writeLine(`const value = ${value};`);
          w.writeLine(`if (value !== undefined) ${access} = value;`);
        } else w.writeLine(`${access} = ${value};`);
        w.writeLine("break;");
      });
      if (twoNames || singleEnum) w.writeLine("}");
    },
  };
  return code;
}

/** The runtime function reading a JSON map key (always a string) as its key type. */
function mapKeyFromJson(key: ScalarType): string {
  if (key === "bool") return "boolKeyFromJson";
  if (key === "int32" || key === "sint32" || key === "sfixed32") return "int32KeyFromJson";
  if (key === "uint32" || key === "fixed32") return "uint32KeyFromJson";
  if (key === "int64" || key === "sint64" || key === "sfixed64") return "int64KeyFromJson";
  if (key === "uint64" || key === "fixed64") return "uint64KeyFromJson";
  return fromJsonFunction(key);
}

export function enumZero(ctx: FieldContext, fullName: string): string {
  const e = ctx.model.enums.get(fullName)!;
  const zero = e.values.find((v) => v.number === 0) ?? e.values[0];
  return `${ctx.ref(fullName)}.${zero.name}`;
}
