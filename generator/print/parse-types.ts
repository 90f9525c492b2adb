/**
 * Types, type parameters, parameters and interface members of generated
 * TypeScript (see parse.ts).
 */
import { Cursor } from "./tokens.js";
import type { Node } from "./syntax.js";

export class TypeParser extends Cursor {
  protected typeParameters(): Node[] | undefined {
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

  protected parameters(): Node[] {
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
  protected members(): Node[] {
    this.expect("{");
    const members: Node[] = [];
    while (!this.is("}")) {
      members.push(this.member());
      if (!this.optional(";")) this.optional(",");
    }
    this.i++;
    return members;
  }

  protected member(): Node {
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

  type(): Node {
    const first = this.token;
    const leadingBar = this.optional("|");
    const types = [this.postfixType()];
    while (this.optional("|")) types.push(this.postfixType());
    if (types.length === 1 && !leadingBar) return types[0]!;
    return this.node("UnionType", first, { children: types });
  }

  protected postfixType(): Node {
    const first = this.token;
    let type = this.primaryType();
    while (this.is("[") && this.peek().value === "]") {
      this.i += 2;
      type = this.node("ArrayType", first, { type });
    }
    return type;
  }

  protected primaryType(): Node {
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

  protected typeReference(): Node {
    const first = this.token;
    const name = this.entityName();
    const typeArguments = this.typeArguments();
    return this.node("TypeReference", first, { name, typeArguments });
  }

  protected typeArguments(): Node[] | undefined {
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
  protected entityName(): Node {
    const first = this.token;
    let name = this.identifier();
    while (this.is(".")) {
      this.i++;
      name = this.node("PropertyAccessExpression", first, { expression: name, name: this.identifier() });
    }
    return name;
  }
}

const KEYWORD_TYPES = new Set([
  ...["string", "number", "boolean", "bigint", "undefined", "unknown", "void", "never", "any", "object", "null"],
  ...["symbol", "true", "false", "this", "const"],
]);

