/**
 * Tokens of generated TypeScript, and the cursor the parsers move over
 * them: words, strings, numbers and punctuation, with the position of the
 * trivia (spaces, comments) before each, which the printer reads comments
 * and blank lines from.
 */
import type { Kind, Node } from "./syntax.js";

export interface Token {
  type: "word" | "string" | "number" | "punct" | "eof";
  value: string;
  /** Where the trivia before the token starts. */
  pos: number;
  start: number;
  end: number;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (true) {
    const pos = i;
    // Trivia: whitespace and comments.
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 9 || c === 13) i++;
      else if (c === 47 && text.charCodeAt(i + 1) === 47) {
        while (i < n && text.charCodeAt(i) !== 10) i++;
      } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const close = text.indexOf("*/", i + 2);
        if (close === -1) throw new Error(`unterminated comment at ${i}`);
        i = close + 2;
      } else break;
    }
    const start = i;
    if (i >= n) {
      tokens.push({ type: "eof", value: "", pos, start, end: i });
      return tokens;
    }
    const code = text.charCodeAt(i);
    if (isWordStart(code)) {
      i++;
      while (i < n && isWordPart(text.charCodeAt(i))) i++;
      tokens.push({ type: "word", value: text.slice(start, i), pos, start, end: i });
    } else if (code === 34 || code === 39) {
      i++;
      while (i < n && text.charCodeAt(i) !== code) i += text.charCodeAt(i) === 92 ? 2 : 1;
      i++;
      tokens.push({ type: "string", value: text.slice(start, i), pos, start, end: i });
    } else if (isDigit(code) || (code === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      for (;;) {
        const d = text.charCodeAt(i);
        // An exponent's sign belongs to the number.
        if ((d === 101 || d === 69) && (text.charCodeAt(i + 1) === 43 || text.charCodeAt(i + 1) === 45)) i += 2;
        else if (isWordPart(d) || d === 46) i++;
        else break;
      }
      tokens.push({ type: "number", value: text.slice(start, i), pos, start, end: i });
    } else {
      const p = punctuation(code, text.charCodeAt(i + 1), text.charCodeAt(i + 2)) ?? text[i]!;
      i += p.length;
      tokens.push({ type: "punct", value: p, pos, start, end: i });
    }
  }
}

/** The operator of two or three characters starting with `a`, `b`, `c`, if any. */
function punctuation(a: number, b: number, c: number): string | undefined {
  switch (a) {
    case 46: // .
      return b === 46 && c === 46 ? "..." : undefined;
    case 61: // =
      return b === 61 ? (c === 61 ? "===" : "==") : b === 62 ? "=>" : undefined;
    case 33: // !
      return b === 61 ? (c === 61 ? "!==" : "!=") : undefined;
    case 63: // ?
      return b === 63 ? "??" : b === 46 ? "?." : undefined;
    case 60: // <
      return b === 61 ? "<=" : undefined;
    case 62: // >
      return b === 61 ? ">=" : undefined;
    case 38: // &
      return b === 38 ? "&&" : undefined;
    case 124: // |
      return b === 124 ? "||" : undefined;
  }
  return undefined;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57);
}

/** A position in the token list, and the reading steps every parser shares. */
export class Cursor {
  protected readonly tokens: Token[];
  protected i = 0;

  constructor(protected readonly text: string) {
    this.tokens = tokenize(text);
  }

  protected get token(): Token {
    return this.tokens[this.i]!;
  }

  protected peek(offset = 1): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  protected is(value: string): boolean {
    const t = this.token;
    return (t.type === "punct" || t.type === "word") && t.value === value;
  }

  protected next(): Token {
    return this.tokens[this.i++]!;
  }

  protected expect(value: string): Token {
    if (!this.is(value)) this.fail(`expected "${value}"`);
    return this.next();
  }

  protected optional(value: string): boolean {
    if (!this.is(value)) return false;
    this.i++;
    return true;
  }

  protected fail(message: string): never {
    const t = this.token;
    const before = this.text.slice(0, t.start);
    const line = before.split("\n").length;
    const column = t.start - before.lastIndexOf("\n");
    throw new Error(`streampath's printer cannot read generated code at ${line}:${column} (${message}, found "${t.value}")`);
  }

  /** A node from token `first` to the last token read. */
  protected node(kind: Kind, first: Token, fields: Partial<Node> = {}): Node {
    return { kind, pos: first.pos, start: first.start, end: this.tokens[this.i - 1]!.end, ...fields };
  }

  protected identifier(): Node {
    const t = this.token;
    if (t.type !== "word") this.fail("expected a name");
    this.i++;
    return { kind: "Identifier", pos: t.pos, start: t.start, end: t.end, text: t.value };
  }

  /** A property name: a word (keywords included) or a string or number literal. */
  protected propertyName(): Node {
    const t = this.token;
    if (t.type === "word") return this.identifier();
    if (t.type === "string" || t.type === "number") {
      this.i++;
      return { kind: "Literal", pos: t.pos, start: t.start, end: t.end, text: t.value };
    }
    return this.fail("expected a property name");
  }

  /** The index of the token closing the bracket opened at `open`. */
  protected findClosing(open: number): number {
    let depth = 0;
    for (let j = open; j < this.tokens.length; j++) {
      const v = this.tokens[j]!;
      if (v.type !== "punct") continue;
      if (v.value === "(" || v.value === "[" || v.value === "{") depth++;
      else if (v.value === ")" || v.value === "]" || v.value === "}") if (--depth === 0) return j;
    }
    return this.tokens.length - 1;
  }
}
