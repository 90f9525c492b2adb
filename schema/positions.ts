/**
 * Source positions for a .proto file. protobufjs parses the schema but keeps
 * no line/column for what it builds, so this walks the same text once more,
 * lightly, and records where each declaration, field type, rpc, option and
 * import stands. Keys are full names, so the loader can ask "where is field
 * a.B.c's type?" after protobufjs has done the real parsing.
 */

export interface Position {
  line: number;
  column: number;
}

export interface Token extends Position {
  text: string;
  kind: "word" | "string" | "number" | "symbol";
}

export interface OptionSite {
  name: string;
  /** The option's name. */
  at: Position;
  /** The value's first token: a string, an identifier or a number. */
  value: Token | undefined;
}

export interface FieldSite {
  name: Position;
  type: Position;
  number: number;
  /** The `[default = …]` value as written (`-12`, `"a\\n"`, `inf`, `BAR`); protobufjs loses 64-bit precision. */
  defaultText?: string;
}

export interface FilePositions {
  tokens: Token[];
  /** Messages, enums, services, rpcs and enum values by full name (every site, in order). */
  declarations: Map<string, Position[]>;
  /** Fields by full name (`pkg.Message.field`). */
  fields: Map<string, FieldSite[]>;
  /** Oneof names by full name (`pkg.Message.kind`). */
  oneofs: Map<string, Position>;
  /** rpc methods by full name: the name, the input and the output types. */
  methods: Map<string, { name: Position; input: Position; output: Position }>;
  /** `option` statements by the full name of what they are in. */
  options: Map<string, OptionSite[]>;
  /** Import statements by imported path: the position of the path string, and `public`/`weak`. */
  imports: Map<string, { at: Position; modifier: string }>;
  /** `proto2` or `proto3` as the syntax statement says (proto2 without one). */
  syntax: "proto2" | "proto3";
  /** The `edition = "…"` statement's value and where it stands, for files of an edition. */
  edition?: { name: string; at: Position };
}

/** Splits proto source into tokens with 1-based line and column, skipping comments. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "\n") {
      line++;
      lineStart = ++i;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      i += 2;
      while (i < source.length && !(source[i] === "*" && source[i + 1] === "/")) {
        if (source[i] === "\n") {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      i += 2;
    } else if (c === '"' || c === "'") {
      const start = i++;
      while (i < source.length && source[i] !== c && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      i++;
      tokens.push({ text: source.slice(start, i), kind: "string", line, column: start - lineStart + 1 });
    } else if (/[A-Za-z_]/.test(c) || (c === "." && /[A-Za-z_]/.test(source[i + 1] ?? ""))) {
      // A leading dot belongs to the name: `.pkg.Type` is fully qualified.
      const start = i;
      i++;
      while (i < source.length && /[A-Za-z0-9_.]/.test(source[i])) i++;
      tokens.push({ text: source.slice(start, i), kind: "word", line, column: start - lineStart + 1 });
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      const start = i;
      while (i < source.length && /[0-9A-Za-z_.+-]/.test(source[i])) {
        if ((source[i] === "+" || source[i] === "-") && !/[eE]/.test(source[i - 1])) break;
        i++;
      }
      tokens.push({ text: source.slice(start, i), kind: "number", line, column: start - lineStart + 1 });
    } else {
      tokens.push({ text: c, kind: "symbol", line, column: i - lineStart + 1 });
      i++;
    }
  }
  return tokens;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Indexes the declarations of one file. Tolerant: malformed input just yields fewer entries. */
export function indexPositions(source: string): FilePositions {
  const tokens = tokenize(source);
  const result: FilePositions = {
    tokens,
    declarations: new Map(),
    fields: new Map(),
    oneofs: new Map(),
    methods: new Map(),
    options: new Map(),
    imports: new Map(),
    syntax: "proto2",
  };
  let pkg = "";
  // Each scope is the full name of the message/enum/service we are in, or
  // null for a block whose contents we do not index (extend, oneof keeps the message).
  const scopes: { name: string; kind: string }[] = [];
  const here = () => (scopes.length ? scopes[scopes.length - 1] : { name: pkg, kind: "file" });
  const qualify = (name: string) => (here().name ? here().name + "." + name : name);
  let i = 0;
  const skipStatement = () => {
    let depth = 0;
    for (; i < tokens.length; i++) {
      const t = tokens[i].text;
      if (t === "{") depth++;
      else if (t === "}") {
        if (depth === 0) return;
        depth--;
        if (depth === 0 && tokens[i + 1]?.text !== ";") {
          i++;
          return;
        }
      } else if (t === ";" && depth === 0) {
        i++;
        return;
      }
    }
  };
  while (i < tokens.length) {
    const t = tokens[i];
    const scope = here();
    if (t.text === "}") {
      scopes.pop();
      i++;
      continue;
    }
    if (t.text === ";") {
      i++;
      continue;
    }
    if (t.kind !== "word") {
      i++;
      continue;
    }
    const next = tokens[i + 1];
    switch (t.text) {
      case "syntax":
        if (tokens[i + 2]?.text.slice(1, -1) === "proto3") result.syntax = "proto3";
        skipStatement();
        continue;
      case "edition":
        if (tokens[i + 2]?.kind === "string") result.edition = { name: tokens[i + 2].text.slice(1, -1), at: tokens[i + 2] };
        skipStatement();
        continue;
      case "reserved":
      case "extensions":
        skipStatement();
        continue;
      case "package":
        if (next && scope.kind === "file") pkg = next.text;
        skipStatement();
        continue;
      case "import": {
        let j = i + 1;
        const modifier = tokens[j]?.text === "public" || tokens[j]?.text === "weak" ? tokens[j++].text : "";
        const path = tokens[j];
        // Adjacent strings are one, as protobufjs reads them: `"a" "b.proto"` imports "ab.proto".
        let name = "";
        while (tokens[j]?.kind === "string") name += tokens[j++].text.slice(1, -1);
        if (path?.kind === "string") result.imports.set(name, { at: path, modifier });
        skipStatement();
        continue;
      }
      case "option": {
        let j = i + 1;
        let name = "";
        while (j < tokens.length && tokens[j].text !== "=" && tokens[j].text !== ";") name += tokens[j++].text;
        const value = tokens[j]?.text === "=" ? tokens[j + 1] : undefined;
        const owner = scope.kind === "oneof" ? scopes[scopes.length - 2]?.name ?? pkg : scope.name;
        push(result.options, owner, { name, at: tokens[i + 1] ?? t, value });
        // A brace in the name is no aggregate value: counting it would swallow (or close) the enclosing block.
        if (/[{}]/.test(name)) {
          while (i < tokens.length && tokens[i].text !== ";") i++;
          i++;
        } else skipStatement();
        continue;
      }
      case "message":
      case "enum":
      case "service":
        if (next && next.kind === "word" && tokens[i + 2]?.text === "{") {
          const name = qualify(next.text);
          push(result.declarations, name, next);
          scopes.push({ name, kind: t.text });
          i += 3;
          continue;
        }
        break;
      case "oneof":
        if (next && tokens[i + 2]?.text === "{") {
          result.oneofs.set(scope.name + "." + next.text, next);
          scopes.push({ name: scope.name, kind: "oneof" });
          i += 3;
          continue;
        }
        break;
      case "extend":
        if (tokens[i + 2]?.text === "{") {
          scopes.push({ name: scope.name + "#extend", kind: "extend" });
          i += 3;
          continue;
        }
        break;
      case "rpc":
        if (scope.kind === "service" && next) {
          const types: Position[] = [];
          let j = i + 2;
          for (; j < tokens.length && types.length < 2 && tokens[j].text !== "{" && tokens[j].text !== ";"; j++) {
            if (tokens[j].text === "(") {
              if (tokens[j + 1]?.text === "stream") j++;
              if (tokens[j + 1]) types.push(tokens[j + 1]);
            }
          }
          const method = scope.name + "." + next.text;
          if (!result.methods.has(method)) result.methods.set(method, { name: next, input: types[0] ?? next, output: types[1] ?? next });
          push(result.declarations, method, next); // every site, for duplicate names
          // The rpc's option block, if any, is a scope of its own.
          i = j;
          while (i < tokens.length && tokens[i].text !== "{" && tokens[i].text !== ";") i++;
          if (tokens[i]?.text === "{") scopes.push({ name: scope.name + "." + next.text, kind: "rpc" });
          i++;
          continue;
        }
        break;
    }
    if (scope.kind === "enum" && next?.text === "=") {
      push(result.declarations, scope.name + "." + t.text, t);
      skipStatement();
      continue;
    }
    if (scope.kind === "message" || scope.kind === "oneof" || scope.kind === "extend") {
      // [label] type name = number ...;   or   map<K, V> name = number ...;
      let j = i;
      if (["repeated", "optional", "required"].includes(tokens[j].text)) j++;
      let type = tokens[j];
      if (type?.text === "map" && tokens[j + 1]?.text === "<") {
        while (j < tokens.length && tokens[j].text !== ">") j++;
        type = tokens[j - 1]; // the value type: what an unknown-type error is about
      }
      const name = tokens[j + 1];
      if (type && name?.kind === "word" && tokens[j + 2]?.text === "=") {
        push(result.fields, scope.name + "." + name.text, {
          name,
          type,
          number: Number(tokens[j + 3]?.text),
          defaultText: defaultOption(tokens, j + 4),
        });
      }
    }
    skipStatement();
  }
  return result;
}

/** The text of `default = …` in the option list that starts at `tokens[i]`, if any. */
function defaultOption(tokens: Token[], i: number): string | undefined {
  if (tokens[i]?.text !== "[") return undefined;
  for (let depth = 0; i < tokens.length; i++) {
    const t = tokens[i].text;
    if (t === "[" || t === "{" || t === "(") depth++;
    else if (t === "]" || t === "}" || t === ")") {
      if (--depth === 0) return undefined;
    } else if (depth === 1 && t === "default" && tokens[i + 1]?.text === "=") {
      let j = i + 2;
      if (tokens[j]?.text === "-") return "-" + (tokens[j + 1]?.text ?? "");
      if (tokens[j]?.kind !== "string") return tokens[j]?.text;
      // Adjacent strings are one value, as in C.
      let text = "";
      while (tokens[j]?.kind === "string") text += tokens[j++].text;
      return text;
    } else if (t === ";") return undefined;
  }
  return undefined;
}

/** Finds the column of `text` on `line`, for errors that protobufjs reports by line only. */
export function findOnLine(positions: FilePositions, line: number, text: string): Position {
  const onLine = positions.tokens.filter((t) => t.line === line);
  const hit = onLine.find((t) => t.text === text) ?? onLine[0];
  return hit ? { line, column: hit.column } : { line, column: 1 };
}
