/**
 * Interfaces and JSDoc comments written as text, as ts-morph's structure
 * printer printed them (which the emitters used before): two-space
 * indentation, one member a line, a JSDoc of one line as `/** text *\/`.
 */

export interface PropertySignature {
  name: string;
  type: string;
  /** `name?: type`. */
  optional?: boolean;
  /** A comment, written as its JSDoc. */
  docs?: string;
}

export interface MethodSignature {
  name: string;
  parameters: { name: string; type: string }[];
  returnType: string;
  docs?: string;
}

export interface InterfaceDeclaration {
  name: string;
  exported: boolean;
  /** Type parameters as written (`P = unknown`). */
  typeParameters?: string[];
  extends?: string[];
  docs?: string;
  properties?: PropertySignature[];
  methods?: MethodSignature[];
}

/**
 * An interface declaration, starting with a line break: printModule puts it
 * after a blank line (unless it opens the file), as the structure printer
 * did. An interface without members is `{}`, as prettier prints it.
 */
export function interfaceText(d: InterfaceDeclaration): string {
  let text = "\n" + jsDoc(d.docs, "");
  if (d.exported) text += "export ";
  text += `interface ${d.name}`;
  if (d.typeParameters?.length) text += `<${d.typeParameters.join(", ")}>`;
  text += " ";
  if (d.extends?.length) text += `extends ${d.extends.join(", ")} `;
  const members: string[] = [];
  for (const p of d.properties ?? []) members.push(`${jsDoc(p.docs, "  ")}  ${p.name}${p.optional ? "?" : ""}: ${p.type};`);
  for (const m of d.methods ?? []) {
    const parameters = m.parameters.map((p) => `${p.name}: ${p.type}`).join(", ");
    members.push(`${jsDoc(m.docs, "  ")}  ${m.name}(${parameters}): ${m.returnType};`);
  }
  return members.length ? `${text}{\n${members.join("\n")}\n}` : `${text}{}`;
}

/**
 * `comment` as a JSDoc block ending in a line break, its lines indented by
 * `indent`; empty when there is no comment. One line is `/** text *\/`. A
 * `*\/` in the comment is escaped, so that it does not end the block.
 */
export function jsDoc(comment: string | undefined, indent: string): string {
  if (!comment) return "";
  const lines = comment.replace(/\*\//g, "*\\/").split(/\r?\n/);
  if (lines.length === 1) {
    const line = lines[0]!;
    return `${indent}/** ${line}${line.endsWith(" ") ? "" : " "}*/\n`;
  }
  let text = `${indent}/**\n`;
  // A first line that is empty is left out.
  for (let i = lines[0]!.length === 0 ? 1 : 0; i < lines.length; i++) {
    text += `${indent} *${lines[i]!.length > 0 ? " " + lines[i] : ""}\n`;
  }
  return text + `${indent} */\n`;
}

/**
 * A JSDoc block written as given: ` * line` each (trailing spaces trimmed, as
 * prettier trims them), `*\/` escaped so that it does not end the block, and
 * one line as `/** text *\/` where `oneLine` allows; empty without a comment.
 */
export function docBlock(comment: string | undefined, indent: string, oneLine: boolean): string {
  if (!comment) return "";
  const text = comment.replace(/\*\//g, "*\\/");
  if (oneLine && !text.includes("\n")) return `${indent}/** ${text} */\n`;
  const body = text.split("\n").map((l) => `${indent} * ${l}`.trimEnd());
  return `${indent}/**\n${body.join("\n")}\n${indent} */\n`;
}
