/**
 * Parses generated TypeScript into the tree of syntax.ts. Recursive
 * descent over a token list; it knows only what emitters write and fails
 * loudly, with the position, on anything else.
 */
import type { Kind, Node } from "./syntax.js";

interface Token {
  type: "word" | "string" | "number" | "punct" | "eof";
  value: string;
  /** Where the trivia before the token starts. */
  pos: number;
  start: number;
  end: number;
}

const PUNCTUATION = ["...", "===", "!==", "??", "?.", "=>", "==", "!=", "<=", ">=", "&&", "||"];

function tokenize(text: string): Token[] {
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

const BINARY_PRECEDENCE: Record<string, number> = {
  "??": 1,
  "||": 2,
  "&&": 3,
  "|": 4,
  "^": 5,
  "&": 6,
  "==": 7,
  "!=": 7,
  "===": 7,
  "!==": 7,
  "<": 8,
  ">": 8,
  "<=": 8,
  ">=": 8,
  instanceof: 8,
  in: 8,
  as: 8,
  "+": 10,
  "-": 10,
  "*": 11,
  "/": 11,
  "%": 11,
};

export function parse(text: string): Node {
  return new Parser(text).sourceFile();
}

/** What one line of generated code can be, by the construct it stands in. */
export type UnitKind = "statement" | "member" | "property" | "enum-member";

/** Parses one statement, interface member, object property or enum member (its `;` or `,` included). */
export function parseUnit(text: string, kind: UnitKind): Node {
  const parser = new Parser(text);
  const node = parser.unit(kind);
  parser.end();
  return node;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  private get token(): Token {
    return this.tokens[this.i]!;
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private is(value: string): boolean {
    const t = this.token;
    return (t.type === "punct" || t.type === "word") && t.value === value;
  }

  private next(): Token {
    return this.tokens[this.i++]!;
  }

  private expect(value: string): Token {
    if (!this.is(value)) this.fail(`expected "${value}"`);
    return this.next();
  }

  private optional(value: string): boolean {
    if (!this.is(value)) return false;
    this.i++;
    return true;
  }

  private fail(message: string): never {
    const t = this.token;
    const before = this.text.slice(0, t.start);
    const line = before.split("\n").length;
    const column = t.start - before.lastIndexOf("\n");
    throw new Error(`streampath's printer cannot read generated code at ${line}:${column} (${message}, found "${t.value}")`);
  }

  /** A node from token `first` to the last token read. */
  private node(kind: Kind, first: Token, fields: Partial<Node> = {}): Node {
    return { kind, pos: first.pos, start: first.start, end: this.tokens[this.i - 1]!.end, ...fields };
  }

  private identifier(): Node {
    const t = this.token;
    if (t.type !== "word") this.fail("expected a name");
    this.i++;
    return { kind: "Identifier", pos: t.pos, start: t.start, end: t.end, text: t.value };
  }

  /** A property name: a word (keywords included) or a string or number literal. */
  private propertyName(): Node {
    const t = this.token;
    if (t.type === "word") return this.identifier();
    if (t.type === "string" || t.type === "number") {
      this.i++;
      return { kind: "Literal", pos: t.pos, start: t.start, end: t.end, text: t.value };
    }
    return this.fail("expected a property name");
  }

  unit(kind: UnitKind): Node {
    switch (kind) {
      case "statement":
        return this.statement();
      case "member": {
        const member = this.member();
        this.optional(";");
        return member;
      }
      case "property": {
        const property = this.property();
        this.optional(",");
        return property;
      }
      case "enum-member": {
        const member = this.enumMember();
        this.optional(",");
        return member;
      }
    }
  }

  end(): void {
    if (this.token.type !== "eof") this.fail("expected the end of the line");
  }

  sourceFile(): Node {
    const first = this.token;
    const statements: Node[] = [];
    while (this.token.type !== "eof") statements.push(this.statement());
    return { kind: "SourceFile", pos: 0, start: first.start, end: this.text.length, children: statements };
  }

  private statement(): Node {
    const first = this.token;
    const exported = first.value === "export" && first.type === "word";
    if (exported) this.i++;
    const t = this.token;
    if (t.type === "word") {
      switch (t.value) {
        case "const":
        case "let":
        case "var": {
          this.i++;
          const declaration = this.variableDeclaration();
          this.optional(";");
          return this.node("VariableStatement", first, { exported, text: t.value, children: [declaration] });
        }
        case "interface":
          return this.interfaceDeclaration(first, exported);
        case "enum":
          return this.enumDeclaration(first, exported);
        case "type":
          if (this.peek().type === "word") return this.typeAlias(first, exported);
          break;
        case "function":
          return this.functionDeclaration(first, exported);
        case "if":
          return this.ifStatement();
        case "return":
        case "throw": {
          this.i++;
          const expression = this.is(";") || this.is("}") ? undefined : this.expression();
          this.optional(";");
          return this.node(t.value === "return" ? "ReturnStatement" : "ThrowStatement", first, { expression });
        }
        case "break":
        case "continue": {
          this.i++;
          const label = this.token.type === "word" && !this.is("case") && !this.is("default") ? this.next().value : undefined;
          this.optional(";");
          return this.node(t.value === "break" ? "BreakStatement" : "ContinueStatement", first, { label });
        }
        case "while": {
          this.i++;
          this.expect("(");
          const condition = this.expression();
          this.expect(")");
          return this.node("WhileStatement", first, { condition, statement: this.statement() });
        }
        case "for": {
          this.i++;
          this.expect("(");
          const keyword = this.next();
          const name = this.identifier();
          const left = this.node("VariableDeclaration", keyword, { text: keyword.value, name });
          this.expect("of");
          const right = this.expression();
          this.expect(")");
          return this.node("ForOfStatement", first, { left, right, statement: this.statement() });
        }
        case "switch":
          return this.switchStatement();
      }
      if (this.peek().value === ":" && this.peek().type === "punct") {
        const label = this.next().value;
        this.i++;
        return this.node("LabeledStatement", first, { label, statement: this.statement() });
      }
    }
    if (this.is("{")) return this.block();
    if (this.is(";")) {
      this.i++;
      return this.node("EmptyStatement", first);
    }
    const expression = this.expression();
    this.optional(";");
    return this.node("ExpressionStatement", first, { expression });
  }

  private block(): Node {
    const first = this.expect("{");
    const statements: Node[] = [];
    while (!this.is("}")) statements.push(this.statement());
    this.i++;
    return this.node("Block", first, { children: statements });
  }

  private variableDeclaration(): Node {
    const first = this.token;
    const name = this.identifier();
    const type = this.optional(":") ? this.type() : undefined;
    const initializer = this.optional("=") ? this.expression() : undefined;
    return this.node("VariableDeclaration", first, { name, type, initializer });
  }

  private ifStatement(): Node {
    const first = this.expect("if");
    this.expect("(");
    const condition = this.expression();
    this.expect(")");
    const statement = this.statement();
    const elseStatement = this.optional("else") ? this.statement() : undefined;
    return this.node("IfStatement", first, { condition, statement, elseStatement });
  }

  private switchStatement(): Node {
    const first = this.expect("switch");
    this.expect("(");
    const expression = this.expression();
    this.expect(")");
    this.expect("{");
    const clauses: Node[] = [];
    while (!this.is("}")) {
      const clauseFirst = this.token;
      let test: Node | undefined;
      if (this.optional("case")) test = this.expression();
      else this.expect("default");
      this.expect(":");
      const statements: Node[] = [];
      while (!this.is("case") && !this.is("default") && !this.is("}")) statements.push(this.statement());
      clauses.push(this.node(test ? "CaseClause" : "DefaultClause", clauseFirst, { expression: test, children: statements }));
    }
    this.i++;
    return this.node("SwitchStatement", first, { expression, children: clauses });
  }

  private interfaceDeclaration(first: Token, exported: boolean): Node {
    this.expect("interface");
    const name = this.identifier();
    const typeParameters = this.typeParameters();
    const heritage: Node[] = [];
    if (this.optional("extends")) {
      do heritage.push(this.typeReference());
      while (this.optional(","));
    }
    const members = this.members();
    return this.node("InterfaceDeclaration", first, { exported, name, typeParameters, heritage, children: members });
  }

  private enumDeclaration(first: Token, exported: boolean): Node {
    this.expect("enum");
    const name = this.identifier();
    this.expect("{");
    const members: Node[] = [];
    while (!this.is("}")) {
      members.push(this.enumMember());
      if (!this.optional(",")) break;
    }
    this.expect("}");
    return this.node("EnumDeclaration", first, { exported, name, children: members });
  }

  private enumMember(): Node {
    const first = this.token;
    const name = this.propertyName();
    const initializer = this.optional("=") ? this.expression() : undefined;
    return this.node("EnumMember", first, { name, initializer });
  }

  private typeAlias(first: Token, exported: boolean): Node {
    this.expect("type");
    const name = this.identifier();
    const typeParameters = this.typeParameters();
    this.expect("=");
    const type = this.type();
    this.optional(";");
    return this.node("TypeAliasDeclaration", first, { exported, name, typeParameters, type });
  }

  private functionDeclaration(first: Token, exported: boolean): Node {
    this.expect("function");
    const name = this.identifier();
    const typeParameters = this.typeParameters();
    const parameters = this.parameters();
    const type = this.optional(":") ? this.type() : undefined;
    const body = this.block();
    return this.node("FunctionDeclaration", first, { exported, name, typeParameters, parameters, type, body });
  }

  private typeParameters(): Node[] | undefined {
    if (!this.optional("<")) return undefined;
    const params: Node[] = [];
    do {
      const first = this.token;
      const name = this.identifier();
      const constraint = this.optional("extends") ? this.type() : undefined;
      const def = this.optional("=") ? this.type() : undefined;
      params.push(this.node("TypeParameter", first, { name, constraint, default: def }));
    } while (this.optional(","));
    this.expect(">");
    return params;
  }

  private parameters(): Node[] {
    this.expect("(");
    const params: Node[] = [];
    while (!this.is(")")) {
      const first = this.token;
      const name = this.identifier();
      const optional = this.optional("?");
      const type = this.optional(":") ? this.type() : undefined;
      params.push(this.node("Parameter", first, { name, optional, type }));
      if (!this.optional(",")) break;
    }
    this.expect(")");
    return params;
  }

  /** `{ member; member }` of an interface or a type literal. */
  private members(): Node[] {
    this.expect("{");
    const members: Node[] = [];
    while (!this.is("}")) {
      members.push(this.member());
      if (!this.optional(";")) this.optional(",");
    }
    this.i++;
    return members;
  }

  private member(): Node {
    const first = this.token;
    if (this.optional("[")) {
      const name = this.identifier();
      this.expect(":");
      const keyType = this.type();
      const parameter = this.node("Parameter", first, { name, type: keyType });
      this.expect("]");
      this.expect(":");
      return this.node("IndexSignature", first, { parameters: [parameter], type: this.type() });
    }
    const name = this.propertyName();
    const optional = this.optional("?");
    if (this.is("(") || this.is("<")) {
      const typeParameters = this.typeParameters();
      const parameters = this.parameters();
      const type = this.optional(":") ? this.type() : undefined;
      return this.node("MethodSignature", first, { name, optional, typeParameters, parameters, type });
    }
    this.expect(":");
    return this.node("PropertySignature", first, { name, optional, type: this.type() });
  }

  // Types

  type(): Node {
    const first = this.token;
    const leadingBar = this.optional("|");
    const types = [this.postfixType()];
    while (this.optional("|")) types.push(this.postfixType());
    if (types.length === 1 && !leadingBar) return types[0]!;
    return this.node("UnionType", first, { children: types });
  }

  private postfixType(): Node {
    const first = this.token;
    let type = this.primaryType();
    while (this.is("[") && this.peek().value === "]") {
      this.i += 2;
      type = this.node("ArrayType", first, { type });
    }
    return type;
  }

  private primaryType(): Node {
    const first = this.token;
    if (this.is("{")) return this.node("TypeLiteral", first, { children: this.members() });
    if (this.is("(")) {
      // A function type `(a: T) => R`, or a parenthesized type.
      const close = this.findClosing(this.i);
      if (this.tokens[close + 1]?.value === "=>") {
        const parameters = this.parameters();
        this.expect("=>");
        return this.node("FunctionType", first, { parameters, type: this.type() });
      }
      this.i++;
      const type = this.type();
      this.expect(")");
      return this.node("ParenthesizedType", first, { type });
    }
    if (first.type === "string" || first.type === "number") {
      this.i++;
      return this.node("LiteralType", first, { text: first.value });
    }
    if (this.optional("typeof")) return this.node("TypeQuery", first, { expression: this.entityName() });
    if (this.is("keyof") || this.is("readonly") || this.is("unique")) {
      const operator = this.next().value;
      return this.node("TypeOperator", first, { text: operator, type: this.postfixType() });
    }
    if (first.type === "word" && KEYWORD_TYPES.has(first.value)) {
      this.i++;
      return this.node("KeywordType", first, { text: first.value });
    }
    return this.typeReference();
  }

  private typeReference(): Node {
    const first = this.token;
    const name = this.entityName();
    const typeArguments = this.typeArguments();
    return this.node("TypeReference", first, { name, typeArguments });
  }

  private typeArguments(): Node[] | undefined {
    if (!this.optional("<")) return undefined;
    const args: Node[] = [];
    while (!this.is(">")) {
      args.push(this.type());
      if (!this.optional(",")) break;
    }
    this.expect(">");
    return args;
  }

  /** `A` or `A.B.C`, as an identifier or property access. */
  private entityName(): Node {
    const first = this.token;
    let name = this.identifier();
    while (this.is(".")) {
      this.i++;
      name = this.node("PropertyAccessExpression", first, { expression: name, name: this.identifier() });
    }
    return name;
  }

  private findClosing(open: number): number {
    let depth = 0;
    for (let j = open; j < this.tokens.length; j++) {
      const v = this.tokens[j]!;
      if (v.type !== "punct") continue;
      if (v.value === "(" || v.value === "[" || v.value === "{") depth++;
      else if (v.value === ")" || v.value === "]" || v.value === "}") if (--depth === 0) return j;
    }
    return this.tokens.length - 1;
  }

  // Expressions

  expression(): Node {
    const first = this.token;
    const left = this.conditional();
    if (this.is("=") && this.token.type === "punct") {
      this.i++;
      const right = this.expression();
      return this.node("BinaryExpression", first, { left, text: "=", right });
    }
    return left;
  }

  private conditional(): Node {
    const first = this.token;
    const condition = this.binary(0);
    if (!this.is("?")) return condition;
    this.i++;
    const whenTrue = this.expression();
    this.expect(":");
    const whenFalse = this.expression();
    return this.node("ConditionalExpression", first, { condition, whenTrue, whenFalse });
  }

  private binary(minPrecedence: number): Node {
    const first = this.token;
    let left = this.unary();
    for (;;) {
      const t = this.token;
      const precedence = t.type === "punct" || t.type === "word" ? BINARY_PRECEDENCE[t.value] : undefined;
      if (precedence === undefined || precedence <= minPrecedence) return left;
      this.i++;
      if (t.value === "as") left = this.node("AsExpression", first, { expression: left, type: this.postfixType() });
      else left = this.node("BinaryExpression", first, { left, text: t.value, right: this.binary(precedence) });
    }
  }

  private unary(): Node {
    const first = this.token;
    if (first.type === "punct" && (first.value === "!" || first.value === "-" || first.value === "+" || first.value === "~")) {
      this.i++;
      return this.node("PrefixUnaryExpression", first, { text: first.value, expression: this.unary() });
    }
    return this.postfix(first, this.primary());
  }

  private postfix(first: Token, expression: Node): Node {
    for (;;) {
      if (this.is(".") || this.is("?.")) {
        const optional = this.next().value === "?.";
        expression = this.node("PropertyAccessExpression", first, { expression, name: this.propertyName(), optional });
      } else if (this.is("[") && this.token.type === "punct") {
        this.i++;
        const index = this.expression();
        this.expect("]");
        expression = this.node("ElementAccessExpression", first, { expression, right: index });
      } else if (this.is("(")) {
        expression = this.node("CallExpression", first, { expression, arguments: this.arguments() });
      } else if (this.is("!") && this.token.type === "punct" && this.token.pos === this.token.start) {
        this.i++;
        expression = this.node("NonNullExpression", first, { expression });
      } else return expression;
    }
  }

  private arguments(): Node[] {
    this.expect("(");
    const args: Node[] = [];
    while (!this.is(")")) {
      args.push(this.expression());
      if (!this.optional(",")) break;
    }
    this.expect(")");
    return args;
  }

  private primary(): Node {
    const first = this.token;
    switch (first.type) {
      case "string":
      case "number":
        this.i++;
        return this.node("Literal", first, { text: first.value });
      case "word":
        if (first.value === "new") {
          this.i++;
          const callee = this.entityName();
          const args = this.is("(") ? this.arguments() : [];
          return this.node("NewExpression", first, { expression: callee, arguments: args });
        }
        return this.identifier();
      case "punct":
        if (first.value === "(") {
          this.i++;
          const expression = this.expression();
          this.expect(")");
          return this.node("ParenthesizedExpression", first, { expression });
        }
        if (first.value === "{") return this.objectLiteral();
        if (first.value === "[") {
          this.i++;
          const elements: Node[] = [];
          while (!this.is("]")) {
            elements.push(this.expression());
            if (!this.optional(",")) break;
          }
          this.expect("]");
          return this.node("ArrayLiteralExpression", first, { children: elements });
        }
    }
    return this.fail("expected an expression");
  }

  private objectLiteral(): Node {
    const first = this.expect("{");
    const properties: Node[] = [];
    while (!this.is("}")) {
      properties.push(this.property());
      if (!this.optional(",")) break;
    }
    this.expect("}");
    return this.node("ObjectLiteralExpression", first, { children: properties });
  }

  private property(): Node {
    const first = this.token;
    const name = this.propertyName();
    if (this.is("(")) {
      const parameters = this.parameters();
      const type = this.optional(":") ? this.type() : undefined;
      const body = this.block();
      return this.node("MethodDeclaration", first, { name, parameters, type, body });
    }
    if (this.optional(":")) return this.node("PropertyAssignment", first, { name, initializer: this.expression() });
    return this.node("ShorthandPropertyAssignment", first, { name });
  }
}

const KEYWORD_TYPES = new Set([
  ...["string", "number", "boolean", "bigint", "undefined", "unknown", "void", "never", "any", "object", "null"],
  ...["symbol", "true", "false", "this", "const"],
]);
