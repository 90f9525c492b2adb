/**
 * Extensions: for `extend Foo { T name = N; }` a typed handle, whose value
 * the codec of a message of that one field reads and writes.
 */
import type { Extension, Message, SchemaModel } from "../schema/model.js";
import type { FieldContext } from "./message-fields.js";
import { docBlock } from "./declarations.js";
import { extensionLocalName } from "./names.js";

/**
 * An extension: a typed handle for `getExtension`/`setExtension`, whose
 * value is read and written by the codec of a message of that one field
 * (so an extension's bytes are exactly the field's, however it is typed).
 */
export function extensionStatements(
  model: SchemaModel,
  ext: Extension,
  ref: (fullName: string) => string,
  rt: (name: string) => string,
  messageStatements: (ctx: FieldContext, exported: boolean) => string[],
): string[] {
  const name = extensionLocalName(model, ext.fullName);
  const container: Message = {
    name: ext.name,
    fullName: ext.fullName,
    file: ext.file,
    fields: [{ ...ext.field, optional: ext.field.cardinality === "single", required: false }],
    oneofs: [],
    nested: [],
    extensionRanges: [],
    deprecated: false,
    position: ext.position,
  };
  const self = `${name}$Value`;
  const statements = messageStatements({ model, message: container, ref, rt, self }, false);
  const docs = [ext.comment, ext.field.deprecated ? "@deprecated" : undefined].filter(Boolean).join("\n");
  const doc = docBlock(docs, "", false);
  const type = `${rt("Extension")}<${ref(ext.extendee)}, ${self}>`;
  statements.push(
    // A line break first: printModule puts a blank line before it (after a codec, it would put none).
    `\n${doc}export const ${name}: ${type} = {\n` +
      `  typeName: "${ext.fullName}",\n  extendee: "${ext.extendee}",\n  number: ${ext.field.number},\n  container: ${self},\n};`,
  );
  return statements;
}
