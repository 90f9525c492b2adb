/**
 * Expressions of generated TypeScript (see parse.ts): assignments,
 * conditionals, binary and unary operators, member access and calls,
 * literals, object literals and their methods.
 */
import { TypeParser } from "./parse-types.js";
import type { Node } from "./syntax.js";
import type { Token } from "./tokens.js";

export abstract class ExpressionParser extends TypeParser {
  /** A method's body: statements are parse.ts's. */
  protected abstract block(): Node;

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

  protected conditional(): Node {
    const first = this.token;
    const condition = this.binary(0);
    if (!this.is("?")) return condition;
    this.i++;
    const whenTrue = this.expression();
    this.expect(":");
    const whenFalse = this.expression();
    return this.node("ConditionalExpression", first, { condition, whenTrue, whenFalse });
  }

  protected binary(minPrecedence: number): Node {
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

  protected unary(): Node {
    const first = this.token;
    if (first.type === "punct" && (first.value === "!" || first.value === "-" || first.value === "+" || first.value === "~")) {
      this.i++;
      return this.node("PrefixUnaryExpression", first, { text: first.value, expression: this.unary() });
    }
    return this.postfix(first, this.primary());
  }

  protected postfix(first: Token, expression: Node): Node {
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

  protected arguments(): Node[] {
    this.expect("(");
    const args: Node[] = [];
    while (!this.is(")")) {
      args.push(this.expression());
      if (!this.optional(",")) break;
    }
    this.expect(")");
    return args;
  }

  protected primary(): Node {
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

  protected objectLiteral(): Node {
    const first = this.expect("{");
    const properties: Node[] = [];
    while (!this.is("}")) {
      properties.push(this.property());
      if (!this.optional(",")) break;
    }
    this.expect("}");
    return this.node("ObjectLiteralExpression", first, { children: properties });
  }

  protected property(): Node {
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
