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

const PUNCTUATION = ["...", "===", "!==", "??", "?.", "=>", "==", "!=", "<=", ">=", "&&", "||"];

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
    const c = text[i]!;
    if (isWordStart(text.charCodeAt(i))) {
      i++;
      while (i < n && isWordPart(text.charCodeAt(i))) i++;
      tokens.push({ type: "word", value: text.slice(start, i), pos, start, end: i });
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
      i++;
      tokens.push({ type: "string", value: text.slice(start, i), pos, start, end: i });
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      i++;
      while (i < n && /[\w.]/.test(text[i]!)) {
        // An exponent's sign belongs to the number.
        if ((text[i] === "e" || text[i] === "E") && (text[i + 1] === "+" || text[i + 1] === "-")) i++;
        i++;
      }
      tokens.push({ type: "number", value: text.slice(start, i), pos, start, end: i });
    } else {
      const p = PUNCTUATION.find((x) => text.startsWith(x, i)) ?? c;
      i += p.length;
      tokens.push({ type: "punct", value: p, pos, start, end: i });
    }
  }
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
