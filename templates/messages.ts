/**
 * The `messages` target: for each .proto file a `<name>_pb.ts` module with a
 * plain interface per message, a TypeScript enum per enum, and a codec
 * object per message (create, binary encode/decode, proto3 JSON), all as
 * static code that calls `streampath/runtime/core`.
 */
import type { Field, Message, Oneof, ProtoFile, SchemaModel, ValueType } from "../schema/model.js";
import { ImportSet, declaringFile, extensionLocalName, importSpecifier, localName, outputPath } from "./names.js";
import { defaultValue, tsType } from "./scalars.js";
import { WELL_KNOWN_JSON } from "./well-known.js";
import type { EmittedModule } from "./module.js";
import { type InterfaceDeclaration, type PropertySignature, interfaceText } from "./declarations.js";
import { CodeWriter } from "./writer.js";
import { emitField, enumZero, type FieldContext } from "./message-fields.js";
import { defaultsStatement } from "./defaults.js";
import { enumText } from "./enums.js";
import { extensionStatements } from "./extensions.js";

export const MESSAGES_SUFFIX = "_pb";
const RUNTIME = "streampath/runtime/core";

export function emitMessagesFile(model: SchemaModel, file: ProtoFile): EmittedModule {
  const path = outputPath(file.name, MESSAGES_SUFFIX);
  const messages = file.messages.map((n) => model.messages.get(n)!);
  const enums = file.enums.map((n) => model.enums.get(n)!);
  const imports = new ImportSet([
    ...[...file.messages, ...file.enums].map((n) => localName(model, n)),
    ...file.extensions.flatMap((n) => [extensionLocalName(model, n), `${extensionLocalName(model, n)}$Value`]),
  ]);
  const rt = (name: string) => imports.use(RUNTIME, name);
  const ref = (fullName: string) =>
    declaringFile(model, fullName) === file.name
      ? localName(model, fullName)
      : imports.use(importSpecifier(path, outputPath(declaringFile(model, fullName), MESSAGES_SUFFIX)), localName(model, fullName));

  const statements: string[] = [];
  for (const e of enums) statements.push(enumText(model, e));
  for (const m of messages) statements.push(...messageStatements({ model, message: m, ref, rt, self: localName(model, m.fullName) }));
  for (const name of file.extensions) statements.push(...extensionStatements(model, model.extensions.get(name)!, ref, rt, messageStatements));
  return { path, source: file.name, imports, statements };
}

/** A message's interface and its codec object. */
function messageStatements(ctx: FieldContext, exported = true): string[] {
  const { rt, self } = ctx;
  const iface = interfaceDeclaration(ctx);
  iface.exported = exported;
  const statements: string[] = [];
  // prettier prints an empty interface on one line (and interfaceText does not), after no blank line.
  const head = `${exported ? "export " : ""}interface ${self} extends ${rt("UnknownFields")}`;
  statements.push(iface.properties?.length ? interfaceText(iface) : `${head} {}`);
  // Written now, not when printed, so that the imports it uses are known.
  const w = new CodeWriter();
  if (ctx.message.deprecated) w.writeLine("/** @deprecated */");
  w.write(`${exported ? "export " : ""}const ${self}: ${rt("MessageCodec")}<${self}> = `);
  writeCodec(w, ctx);
  w.write(";");
  statements.push(w.toString());
  const defaults = defaultsStatement(ctx);
  if (defaults) statements.push(defaults);
  return statements;
}

/** The TypeScript type of one value (a singular field, an element, a map value). */
export function valueTsType(type: ValueType, ref: (fullName: string) => string): string {
  return type.kind === "scalar" ? tsType(type.scalar) : ref(type.typeName);
}

/**
 * A message's TypeScript properties in declaration order: a field, or a oneof
 * standing where its first member is declared.
 */
function properties(m: Message): ({ field: Field } | { oneof: Oneof })[] {
  const out: ({ field: Field } | { oneof: Oneof })[] = [];
  const seen = new Set<string>();
  for (const f of m.fields) {
    if (f.oneof === undefined) out.push({ field: f });
    else if (!seen.has(f.oneof)) {
      seen.add(f.oneof);
      out.push({ oneof: m.oneofs.find((o) => o.name === f.oneof)! });
    }
  }
  return out;
}

function interfaceDeclaration(ctx: FieldContext): InterfaceDeclaration {
  const { message: m, ref, rt } = ctx;
  const props = properties(m).map((p): PropertySignature => {
    if ("field" in p) {
      const f = p.field;
      // `| undefined` too, so that `create()`'s explicit undefined compiles under exactOptionalPropertyTypes.
      const optional = f.optional || f.required;
      const type = fieldTsType(f, ref) + (optional ? " | undefined" : "");
      return { name: f.localName, type, optional, docs: fieldDocs(f) };
    }
    const cases = p.oneof.fields.map((name) => {
      const member = m.fields.find((x) => x.name === name)!;
      return `{ case: "${member.localName}"; value: ${valueTsType(member.type, ref)} }`;
    });
    cases.push("{ case: undefined; value?: undefined }");
    return { name: p.oneof.localName, type: unionType(cases) };
  });
  return {
    name: ctx.self,
    exported: true,
    extends: [rt("UnknownFields")],
    docs: [m.comment, m.deprecated ? "@deprecated" : undefined].filter(Boolean).join("\n") || undefined,
    properties: props,
  };
}

/** A field's comment and `@deprecated`, as its property's JSDoc. */
function fieldDocs(f: Field): string | undefined {
  return [f.comment, f.deprecated ? "@deprecated" : undefined].filter(Boolean).join("\n") || undefined;
}

function fieldTsType(f: Field, ref: (fullName: string) => string): string {
  const value = valueTsType(f.type, ref);
  if (f.cardinality === "map") return `{ [key: string]: ${value} }`;
  if (f.cardinality === "repeated") return `${value}[]`;
  return value;
}

/** A union on one line; where that passes 80 columns, the printer breaks it as prettier does. */
function unionType(cases: string[]): string {
  return cases.join(" | ");
}

function writeCodec(w: CodeWriter, ctx: FieldContext): void {
  const { message: m, rt, self } = ctx;
  const numbers = [...new Set(m.fields.map((f) => f.number))].sort((a, b) => a - b);
  const fields = [...m.fields].sort((a, b) => a.number - b.number);
  const parts = fields.map((f) => emitField(ctx, f));
  const special = WELL_KNOWN_JSON[m.fullName];

  w.write("{").newLine();
  w.indent(() => {
    w.writeLine(`typeName: "${m.fullName}",`);
    writeNumbers(w, numbers);
    // create
    w.write("create(init) ").inlineBlock(() => {
      if (m.fields.length === 0) w.writeLine(`const m: ${self} = {};`);
      else {
        w.writeLine(`const m: ${self} = {`);
        w.indent(() => {
          for (const line of createLines(ctx)) w.writeLine(line);
        });
        w.writeLine("};");
      }
      w.writeLine("return init === undefined ? m : Object.assign(m, init);");
    });
    w.write(",").newLine();
    w.write("encode(m) ").inlineBlock(() => w.writeLine(`return ${rt("encodeWith")}(m, ${self}.write);`));
    w.write(",").newLine();
    w.write("decode(bytes) ").inlineBlock(() => {
      w.writeLine(`const r = new ${rt("BinaryReader")}(bytes);`);
      w.writeLine(`return ${self}.read(r, r.enterAll());`);
    });
    w.write(",").newLine();
    // write
    w.write("write(m, w) ").inlineBlock(() => {
      parts.forEach((p) => p.write(w));
      // Kept from a decode: fields a newer schema declares, extensions, undeclared closed enum values.
      w.writeLine("if (m.$unknown !== undefined) w.raw(m.$unknown);");
    });
    w.write(",").newLine();
    // read
    w.write("read(r, end, into, group) ").inlineBlock(() => {
      w.writeLine(`const m = into ?? ${self}.create();`);
      w.write("loop: while (r.pos < end) ").inlineBlock(() => {
        w.writeLine("const tag = r.uint32();");
        w.write("switch (tag) ").inlineBlock(() => {
          for (const p of parts) p.read(w);
          w.writeLine("default:");
          // Also the end of the group this message is read as, if it is one.
          w.indent(() => w.writeLine(`if (${rt("readUnknown")}(r, m, tag, ${self}, group)) break loop;`));
        });
        w.newLine();
      });
      w.newLine();
      w.writeLine("r.leave(end, group);");
      for (const f of fields.filter((f) => f.required)) {
        w.writeLine(`if (m.${f.localName} === undefined) ${rt("missingRequired")}(${self}, "${f.name}", true);`);
      }
      w.writeLine("return m;");
    });
    w.write(",").newLine();
    if (special) {
      special.write(w, ctx);
    } else {
      // toJson
      // An extendable message writes and reads the extensions the registry knows, as "[pkg.ext]".
      const extendable = m.extensionRanges.length > 0;
      const usesOptions = extendable || parts.some((p) => p.jsonUsesOptions);
      const noFields = fields.length === 0 && !extendable;
      w.write(noFields ? "toJson() " : usesOptions ? "toJson(m, o) " : "toJson(m) ").inlineBlock(() => {
        w.writeLine(`const j: ${rt("JsonObject")} = {};`);
        for (const p of parts) p.toJson(w);
        if (extendable) w.writeLine(`${rt("extensionsToJson")}(m, ${self}, j, o);`);
        w.writeLine("return j;");
      });
      w.write(",").newLine();
      // fromJson
      w.write(noFields ? "fromJson(json, o) " : "fromJson(json, options) ").inlineBlock(() => {
        if (noFields) {
          w.writeLine(`const j = ${rt("expectObject")}(json, ${self});`);
          w.writeLine(`for (const k of Object.keys(j)) ${rt("unknownJsonField")}(k, ${self}, o);`);
          w.writeLine(`return ${self}.create();`);
          return;
        }
        // The context counts nesting, so deep JSON fails clearly, not by stack overflow.
        w.writeLine(`const o = ${rt("enterJson")}(options, ${self});`);
        w.writeLine(`const j = ${rt("expectObject")}(json, ${self});`);
        w.writeLine(`const m = ${self}.create();`);
        w.write("for (const k of Object.keys(j)) ").inlineBlock(() => {
          w.writeLine("const v = j[k];");
          const nullable = fields.filter(
            (f) =>
              f.cardinality === "single" &&
              (f.type.kind === "message" || f.type.kind === "enum") &&
              (f.type.typeName === "google.protobuf.Value" || f.type.typeName === "google.protobuf.NullValue"),
          );
          const keep = nullable.flatMap((f) => [...new Set([f.jsonName, f.name])].map((k) => ` && k !== "${k}"`)).join("");
          w.writeLine(`if (v === null${keep}) continue;`);
          w.write("switch (k) ").inlineBlock(() => {
            for (const p of parts) p.fromJson(w);
            w.writeLine("default:");
            const unknown = `${rt("unknownJsonField")}(k, ${self}, o);`;
            w.indent(() => w.writeLine(extendable ? `if (!${rt("extensionFromJson")}(m, ${self}, k, v, o)) ${unknown}` : unknown));
          });
          w.newLine();
        });
        w.newLine();
        w.writeLine(`${rt("leaveJson")}(o);`);
        w.writeLine("return m;");
      });
      w.write(",").newLine();
    }
  });
  w.write("}");
}

/** `fieldNumbers: [...]` on one line; the printer fills a long one across lines as prettier does. */
function writeNumbers(w: CodeWriter, numbers: number[]): void {
  w.writeLine(`fieldNumbers: [${numbers.join(", ")}],`);
}

/** The properties of `create()`'s literal, in interface order. */
function createLines(ctx: FieldContext): string[] {
  return properties(ctx.message).map((p) =>
    "field" in p ? `${p.field.localName}: ${fieldDefault(ctx, p.field)},` : `${p.oneof.localName}: { case: undefined },`,
  );
}

function fieldDefault(ctx: FieldContext, f: Field): string {
  if (f.cardinality === "map") return "{}";
  if (f.cardinality === "repeated") return "[]";
  if (f.optional) return "undefined";
  if (f.type.kind === "scalar") return defaultValue(f.type.scalar, ctx.rt);
  if (f.type.kind === "enum") return enumZero(ctx, f.type.typeName);
  return "undefined";
}

