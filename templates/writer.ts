/**
 * The code writer the emitters write codec objects and descriptors with: the
 * part of ts-morph's CodeBlockWriter (code-block-writer 13) they use, with
 * its output, and none of ts-morph's load time. Text is kept as an array of
 * strings, joined once.
 *
 * What it does as CodeBlockWriter does, with two-space indentation:
 * - Text is indented at the start of each line it begins, including each
 *   line of text containing line breaks (`\r\n` is written as `\n`).
 * - `writeLine` starts a new line first unless the last written is one, and
 *   ends the line; `newLine` always writes a line break.
 * - `indent(fn)` and `inlineBlock(fn)` start a new line (unless at one) and
 *   write `fn`'s lines one level deeper; `inlineBlock` wraps them in `{`, `}`
 *   with `}` on a line of its own. A line `indent(fn)` leaves unfinished is
 *   ended before what is written next.
 *
 * What it leaves out: CodeBlockWriter also follows strings, template literals,
 * comments and regular expressions in what it writes, and does not indent a
 * line that starts inside a template literal. The emitters write no template
 * literals and only closed strings and comments, so the output is the same.
 */
export class CodeWriter {
  private readonly texts: string[] = [];
  private level = 0;
  /** Char code of the last character written; -1 before anything is. */
  private last = -1;
  /** A line left unfinished by `indent(fn)`: ended before the next write. */
  private newLineOnNextWrite = false;

  /** Writes `text`, indenting each line it starts. */
  write(text: string): this {
    this.newLineIfPending();
    this.writeIndented(text);
    return this;
  }

  /** Writes `text` on a line of its own. */
  writeLine(text: string): this {
    this.newLineIfPending();
    if (this.last !== -1 && !this.isLastNewLine()) this.newLine();
    if (text.includes("\n")) {
      this.writeIndented(text);
      this.newLine();
    } else {
      // At the start of a line: the line in one piece.
      this.texts.push(indentation(this.level) + text + "\n");
      this.last = 10;
    }
    return this;
  }

  /** Writes a line break. */
  newLine(): this {
    this.newLineOnNextWrite = false;
    this.push("\n");
    return this;
  }

  /** Writes what `block` writes one level deeper, on lines of their own. */
  indent(block: () => void): this {
    this.indentBlock(block);
    if (!this.isLastNewLine()) this.newLineOnNextWrite = true;
    return this;
  }

  /** `{`, what `block` writes one level deeper, and `}` on a line of its own. */
  inlineBlock(block: () => void): this {
    this.newLineIfPending();
    this.write("{");
    this.indentBlock(block);
    this.newLineIfLastNot();
    this.write("}");
    return this;
  }

  toString(): string {
    return this.texts.join("");
  }

  private indentBlock(block: () => void): void {
    if (this.last !== -1) this.newLineIfLastNot();
    this.level++;
    block();
    this.level--;
  }

  private newLineIfLastNot(): void {
    this.newLineIfPending();
    if (!this.isLastNewLine()) this.newLine();
  }

  private newLineIfPending(): void {
    if (this.newLineOnNextWrite) this.newLine();
  }

  private isLastNewLine(): boolean {
    return this.last === 10 || this.last === 13;
  }

  private writeIndented(text: string): void {
    if (!text.includes("\n")) {
      this.writeOnLine(text);
      return;
    }
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) this.push("\n");
      if (lines[i]!.length > 0) this.writeOnLine(lines[i]!);
    }
  }

  /** Text without line breaks; at the start of a line, after its indentation. */
  private writeOnLine(text: string): void {
    if (this.level > 0 && (this.last === -1 || this.isLastNewLine())) this.push(indentation(this.level));
    this.push(text);
  }

  private push(text: string): void {
    if (text.length === 0) return;
    this.texts.push(text);
    this.last = text.charCodeAt(text.length - 1);
  }
}

const INDENTS: string[] = [""];

/** Two spaces a level. */
function indentation(level: number): string {
  while (INDENTS.length <= level) INDENTS.push(INDENTS[INDENTS.length - 1] + "  ");
  return INDENTS[level]!;
}
