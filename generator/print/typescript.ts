/**
 * Prints the TypeScript the emitters write as prettier prints it: each
 * syntax kind they use becomes a doc built by prettier's rules for it
 * (statements and declarations here; expressions, types and assignments
 * beside). Only what generated code contains is covered; anything else is
 * an error, so a new emitted shape is found by the tests that compare
 * with prettier, not shipped misprinted.
 */
import { type Doc, group, hardline, ifBreak, indent, join, line, softline, willBreak } from "./doc.js";
import { type AssignmentLayout, printAssignment } from "./assignment.js";
import {
  arrayLiteral,
  binaryish,
  call,
  callArguments,
  conditional,
  elementAccess,
  isBinaryish,
  objectLiteral,
  propertyAccess,
} from "./expressions.js";
import {
  parameters as signatureParameters,
  signature,
  typeAnnotation,
  typeArguments,
  typeLiteral,
  typeParameters,
  unionType,
} from "./types.js";
import type { Node } from "./syntax.js";

export class TsPrinter {
  /** Ancestors of the node being printed, innermost last. */
  readonly stack: Node[] = [];

  /**
   * Text on one line (a line printed on its own) holds no hard break: no block, no comment,
   * no object the source kept expanded. Its docs then cannot force a break, which spares
   * walking them to ask.
   */
  readonly singleLine: boolean;

  constructor(readonly text: string) {
    this.singleLine = !text.includes("\n");
  }

  /** Whether `doc` forces a break (prettier's willBreak). */
  willBreak(doc: Doc): boolean {
    return !this.singleLine && willBreak(doc);
  }

  parent(level = 1): Node | undefined {
    return this.stack[this.stack.length - 1 - level];
  }

  print(node: Node, layout?: AssignmentLayout): Doc {
    this.stack.push(node);
    try {
      return this.printNode(node, layout);
    } finally {
      this.stack.pop();
    }
  }

  /** Runs `f` as if `node` were being printed (for helpers that walk a node's children themselves). */
  at<T>(node: Node, f: () => T): T {
    this.stack.push(node);
    try {
      return f();
    } finally {
      this.stack.pop();
    }
  }

  /** Statements or members one per line, keeping a blank line where the source had one. */
  sequence(nodes: readonly Node[], after: Doc = ""): Doc[] {
    const out: Doc[] = [];
    nodes.forEach((n, i) => {
      out.push(this.comments(n), this.print(n), after);
      if (i < nodes.length - 1) {
        out.push(hardline);
        if (this.isNextLineEmpty(n.end)) out.push(hardline);
      }
    });
    return out;
  }

  /** The comments before a node, each on its own line; JSDoc re-indented as prettier does. */
  comments(node: Node): Doc {
    const out: Doc[] = [];
    let i = node.pos;
    const text = this.text;
    while (i < node.start) {
      const c = text[i];
      if (c === " " || c === "\n" || c === "\t" || c === "\r") {
        i++;
        continue;
      }
      const end = text.startsWith("//", i) ? text.indexOf("\n", i) : text.indexOf("*/", i) + 2;
      const comment = text.slice(i, end === -1 || end === 1 ? node.start : end);
      i += comment.length;
      const lines = comment.split("\n");
      const indentable = lines.length > 1 && lines.slice(1).every((l) => l.trimStart().startsWith("*"));
      out.push(
        indentable
          ? join(hardline, lines.map((l, k) => (k === 0 ? l.trimEnd() : " " + (k < lines.length - 1 ? l.trim() : l.trimStart()))))
          : comment,
        hardline,
      );
    }
    return out;
  }

  isNextLineEmpty(index: number): boolean {
    const text = this.text;
    let i = index;
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "," || text[i] === ";")) i++;
    if (text.startsWith("//", i)) while (i < text.length && text[i] !== "\n") i++;
    if (text[i] === "\r") i++;
    if (text[i] !== "\n") return false;
    i++;
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
    return text[i] === "\n" || text[i] === "\r";
  }

  /** Whether the source breaks a line between two positions (prettier keeps such objects expanded). */
  hasNewlineBetween(start: number, end: number): boolean {
    return this.text.slice(start, end).includes("\n");
  }

  unsupported(node: Node): Error {
    const before = this.text.slice(0, node.start);
    const at = `${before.split("\n").length}:${node.start - before.lastIndexOf("\n")}`;
    return new Error(`streampath's printer has no rule for ${node.kind} at ${at}`);
  }

  private printNode(node: Node, layout?: AssignmentLayout): Doc {
    const p = (n: Node) => this.print(n);
    const exported = node.exported ? "export " : "";
    switch (node.kind) {
      case "Identifier":
      case "Literal":
      case "KeywordType":
      case "LiteralType":
        return node.text!;
      case "SourceFile":
        return [this.sequence(node.children!), hardline];
      case "Block":
        return this.block(node.children!);
      case "EmptyStatement":
        return ";";
      case "VariableStatement":
        return [exported, node.text!, " ", p(node.children![0]!), ";"];
      case "VariableDeclaration": {
        if (!node.initializer && !node.type) return [node.text ? node.text + " " : "", p(node.name!)];
        return printAssignment(this, node, [p(node.name!), typeAnnotation(this, node.type)], " =", node.initializer);
      }
      case "ExpressionStatement":
        return [p(node.expression!), ";"];
      case "IfStatement":
        return this.ifStatement(node);
      case "ReturnStatement":
      case "ThrowStatement": {
        const keyword = node.kind === "ThrowStatement" ? "throw" : "return";
        if (!node.expression) return [keyword, ";"];
        const argument = p(node.expression);
        const wrapped = isBinaryish(node.expression)
          ? group([ifBreak("("), indent([softline, argument]), softline, ifBreak(")")])
          : argument;
        return [keyword, " ", wrapped, ";"];
      }
      case "BreakStatement":
      case "ContinueStatement":
        return [node.kind === "BreakStatement" ? "break" : "continue", node.label ? [" ", node.label] : "", ";"];
      case "LabeledStatement":
        return [node.label!, ": ", p(node.statement!)];
      case "WhileStatement":
        return group(["while (", group([indent([softline, p(node.condition!)]), softline]), ")", this.clause(node.statement!)]);
      case "ForOfStatement":
        return group(["for (", p(node.left!), " of ", p(node.right!), ")", this.clause(node.statement!)]);
      case "SwitchStatement": {
        const clauses = node.children!;
        return [
          "switch (",
          group([indent([softline, p(node.expression!)]), softline]),
          ") {",
          clauses.length ? indent([hardline, this.sequence(clauses)]) : "",
          hardline,
          "}",
        ];
      }
      case "CaseClause":
      case "DefaultClause": {
        const head: Doc = node.kind === "CaseClause" ? ["case ", p(node.expression!), ":"] : "default:";
        const statements = node.children!.filter((s) => s.kind !== "EmptyStatement");
        if (statements.length === 0) return head;
        if (statements.length === 1 && statements[0]!.kind === "Block") return [head, " ", p(statements[0]!)];
        return [head, indent([hardline, this.sequence(statements)])];
      }
      case "InterfaceDeclaration":
        return this.interfaceDeclaration(node);
      case "EnumDeclaration": {
        const members = node.children!.length ? [indent([hardline, this.sequence(node.children!, ",")]), hardline] : "";
        return [exported, "enum ", p(node.name!), " {", members, "}"];
      }
      case "EnumMember":
        return node.initializer ? [p(node.name!), " = ", p(node.initializer)] : p(node.name!);
      case "TypeAliasDeclaration": {
        const left = [exported, "type ", p(node.name!), typeParameters(this, node.typeParameters)];
        return [printAssignment(this, node, left, " =", node.type), ";"];
      }
      case "FunctionDeclaration":
        return [exported, "function ", p(node.name!), signature(this, node), " ", p(node.body!)];
      case "MethodDeclaration":
        return [p(node.name!), signature(this, node), " ", p(node.body!)];
      case "MethodSignature":
        return [p(node.name!), node.optional ? "?" : "", signature(this, node)];
      case "PropertySignature":
        return [p(node.name!), node.optional ? "?" : "", typeAnnotation(this, node.type)];
      case "IndexSignature":
        return group([
          "[",
          group([indent([softline, join([", ", softline], node.parameters!.map(p))]), softline]),
          "]",
          typeAnnotation(this, node.type),
        ]);
      case "Parameter":
        return [p(node.name!), node.optional ? "?" : "", typeAnnotation(this, node.type)];
      case "TypeParameter":
        return [
          p(node.name!),
          node.constraint ? [" extends ", p(node.constraint)] : "",
          node.default ? [" = ", p(node.default)] : "",
        ];
      case "ObjectLiteralExpression":
        return objectLiteral(this, node);
      case "PropertyAssignment":
        return printAssignment(this, node, p(node.name!), ":", node.initializer);
      case "ShorthandPropertyAssignment":
        return p(node.name!);
      case "ArrayLiteralExpression":
        return arrayLiteral(this, node);
      case "PropertyAccessExpression":
        return propertyAccess(this, node);
      case "ElementAccessExpression":
        return [p(node.expression!), elementAccess(this, node)];
      case "CallExpression":
        return call(this, node);
      case "NewExpression":
        return ["new ", p(node.expression!), callArguments(this, node.arguments!)];
      case "BinaryExpression":
        if (node.text === "=") return printAssignment(this, node, p(node.left!), " =", node.right);
        return binaryish(this, node);
      case "PrefixUnaryExpression":
        return [node.text!, p(node.expression!)];
      case "ConditionalExpression":
        return conditional(this, node);
      case "AsExpression":
        return [p(node.expression!), " as ", p(node.type!)];
      case "NonNullExpression":
        return [p(node.expression!), "!"];
      case "ParenthesizedExpression":
        return ["(", p(node.expression!), ")"];
      case "TypeReference":
        return [p(node.name!), typeArguments(this, node.typeArguments)];
      case "TypeQuery":
        return ["typeof ", p(node.expression!)];
      case "ArrayType":
        return [p(node.type!), "[]"];
      case "UnionType":
        return unionType(this, node, layout);
      case "TypeLiteral":
        return typeLiteral(this, node);
      case "FunctionType":
        return group([typeParameters(this, node.typeParameters), group(signatureParameters(this, node)), " => ", p(node.type!)]);
      case "TypeOperator":
        return [node.text!, " ", p(node.type!)];
      case "ParenthesizedType":
        return ["(", p(node.type!), ")"];
      default:
        throw this.unsupported(node);
    }
  }

  block(statements: readonly Node[]): Doc {
    if (statements.length === 0) return "{}";
    return ["{", indent([hardline, this.sequence(statements)]), hardline, "}"];
  }

  /** The body of an if, while or for: a block after a space, else on the next line if it does not fit. */
  clause(body: Node, forceSpace = false): Doc {
    if (body.kind === "EmptyStatement") return ";";
    if (body.kind === "Block" || forceSpace) return [" ", this.print(body)];
    return indent([line, this.print(body)]);
  }

  private ifStatement(n: Node): Doc {
    const opening = group([
      "if (",
      group([indent([softline, this.print(n.condition!)]), softline]),
      ")",
      this.clause(n.statement!),
    ]);
    if (!n.elseStatement) return opening;
    const elseOnSameLine = n.statement!.kind === "Block";
    return [
      opening,
      elseOnSameLine ? " " : hardline,
      "else",
      group(this.clause(n.elseStatement, n.elseStatement.kind === "IfStatement")),
    ];
  }

  private interfaceDeclaration(n: Node): Doc {
    const heritage = n.heritage ?? [];
    const head: Doc[] = [this.print(n.name!), typeParameters(this, n.typeParameters)];
    const parts: Doc[] = [n.exported ? "export " : "", "interface "];
    if (heritage.length === 1) {
      // One plain heritage never breaks (prettier's class printer outside "group mode").
      parts.push(...head, " extends ", this.print(heritage[0]!));
    } else if (heritage.length > 1) {
      const types = heritage.map((t) => this.print(t));
      parts.push(group([...head, indent([line, "extends", group(indent([line, join([",", line], types)]))])]));
    } else parts.push(...head);
    parts.push(" ");
    if (n.children!.length === 0) return [...parts, "{}"];
    return [...parts, "{", indent([hardline, this.sequence(n.children!, ";")]), hardline, "}"];
  }
}
