/**
 * Parses generated TypeScript into the tree of syntax.ts: statements and
 * declarations here, expressions and types in the parsers this one extends
 * (parse-expressions.ts, parse-types.ts, over tokens.ts). Recursive descent;
 * it knows only what emitters write and fails loudly, with the position, on
 * anything else.
 */
import { ExpressionParser } from "./parse-expressions.js";
import type { Node } from "./syntax.js";
import type { Token } from "./tokens.js";

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

class Parser extends ExpressionParser {
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

  protected statement(): Node {
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

  protected block(): Node {
    const first = this.expect("{");
    const statements: Node[] = [];
    while (!this.is("}")) statements.push(this.statement());
    this.i++;
    return this.node("Block", first, { children: statements });
  }

  protected variableDeclaration(): Node {
    const first = this.token;
    const name = this.identifier();
    const type = this.optional(":") ? this.type() : undefined;
    const initializer = this.optional("=") ? this.expression() : undefined;
    return this.node("VariableDeclaration", first, { name, type, initializer });
  }

  protected ifStatement(): Node {
    const first = this.expect("if");
    this.expect("(");
    const condition = this.expression();
    this.expect(")");
    const statement = this.statement();
    const elseStatement = this.optional("else") ? this.statement() : undefined;
    return this.node("IfStatement", first, { condition, statement, elseStatement });
  }

  protected switchStatement(): Node {
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

  protected interfaceDeclaration(first: Token, exported: boolean): Node {
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

  protected enumDeclaration(first: Token, exported: boolean): Node {
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

  protected enumMember(): Node {
    const first = this.token;
    const name = this.propertyName();
    const initializer = this.optional("=") ? this.expression() : undefined;
    return this.node("EnumMember", first, { name, initializer });
  }

  protected typeAlias(first: Token, exported: boolean): Node {
    this.expect("type");
    const name = this.identifier();
    const typeParameters = this.typeParameters();
    this.expect("=");
    const type = this.type();
    this.optional(";");
    return this.node("TypeAliasDeclaration", first, { exported, name, typeParameters, type });
  }

  protected functionDeclaration(first: Token, exported: boolean): Node {
    this.expect("function");
    const name = this.identifier();
    const typeParameters = this.typeParameters();
    const parameters = this.parameters();
    const type = this.optional(":") ? this.type() : undefined;
    const body = this.block();
    return this.node("FunctionDeclaration", first, { exported, name, typeParameters, parameters, type, body });
  }

}
