/**
 * The last step of printing a generated file. Emitters write every
 * statement, member and property on one line of any length; here each line
 * over 80 columns is parsed on its own and printed as prettier prints it in
 * its place (prettier's layout of a statement in a block, a member of an
 * interface or a property of an expanded object depends on nothing around
 * it but its indentation). Lines that fit are already prettier's, so most
 * of a schema is never parsed. A header that prettier would break so that
 * its body moves (`const x: LongType =` with the object on the next line)
 * re-indents the body; any shape not recognised falls back to printing the
 * whole top-level statement. printModule calls this for each statement.
 */
import { type Doc, group, indent as indentDoc, line, printDoc } from "./doc.js";
import { type UnitKind, parse, parseUnit } from "./parse.js";
import type { Node } from "./syntax.js";
import { TsPrinter } from "./typescript.js";

const WIDTH = 80;
const STUB = "__streampath_stub__";

/** Printed long lines by kind, indentation and text, shared by the files of one generation. */
export type PrintCache = Map<UnitKind, Map<number, Map<string, string>>>;

/** One top-level statement (or a few, at column 0) with its long lines broken as prettier breaks them. */
export function formatStatement(text: string, cache: PrintCache = new Map()): string {
  const printed = tryLines(text, cache);
  if (printed !== undefined) return printed;
  return hasLongLine(text) ? tryChunk(text) : text;
}

function tryLines(text: string, cache: PrintCache): string | undefined {
  try {
    return formatLines(text, cache);
  } catch {
    return undefined;
  }
}

/** The statement printed whole; as written if even that fails (valid code, only not broken as prettier would). */
function tryChunk(chunk: string): string {
  try {
    return formatChunk(chunk);
  } catch {
    return chunk;
  }
}

function hasLongLine(text: string): boolean {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    if (end - start > WIDTH && !isComment(text, start)) return true;
    start = end + 1;
  }
  return false;
}

/** Prettier leaves comments as they are, whatever their length. */
function isComment(text: string, lineStart: number): boolean {
  let i = lineStart;
  while (text[i] === " ") i++;
  return text[i] === "*" || (text[i] === "/" && (text[i + 1] === "/" || text[i + 1] === "*"));
}

/** A whole top-level statement, parsed and printed. */
function formatChunk(chunk: string): string {
  const printed = printDoc(new TsPrinter(chunk).print(parse(chunk)), WIDTH);
  // The chunk's own trailing newline (the last one of the file) is kept as it was.
  return chunk.endsWith("\n") ? printed : printed.replace(/\n$/, "");
}

type Container = "block" | "object" | "members" | "enum";

/**
 * The chunk with each long line printed in place, or undefined for a shape this does not
 * know. Reads the chunk in place (character codes, no array of lines) and copies the runs of
 * lines that stay as they are in one piece each.
 */
function formatLines(chunk: string, cache: PrintCache): string | undefined {
  const out: string[] = [];
  const stack: Container[] = ["block"];
  /** Bodies moved right by their header: the original indentation of each closing line, and the move. */
  const moves: { closer: number; pad: string }[] = [];
  let pad = "";
  let copied = 0;
  const replace = (from: number, to: number, text: string) => {
    if (copied < from) out.push(chunk.slice(copied, from));
    out.push(text);
    copied = to;
  };
  for (let pos = 0; pos <= chunk.length; ) {
    let end = chunk.indexOf("\n", pos);
    if (end === -1) end = chunk.length;
    const next = end + 1;
    let at = pos;
    while (chunk.charCodeAt(at) === 32) at++;
    const originalIndent = at - pos;
    const first = chunk.charCodeAt(at);
    const last = chunk.charCodeAt(end - 1);
    // Empty lines and comments (prettier leaves comments as they are).
    if (at === end || first === 42 || (first === 47 && (chunk.charCodeAt(at + 1) === 47 || chunk.charCodeAt(at + 1) === 42))) {
      if (pad && at !== end) replace(pos, end, pad + chunk.slice(pos, end));
      pos = next;
      continue;
    }
    const indent = originalIndent + pad.length;
    const length = end - pos + pad.length;
    if (first === 125 /* } */) {
      stack.pop();
      if (last === 123 /* { */) {
        // `} else {`, `} else if (…) {`: a new block in the same statement.
        if (length > WIDTH) return undefined;
        stack.push("block");
      }
      if (pad) replace(pos, end, pad + chunk.slice(pos, end));
      if (moves.length && moves.at(-1)!.closer === originalIndent) {
        moves.pop();
        pad = moves.length ? moves.at(-1)!.pad : "";
      }
      pos = next;
      continue;
    }
    if (last === 123 /* { */) {
      const trimmed = chunk.slice(at, end);
      const container = openerKind(trimmed, stack.at(-1)!);
      // `case "…": {` cannot break.
      if (length > WIDTH && !/^(case |default:)/.test(trimmed) && !UNBREAKABLE_HEADER.test(trimmed)) {
        const closer = closingLine(chunk, next, originalIndent);
        const header = closer === undefined ? undefined : formatHeader(trimmed, indent, container, stack.at(-1)!, closer);
        if (!header) return undefined;
        replace(pos, end, header.lines.join("\n"));
        if (header.shift) {
          pad += " ".repeat(header.shift);
          moves.push({ closer: originalIndent, pad });
        }
      } else if (pad) replace(pos, end, pad + chunk.slice(pos, end));
      stack.push(container);
      pos = next;
      continue;
    }
    if (length <= WIDTH) {
      if (pad) replace(pos, end, pad + chunk.slice(pos, end));
      pos = next;
      continue;
    }
    const trimmed = chunk.slice(at, end);
    // A case label cannot break.
    if (last === 58 /* : */ && /^(case .*|default):$/.test(trimmed)) {
      if (pad) replace(pos, end, pad + chunk.slice(pos, end));
      pos = next;
      continue;
    }
    const kind = unitKind(trimmed, stack.at(-1)!);
    if (!kind) return undefined;
    let printedByIndent = cache.get(kind);
    if (!printedByIndent) cache.set(kind, (printedByIndent = new Map()));
    let printedByText = printedByIndent.get(indent);
    if (!printedByText) printedByIndent.set(indent, (printedByText = new Map()));
    let printed = printedByText.get(trimmed);
    if (printed === undefined) {
      printed = formatUnit(trimmed, indent, kind);
      printedByText.set(trimmed, printed);
    }
    replace(pos, end, printed);
    pos = next;
  }
  if (copied === 0) return chunk;
  if (copied < chunk.length) out.push(chunk.slice(copied));
  return out.join("");
}

/** What the lines after an opening `{` are. */
function openerKind(trimmed: string, outer: Container): Container {
  const declaration = trimmed.startsWith("export ") ? trimmed.slice(7) : trimmed;
  if (declaration.startsWith("interface ")) return "members";
  if (declaration.startsWith("enum ")) return "enum";
  if (trimmed.startsWith("case ") || trimmed.startsWith("default:")) return "block";
  const before = trimmed.charCodeAt(trimmed.length - 2);
  const objectAfter =
    trimmed.length === 1 ||
    before === 40 /* ( */ ||
    before === 91 /* [ */ ||
    (before === 32 && /(=|:|,|\?\?) \{$/.test(trimmed));
  if (objectAfter) return outer === "members" ? "members" : "object";
  return "block";
}

/** `interface X extends Y {`, `enum X {`: headers prettier cannot break, however long. */
const UNBREAKABLE_HEADER = /^(export )?(interface [\w$]+( extends [\w$.]+)?|enum [\w$]+) \{$/;

function unitKind(trimmed: string, container: Container): UnitKind | undefined {
  switch (container) {
    case "block":
      return "statement";
    case "object":
      return trimmed.endsWith(",") ? "property" : undefined;
    case "members":
      return trimmed.endsWith(";") ? "member" : undefined;
    case "enum":
      return "enum-member";
  }
}

function formatUnit(trimmed: string, indent: number, kind: UnitKind): string {
  // `else if (…) x;` or `else x;` continuing the `if (…) y;` of the line above (no braces).
  const elseBranch = kind === "statement" && trimmed.startsWith("else ") ? trimmed.slice(5) : undefined;
  const source = elseBranch ?? trimmed;
  const printer = new TsPrinter(source);
  const printed = printer.print(parseUnit(source, kind));
  // In place: a member ends with `;`, a property or enum member with `,` (the statement prints its own).
  let doc: Doc;
  if (elseBranch !== undefined) doc = elseBranch.startsWith("if ") ? ["else ", printed] : ["else", group(indentDoc([line, printed]))];
  else if (kind === "member") doc = [printed, ";"];
  else if (kind === "property") doc = [group(printed), ","];
  else if (kind === "enum-member") doc = [printed, ","];
  else doc = printed;
  return printDoc(doc, WIDTH, indent, !printer.singleLine);
}

/**
 * A long line ending in `{`: the statement (or property) is printed with a one-line stand-in
 * for its body and its own closing line, and the lines before the stand-in are the header.
 * `shift` is how far the body moved.
 */
function formatHeader(
  trimmed: string,
  indent: number,
  container: Container,
  outer: Container,
  closer: string,
): { lines: string[]; shift: number } | undefined {
  if (outer !== "block" && outer !== "object") return undefined;
  const stub = container === "object" ? `${STUB}: 0,` : container === "members" ? `${STUB}: 0;` : container === "enum" ? `${STUB} = 0,` : `${STUB};`;
  const source = `${trimmed}\n${" ".repeat(indent + 2)}${stub}\n${closer.trimStart()}`;
  const kind: UnitKind = outer === "object" ? "property" : "statement";
  let node: Node;
  try {
    node = parseUnit(source, kind);
  } catch {
    return undefined;
  }
  const printed = new TsPrinter(source).print(node);
  const doc: Doc = kind === "property" ? [group(printed), ","] : printed;
  const lines = printDoc(doc, WIDTH, indent).split("\n");
  const at = lines.findIndex((l) => l.includes(STUB));
  if (at < 0) return undefined;
  const shift = lines[at]!.length - lines[at]!.trimStart().length - (indent + 2);
  // Only an object's body moves with its header (prettier's fluid assignment layout), and
  // its closing line with it; anything else (arguments broken out around it) is not this case.
  if (container !== "object" && shift !== 0) return undefined;
  if (lines.length !== at + 2 || lines[at + 1] !== " ".repeat(indent + shift) + closer.trimStart()) return undefined;
  return { lines: lines.slice(0, at), shift };
}

/** The line, from `from` on, that closes a `{` opened at `indent` (original indentation). */
function closingLine(chunk: string, from: number, indent: number): string | undefined {
  for (let pos = from; pos < chunk.length; ) {
    let end = chunk.indexOf("\n", pos);
    if (end === -1) end = chunk.length;
    let at = pos;
    while (chunk.charCodeAt(at) === 32) at++;
    if (at - pos === indent && chunk.charCodeAt(at) === 125 /* } */) return chunk.slice(pos, end);
    pos = end + 1;
  }
  return undefined;
}
