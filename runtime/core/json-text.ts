/**
 * JSON text → a JSON value, strict where JSON.parse is not: the ProtoJSON
 * spec (and the conformance suite's FieldNameDuplicate and
 * StringFieldUnpaired…Surrogate cases) wants a duplicate key in an object
 * and a lone UTF-16 surrogate in a string to be errors, and JSON.parse takes
 * both (the last duplicate wins; "\uD800" becomes a string no UTF-8 can
 * hold). It also rounds an integer past 2^53 to a double, which loses the
 * exact value a 64-bit field was sent.
 *
 * The fast path is JSON.parse itself, then two cheap checks: a walk of the
 * parsed value (counting object members and strings, spotting integers past
 * 2^53 and, if the text can hold a surrogate at all, lone surrogates) and a
 * count of the string literals in the text (its quotes, found with indexOf),
 * or of its object members when escaped backslashes make quotes ambiguous.
 * A collapsed duplicate loses at least one of each, so equal counts mean
 * there was none. Anything odd sends the text to a strict parser of its
 * own, which names the position of the error, or returns the value with
 * lossy integers as bigints.
 */
import { Code, StreampathError } from "./error.js";
import { isWellFormed, setEntry } from "./json.js";

/**
 * What `parseJsonText` returns: JSON values, except that an integer written
 * with more digits than a double holds exactly (9223372036854775807) comes
 * back as a bigint, so that an int64/uint64 field gets the exact value. Every
 * generated `fromJson` reads a bigint where it reads a number.
 */
export type ParsedJson = null | boolean | number | bigint | string | ParsedJson[] | { [key: string]: ParsedJson };

/** A surrogate written as a \u escape: JSON.parse turns a lone one into an ill-formed string. */
const ESCAPED_SURROGATE = /\\u[dD][89abcdefABCDEF]/;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Parses JSON text (RFC 8259) for `fromJson`: a syntax error, a duplicate
 * key in one object, or a lone surrogate in a string or key is a
 * StreampathError (InvalidArgument) that says where.
 */
export function parseJsonText(text: string): ParsedJson {
  let value: ParsedJson;
  try {
    value = JSON.parse(text) as ParsedJson;
  } catch (e) {
    throw new StreampathError(Code.InvalidArgument, `invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof value !== "object" || value === null) {
    if (typeof value === "string" && !isWellFormed(value)) return new StrictParser(text).parseAll();
    if (typeof value === "number" && (value > MAX_SAFE || value < -MAX_SAFE)) return new StrictParser(text).parseAll();
    return value;
  }
  // A raw lone surrogate can only be in a string (JSON.parse took the text); an escaped one only
  // where "\u" is. isWellFormed is free on one-byte text, which is most JSON.
  if (!isWellFormed(text)) return new StrictParser(text).parseAll();
  const checkStrings = text.includes("\\u") && ESCAPED_SURROGATE.test(text);
  if (walk(value, checkStrings)) {
    // A duplicate member loses at least its key's string literal, and its
    // object a member: either count tells, whichever is cheaper to take.
    const strings = stringsInText(text);
    if (strings === undefined ? membersInText(text) === treeMembers : strings === treeStrings) return value;
  }
  return new StrictParser(text).parseAll();
}

/** What `walk` counted: object members, and strings (keys and values). */
let treeMembers = 0;
let treeStrings = 0;

/**
 * Counts the members of every object in `root` and every string in it (keys
 * included); false when a number may have lost digits (past 2^53) or, if
 * `checkStrings`, a string or key has a lone surrogate. Iterative: JSON.parse
 * nests deeper than the stack.
 */
function walk(root: object, checkStrings: boolean): boolean {
  let members = 0;
  let strings = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as { [key: string]: unknown } | unknown[];
    let values: unknown[];
    if (Array.isArray(node)) values = node;
    else if (checkStrings) {
      const keys = Object.keys(node);
      for (const k of keys) if (!isWellFormed(k)) return false;
      values = keys.map((k) => node[k]);
      members += keys.length;
    } else {
      values = Object.values(node);
      members += values.length;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === "object") {
        if (v !== null) stack.push(v);
      } else if (typeof v === "string") {
        strings++;
        if (checkStrings && !isWellFormed(v)) return false;
      } else if (typeof v === "number") {
        if (v > MAX_SAFE || v < -MAX_SAFE) return false;
      }
    }
  }
  treeMembers = members;
  treeStrings = strings + members;
  return true;
}

/**
 * How many string literals the text has, counting quotes with indexOf (a
 * quote inside a string is escaped as \"); undefined when the text has an
 * escaped backslash (\\), where a quote after a backslash may end a string.
 * Only for text JSON.parse accepted: backslashes occur in strings only.
 */
function stringsInText(text: string): number | undefined {
  if (text.includes("\\\\")) return undefined;
  let quotes = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
  for (let i = text.indexOf('\\"'); i >= 0; i = text.indexOf('\\"', i + 2)) quotes--;
  return quotes / 2;
}

/**
 * How many object members the text spells out: strings followed by a
 * colon. Only for text JSON.parse accepted, so every quote outside a string
 * opens one; a quote inside is escaped by an odd run of backslashes.
 */
function membersInText(text: string): number {
  let members = 0;
  let i = 0;
  for (;;) {
    const open = text.indexOf('"', i);
    if (open < 0) return members;
    let close = text.indexOf('"', open + 1);
    while (text.charCodeAt(close - 1) === 92) {
      let b = close - 2;
      while (text.charCodeAt(b) === 92) b--;
      if ((close - 1 - b) % 2 === 0) break; // an even run of backslashes escapes itself, not the quote
      close = text.indexOf('"', close + 1);
    }
    let j = close + 1;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++j);
    if (c === 58) members++;
    i = j;
  }
}

const ESCAPES: { [c: string]: string } = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX_NESTING = 2_000;

/** A strict recursive-descent parser that knows where it is, for the rare text the fast path refuses. */
class StrictParser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parseAll(): ParsedJson {
    const value = this.value();
    this.space();
    if (this.pos < this.text.length) throw this.error("unexpected text after the JSON value", this.pos);
    return value;
  }

  private error(message: string, at: number): StreampathError {
    const before = this.text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    return new StreampathError(Code.InvalidArgument, `invalid JSON: ${message} at position ${at} (line ${line}, column ${column})`);
  }

  private space(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = t.charCodeAt(++this.pos);
  }

  private value(): ParsedJson {
    this.space();
    const t = this.text;
    const at = this.pos;
    switch (t[at]) {
      case "{":
        return this.object();
      case "[":
        return this.array();
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        return this.number();
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw this.error("unexpected character", this.pos);
    this.pos += word.length;
    return value;
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) throw this.error(`nested deeper than ${MAX_NESTING} levels`, this.pos);
  }

  private object(): { [key: string]: ParsedJson } {
    this.enter();
    const out: { [key: string]: ParsedJson } = {};
    this.pos++; // {
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      this.space();
      const at = this.pos;
      if (this.text[at] !== '"') throw this.error("expected a quoted key", at);
      const key = this.string();
      if (Object.prototype.hasOwnProperty.call(out, key)) throw this.error(`duplicate key ${JSON.stringify(key)}`, at);
      this.space();
      if (this.text[this.pos] !== ":") throw this.error('expected ":"', this.pos);
      this.pos++;
      setEntry(out, key, this.value());
      this.space();
      const c = this.text[this.pos++];
      if (c === "}") break;
      if (c !== ",") throw this.error('expected "," or "}"', this.pos - 1);
    }
    this.depth--;
    return out;
  }

  private array(): ParsedJson[] {
    this.enter();
    const out: ParsedJson[] = [];
    this.pos++; // [
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text[this.pos++];
      if (c === "]") break;
      if (c !== ",") throw this.error('expected "," or "]"', this.pos - 1);
    }
    this.depth--;
    return out;
  }

  /** A string, its escapes decoded; one with a lone surrogate (raw or escaped) is an error. */
  private string(): string {
    const t = this.text;
    const start = this.pos++;
    let out = "";
    let run = this.pos;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (Number.isNaN(c)) throw this.error("unterminated string", start);
      if (c === 34) break;
      if (c < 0x20) throw this.error("control character in a string", this.pos);
      if (c !== 92) {
        this.pos++;
        continue;
      }
      out += t.slice(run, this.pos);
      const e = t[this.pos + 1];
      if (e === "u") {
        const hex = t.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error("invalid \\u escape", this.pos);
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        this.pos += 2;
      } else {
        throw this.error("invalid escape", this.pos);
      }
      run = this.pos;
    }
    out += t.slice(run, this.pos);
    this.pos++; // closing quote
    if (!isWellFormed(out)) {
      const offset = loneSurrogateOffset(t.slice(start, this.pos));
      throw this.error("lone surrogate in a string (it has no UTF-8 form)", start + offset);
    }
    return out;
  }

  /**
   * A number; an integer literal that a double cannot hold exactly becomes
   * a bigint (a double field still gets the same rounding: Number(bigint)
   * rounds as JSON.parse does).
   */
  private number(): number | bigint {
    const at = this.pos;
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(this.text);
    if (!m) throw this.error("unexpected character", at);
    this.pos = NUMBER.lastIndex;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && (n > MAX_SAFE || n < -MAX_SAFE)) {
      const exact = BigInt(m[0]);
      if (BigInt(n) !== exact) return exact;
    }
    return n;
  }
}

/** Where, in a string literal's text, its first lone surrogate is written (0 if not found). */
function loneSurrogateOffset(literal: string): number {
  const pattern =
    /\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const m = pattern.exec(literal);
  return m ? m.index : 0;
}
