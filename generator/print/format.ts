/**
 * The last step of printing a generated file: emitters write each statement
 * on lines of any length; a top-level statement with a line over 80
 * columns is parsed and printed again as prettier prints it (see
 * typescript.ts). Statements that fit are already in prettier's form and
 * are kept as written, which spares most of a schema the parse.
 */
import { printDoc } from "./doc.js";
import { parse } from "./parse.js";
import { TsPrinter } from "./typescript.js";

const WIDTH = 80;

/** Prints `text` (a whole generated file) with every over-long statement broken as prettier breaks it. */
export function formatLongStatements(text: string): string {
  if (process.env.SP_NOFORMAT) return text;
  if (!hasLongLine(text)) return text;
  // Top-level statements start at column 0 after a blank line; their own lines are indented
  // (or close a bracket), so splitting there never cuts one in two. Imports are printed
  // in their final form already (one name an over-long line cannot break).
  const chunks = text.split(/\n\n(?=[^\s}\])])/);
  return chunks.map((chunk) => (!chunk.startsWith("import") && hasLongLine(chunk) ? formatChunk(chunk) : chunk)).join("\n\n");
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

function formatChunk(chunk: string): string {
  const printed = printDoc(new TsPrinter(chunk).print(parse(chunk)), WIDTH);
  // The chunk's own trailing newline (the last one of the file) is kept as it was.
  return chunk.endsWith("\n") ? printed : printed.replace(/\n$/, "");
}
