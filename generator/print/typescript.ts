/**
 * Prints the TypeScript the emitters write as prettier prints it: each
 * syntax kind they use becomes a doc built by prettier's rules for it
 * (assignment layouts, call arguments and the last one hugged, binary
 * chains, unions, heritage clauses, parameters). Only what generated code
 * contains is covered; anything else is an error, so a new emitted shape is
 * found by the tests that compare with prettier, not shipped misprinted.
 */
import ts from "typescript";
import {
  type Doc,
  align,
  breakParent,
  canBreak,
  conditionalGroup,
  fill,
  group,
  hardline,
  ifBreak,
  indent,
  indentIfBreak,
  join,
  line,
  lineSuffixBoundary,
  softline,
  willBreak,
} from "./doc.js";
import { printAssignment, type AssignmentLayout } from "./assignment.js";

const K = ts.SyntaxKind;

export class TsPrinter {
  /** Ancestors of the node being printed, innermost last. */
  readonly stack: ts.Node[] = [];

  constructor(readonly text: string) {}

  parent(level = 1): ts.Node | undefined {
    return this.stack[this.stack.length - 1 - level];
  }

  print(node: ts.Node, layout?: AssignmentLayout): Doc {
    this.stack.push(node);
    try {
      return this.printNode(node, layout);
    } finally {
      this.stack.pop();
    }
  }

  /** Statements or members one per line, keeping a blank line where the source had one. */
  sequence(nodes: readonly ts.Node[], after: (n: ts.Node) => Doc = () => ""): Doc[] {
    const out: Doc[] = [];
    nodes.forEach((n, i) => {
      out.push(this.comments(n), this.print(n), after(n));
      if (i < nodes.length - 1) {
        out.push(hardline);
        if (this.isNextLineEmpty(n.end)) out.push(hardline);
      }
    });
    return out;
  }

  /** The comments before a node, each on its own line; JSDoc re-indented as prettier does. */
  comments(node: ts.Node): Doc {
    const ranges = ts.getLeadingCommentRanges(this.text, node.pos) ?? [];
    return ranges.map((r) => {
      const comment = this.text.slice(r.pos, r.end);
      const lines = comment.split("\n");
      const indentable = lines.length > 1 && lines.slice(1).every((l) => l.trimStart().startsWith("*"));
      const printed = indentable
        ? join(
            hardline,
            lines.map((l, i) => (i === 0 ? l.trimEnd() : " " + (i < lines.length - 1 ? l.trim() : l.trimStart()))),
          )
        : comment;
      return [printed, hardline];
    });
  }

  isNextLineEmpty(index: number): boolean {
    const text = this.text;
    let i = index;
    while (i < text.length && /[ \t,;]/.test(text[i]!)) i++;
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

  private printNode(node: ts.Node, layout?: AssignmentLayout): Doc {
    switch (node.kind) {
      case K.Identifier:
      case K.PrivateIdentifier:
        return (node as ts.Identifier).text;
      case K.StringLiteral:
      case K.NumericLiteral:
      case K.BigIntLiteral:
      case K.NoSubstitutionTemplateLiteral:
        return node.getText();
      case K.TrueKeyword:
        return "true";
      case K.FalseKeyword:
        return "false";
      case K.NullKeyword:
        return "null";
      case K.ThisKeyword:
        return "this";
      case K.SourceFile:
        return [this.sequence((node as ts.SourceFile).statements), hardline];
      case K.Block:
        return this.block((node as ts.Block).statements);
      case K.VariableStatement: {
        const n = node as ts.VariableStatement;
        return [this.modifiers(n), this.print(n.declarationList), ";"];
      }
      case K.VariableDeclarationList: {
        const n = node as ts.VariableDeclarationList;
        const keyword = n.flags & ts.NodeFlags.Const ? "const" : n.flags & ts.NodeFlags.Let ? "let" : "var";
        if (n.declarations.length !== 1) throw this.unsupported(node);
        return [keyword, " ", this.print(n.declarations[0]!)];
      }
      case K.VariableDeclaration: {
        const n = node as ts.VariableDeclaration;
        const left = [this.print(n.name), n.exclamationToken ? "!" : "", this.typeAnnotation(n.type)];
        return printAssignment(this, n, left, " =", n.initializer);
      }
      case K.ExpressionStatement:
        return [this.print((node as ts.ExpressionStatement).expression), ";"];
      case K.IfStatement:
        return this.ifStatement(node as ts.IfStatement);
      case K.ReturnStatement:
      case K.ThrowStatement: {
        const n = node as ts.ReturnStatement | ts.ThrowStatement;
        const keyword = node.kind === K.ThrowStatement ? "throw" : "return";
        if (!n.expression) return [keyword, ";"];
        const argument = this.print(n.expression);
        const wrapped = isBinaryish(n.expression)
          ? group([ifBreak("("), indent([softline, argument]), softline, ifBreak(")")])
          : argument;
        return [keyword, " ", wrapped, ";"];
      }
      case K.BreakStatement:
      case K.ContinueStatement: {
        const n = node as ts.BreakStatement;
        return [node.kind === K.BreakStatement ? "break" : "continue", n.label ? [" ", n.label.text] : "", ";"];
      }
      case K.LabeledStatement: {
        const n = node as ts.LabeledStatement;
        return [n.label.text, ": ", this.print(n.statement)];
      }
      case K.WhileStatement: {
        const n = node as ts.WhileStatement;
        return group(["while (", group([indent([softline, this.print(n.expression)]), softline]), ")", this.clause(n.statement)]);
      }
      case K.ForOfStatement: {
        const n = node as ts.ForOfStatement;
        return group(["for (", this.print(n.initializer), " of ", this.print(n.expression), ")", this.clause(n.statement)]);
      }
      case K.SwitchStatement: {
        const n = node as ts.SwitchStatement;
        const clauses = n.caseBlock.clauses;
        return [
          "switch (",
          group([indent([softline, this.print(n.expression)]), softline]),
          ") {",
          clauses.length ? indent([hardline, this.sequence(clauses)]) : "",
          hardline,
          "}",
        ];
      }
      case K.CaseClause:
      case K.DefaultClause: {
        const n = node as ts.CaseClause | ts.DefaultClause;
        const head: Doc = n.kind === K.CaseClause ? ["case ", this.print(n.expression), ":"] : "default:";
        const statements = n.statements.filter((s) => s.kind !== K.EmptyStatement);
        if (statements.length === 0) return head;
        if (statements.length === 1 && statements[0]!.kind === K.Block) return [head, " ", this.print(statements[0]!)];
        return [head, indent([hardline, this.sequence(statements)])];
      }
      case K.InterfaceDeclaration:
        return this.interfaceDeclaration(node as ts.InterfaceDeclaration);
      case K.EnumDeclaration: {
        const n = node as ts.EnumDeclaration;
        const members = n.members.length
          ? [indent([hardline, this.sequence(n.members, () => ",")]), hardline]
          : "";
        return [this.modifiers(n), "enum ", n.name.text, " {", members, "}"];
      }
      case K.EnumMember: {
        const n = node as ts.EnumMember;
        return n.initializer ? [this.print(n.name), " = ", this.print(n.initializer)] : this.print(n.name);
      }
      case K.TypeAliasDeclaration: {
        const n = node as ts.TypeAliasDeclaration;
        const left = [this.modifiers(n), "type ", n.name.text, this.typeParameters(n.typeParameters)];
        return [printAssignment(this, n, left, " =", n.type), ";"];
      }
      case K.FunctionDeclaration: {
        const n = node as ts.FunctionDeclaration;
        return [
          this.modifiers(n),
          "function ",
          n.name ? n.name.text : "",
          this.signature(n),
          n.body ? [" ", this.print(n.body)] : ";",
        ];
      }
      case K.MethodDeclaration: {
        const n = node as ts.MethodDeclaration;
        return [this.print(n.name), this.signature(n), " ", this.print(n.body!)];
      }
      case K.MethodSignature: {
        const n = node as ts.MethodSignature;
        return [this.print(n.name), n.questionToken ? "?" : "", this.signature(n)];
      }
      case K.PropertySignature: {
        const n = node as ts.PropertySignature;
        return [this.print(n.name), n.questionToken ? "?" : "", this.typeAnnotation(n.type)];
      }
      case K.IndexSignature: {
        const n = node as ts.IndexSignatureDeclaration;
        return ["[", join(", ", n.parameters.map((p) => this.print(p))), "]", this.typeAnnotation(n.type)];
      }
      case K.Parameter: {
        const n = node as ts.ParameterDeclaration;
        return [this.print(n.name), n.questionToken ? "?" : "", this.typeAnnotation(n.type)];
      }
      case K.TypeParameter: {
        const n = node as ts.TypeParameterDeclaration;
        return [
          n.name.text,
          n.constraint ? [" extends ", this.print(n.constraint)] : "",
          n.default ? [" = ", this.print(n.default)] : "",
        ];
      }
      case K.ObjectLiteralExpression:
        return this.objectLiteral(node as ts.ObjectLiteralExpression);
      case K.PropertyAssignment: {
        const n = node as ts.PropertyAssignment;
        return printAssignment(this, n, this.print(n.name), ":", n.initializer);
      }
      case K.ShorthandPropertyAssignment:
        return (node as ts.ShorthandPropertyAssignment).name.text;
      case K.ArrayLiteralExpression:
        return this.arrayLiteral(node as ts.ArrayLiteralExpression);
      case K.PropertyAccessExpression: {
        const n = node as ts.PropertyAccessExpression;
        return [this.print(n.expression), n.questionDotToken ? "?." : ".", this.print(n.name)];
      }
      case K.ElementAccessExpression: {
        const n = node as ts.ElementAccessExpression;
        const index = this.print(n.argumentExpression);
        const lookup =
          n.argumentExpression.kind === K.NumericLiteral
            ? ["[", index, "]"]
            : group(["[", indent([softline, index]), softline, "]"]);
        return [this.print(n.expression), lookup];
      }
      case K.CallExpression:
        return this.call(node as ts.CallExpression);
      case K.NewExpression: {
        const n = node as ts.NewExpression;
        return ["new ", this.print(n.expression), this.typeArguments(n.typeArguments), this.callArguments(n.arguments ?? [])];
      }
      case K.BinaryExpression: {
        const n = node as ts.BinaryExpression;
        if (n.operatorToken.kind === K.EqualsToken) return printAssignment(this, n, this.print(n.left), " =", n.right);
        return this.binaryish(n);
      }
      case K.PrefixUnaryExpression: {
        const n = node as ts.PrefixUnaryExpression;
        return [ts.tokenToString(n.operator)!, this.print(n.operand)];
      }
      case K.ConditionalExpression:
        return this.conditional(node as ts.ConditionalExpression);
      case K.AsExpression: {
        const n = node as ts.AsExpression;
        return [this.print(n.expression), " as ", this.print(n.type)];
      }
      case K.NonNullExpression:
        return [this.print((node as ts.NonNullExpression).expression), "!"];
      case K.ParenthesizedExpression:
        return ["(", this.print((node as ts.ParenthesizedExpression).expression), ")"];
      // Types
      case K.StringKeyword:
      case K.NumberKeyword:
      case K.BooleanKeyword:
      case K.BigIntKeyword:
      case K.UndefinedKeyword:
      case K.UnknownKeyword:
      case K.VoidKeyword:
      case K.NeverKeyword:
      case K.AnyKeyword:
      case K.ObjectKeyword:
        return ts.tokenToString(node.kind)!;
      case K.LiteralType:
        return this.print((node as ts.LiteralTypeNode).literal);
      case K.TypeReference: {
        const n = node as ts.TypeReferenceNode;
        return [this.print(n.typeName), this.typeArguments(n.typeArguments)];
      }
      case K.QualifiedName: {
        const n = node as ts.QualifiedName;
        return [this.print(n.left), ".", this.print(n.right)];
      }
      case K.ExpressionWithTypeArguments: {
        const n = node as ts.ExpressionWithTypeArguments;
        return [this.print(n.expression), this.typeArguments(n.typeArguments)];
      }
      case K.TypeQuery:
        return ["typeof ", this.print((node as ts.TypeQueryNode).exprName)];
      case K.ArrayType:
        return [this.print((node as ts.ArrayTypeNode).elementType), "[]"];
      case K.UnionType:
        return this.unionType(node as ts.UnionTypeNode, layout);
      case K.TypeLiteral:
        return this.typeLiteral(node as ts.TypeLiteralNode);
      case K.FunctionType: {
        const n = node as ts.FunctionTypeNode;
        return group([this.typeParameters(n.typeParameters), group(this.parameters(n)), " => ", this.print(n.type)]);
      }
      case K.TypeOperator: {
        const n = node as ts.TypeOperatorNode;
        return [ts.tokenToString(n.operator)!, " ", this.print(n.type)];
      }
      default:
        throw this.unsupported(node);
    }
  }

  unsupported(node: ts.Node): Error {
    const at = ts.getLineAndCharacterOfPosition(node.getSourceFile(), node.getStart());
    return new Error(`streampath's printer has no rule for ${K[node.kind]} at ${at.line + 1}:${at.character + 1}`);
  }

  modifiers(node: ts.HasModifiers): Doc {
    return (ts.getModifiers(node) ?? []).map((m) => [ts.tokenToString(m.kind)!, " "]);
  }

  typeAnnotation(type: ts.TypeNode | undefined): Doc {
    return type ? [": ", this.print(type)] : "";
  }

  block(statements: readonly ts.Statement[]): Doc {
    if (statements.length === 0) return "{}";
    return ["{", indent([hardline, this.sequence(statements)]), hardline, "}"];
  }

  /** The body of an if, while or for: a block after a space, else on the next line if it does not fit. */
  clause(body: ts.Statement, forceSpace = false): Doc {
    if (body.kind === K.EmptyStatement) return ";";
    if (body.kind === K.Block || forceSpace) return [" ", this.print(body)];
    return indent([line, this.print(body)]);
  }

  ifStatement(n: ts.IfStatement): Doc {
    const opening = group([
      "if (",
      group([indent([softline, this.print(n.expression)]), softline]),
      ")",
      this.clause(n.thenStatement),
    ]);
    if (!n.elseStatement) return opening;
    const elseOnSameLine = n.thenStatement.kind === K.Block;
    return [
      opening,
      elseOnSameLine ? " " : hardline,
      "else",
      group(this.clause(n.elseStatement, n.elseStatement.kind === K.IfStatement)),
    ];
  }

  interfaceDeclaration(n: ts.InterfaceDeclaration): Doc {
    const heritage = n.heritageClauses?.find((h) => h.token === K.ExtendsKeyword);
    const parts: Doc[] = [this.modifiers(n), "interface ", n.name.text, this.typeParameters(n.typeParameters)];
    if (heritage?.types.length === 1) {
      // One plain heritage never breaks (prettier's class printer outside "group mode").
      parts.push(" extends ", this.print(heritage.types[0]!));
    } else if (heritage) {
      const types = heritage.types.map((t) => this.print(t));
      parts[2] = group([n.name.text, this.typeParameters(n.typeParameters), indent([line, "extends", group(indent([line, join([",", line], types)]))])]);
      parts.pop();
    }
    parts.push(" ");
    if (n.members.length === 0) return [...parts, "{}"];
    return [...parts, "{", indent([hardline, this.sequence(n.members, () => ";")]), hardline, "}"];
  }

  typeLiteral(n: ts.TypeLiteralNode): Doc {
    if (n.members.length === 0) return "{}";
    const shouldBreak = this.hasNewlineBetween(n.getStart(), n.members[0]!.getStart());
    const members = n.members.map((m, i) => [i > 0 ? [";", line] : "", this.print(m)]);
    return group(["{", indent([line, ...members]), ifBreak(";"), line, "}"], { shouldBreak });
  }

  unionType(n: ts.UnionTypeNode, layout?: AssignmentLayout): Doc {
    if (shouldHugUnion(n)) return join(" | ", n.types.map((t) => this.print(t)));
    const printed = group(n.types.map((t, i) => [i === 0 ? ifBreak("| ") : [line, "| "], align(2, this.print(t))]));
    const parent = this.parent();
    const inTypeArguments = parent && (parent.kind === K.TypeReference || parent.kind === K.ExpressionWithTypeArguments);
    if (layout === "break-after-operator" || inTypeArguments) return printed;
    return group(indent([softline, printed]));
  }

  typeArguments(args: ts.NodeArray<ts.TypeNode> | undefined): Doc {
    if (!args) return "";
    if (args.length === 0) return "<>";
    if (args.length === 1 && shouldHugType(args[0]!)) return ["<", this.print(args[0]!), ">"];
    return group(["<", indent([softline, join([",", line], args.map((a) => this.print(a)))]), softline, ">"]);
  }

  typeParameters(params: ts.NodeArray<ts.TypeParameterDeclaration> | undefined): Doc {
    if (!params) return "";
    if (params.length === 1 && !params[0]!.constraint && !params[0]!.default) return ["<", this.print(params[0]!), ">"];
    return group(["<", indent([softline, join([",", line], params.map((p) => this.print(p)))]), ifBreak(","), softline, ">"]);
  }

  /** Parameters as prettier prints them: one a line with a trailing comma when they do not fit. */
  parameters(n: ts.SignatureDeclarationBase): Doc {
    const params = n.parameters;
    if (params.length === 0) return "()";
    if (params.length === 1 && shouldHugTheOnlyParameter(params[0]!)) return ["(", this.print(params[0]!), ")"];
    const printed = params.map((p) => this.print(p));
    return ["(", indent([softline, join([",", line], printed)]), ifBreak(","), softline, ")"];
  }

  /** Type parameters, parameters and return type, grouped as prettier groups a function's signature. */
  signature(n: ts.SignatureDeclarationBase): Doc {
    const returnType: Doc = n.type ? [": ", this.print(n.type)] : "";
    const params = this.parameters(n);
    const groupParams =
      !!n.type && n.parameters.length === 1 && (isObjectType(n.type) || willBreak(returnType));
    return group([this.typeParameters(n.typeParameters), groupParams ? group(params) : params, returnType]);
  }

  objectLiteral(n: ts.ObjectLiteralExpression): Doc {
    if (n.properties.length === 0) return "{}";
    const shouldBreak = this.hasNewlineBetween(n.getStart(), n.properties[0]!.getStart());
    const props: Doc[] = [];
    n.properties.forEach((p, i) => {
      if (i > 0) {
        props.push(",", line);
        if (this.isNextLineEmpty(n.properties[i - 1]!.end)) props.push(softline);
      }
      props.push(this.comments(p), group(this.print(p)));
    });
    return group(["{", indent([line, ...props]), ifBreak(","), line, "}"], { shouldBreak });
  }

  arrayLiteral(n: ts.ArrayLiteralExpression): Doc {
    if (n.elements.length === 0) return "[]";
    const id = Symbol("array");
    const concise = n.elements.length > 1 && n.elements.every(isSignedNumber);
    if (concise) {
      const parts: Doc[] = [];
      n.elements.forEach((e, i) => {
        const last = i === n.elements.length - 1;
        parts.push([this.print(e), last ? ifBreak(",", "", id) : ","]);
        if (!last) parts.push(line);
      });
      return group(["[", indent([softline, fill(parts)]), softline, "]"], { id });
    }
    const items = n.elements.map((e, i) => [group(this.print(e)), i < n.elements.length - 1 ? [",", line] : ""]);
    return group(["[", indent([softline, items, ifBreak(",")]), softline, "]"], { id });
  }

  call(n: ts.CallExpression): Doc {
    const callee = this.print(n.expression);
    const contents = [callee, this.typeArguments(n.typeArguments), this.callArguments(n.arguments)];
    // A call on a member is a member chain; with one call in it prettier prints it in one group.
    if (isMemberish(n.expression)) {
      if (countCallGroups(n) > 2) throw this.unsupported(n);
      return group(contents);
    }
    return n.expression.kind === K.CallExpression ? group(contents) : contents;
  }

  callArguments(args: readonly ts.Expression[]): Doc {
    if (args.length === 0) return "()";
    const printed: Doc[] = args.map((a, i) => (i < args.length - 1 ? [this.print(a), ",", line] : this.print(a)));
    const allBrokenOut = () => group(["(", indent([line, ...printed]), ifBreak(","), line, ")"], { shouldBreak: true });
    const last = args[args.length - 1]!;
    const penultimate = args[args.length - 2];
    if (couldExpandArgument(last) && (!penultimate || penultimate.kind !== last.kind)) {
      const head = printed.slice(0, -1);
      if (head.some(willBreak)) return allBrokenOut();
      const lastDoc = printed[printed.length - 1]!;
      if (willBreak(lastDoc)) {
        return [breakParent, conditionalGroup([["(", ...head, group(lastDoc, { shouldBreak: true }), ")"], allBrokenOut()])];
      }
      return conditionalGroup([
        ["(", ...head, lastDoc, ")"],
        ["(", ...head, group(lastDoc, { shouldBreak: true }), ")"],
        allBrokenOut(),
      ]);
    }
    return group(["(", indent([softline, ...printed]), ifBreak(","), softline, ")"], {
      shouldBreak: printed.some(willBreak),
    });
  }

  conditional(n: ts.ConditionalExpression): Doc {
    const parts = [
      this.print(n.condition),
      indent([line, "? ", align(2, this.print(n.whenTrue)), line, ": ", align(2, this.print(n.whenFalse))]),
    ];
    return group(parts);
  }

  binaryish(n: ts.BinaryExpression): Doc {
    const parent = this.parent()!;
    const insideParenthesis =
      (parent.kind === K.IfStatement || parent.kind === K.WhileStatement || parent.kind === K.SwitchStatement) &&
      (parent as ts.IfStatement).expression === n;
    const parts = this.binaryishParts(n, false, insideParenthesis);
    if (insideParenthesis) return parts;
    if (
      (parent.kind === K.CallExpression && (parent as ts.CallExpression).expression === (n as ts.Expression)) ||
      parent.kind === K.PrefixUnaryExpression ||
      parent.kind === K.PropertyAccessExpression
    ) {
      return group([indent([softline, ...parts]), softline]);
    }
    const grandparent = this.parent(2);
    const isReturnOrThrow = (x: ts.Node | undefined) => x?.kind === K.ReturnStatement || x?.kind === K.ThrowStatement;
    const shouldNotIndent =
      isReturnOrThrow(parent) ||
      (parent.kind === K.ConditionalExpression &&
        !isReturnOrThrow(grandparent) &&
        grandparent?.kind !== K.CallExpression &&
        grandparent?.kind !== K.NewExpression);
    const shouldIndentIfInlining =
      parent.kind === K.VariableDeclaration ||
      parent.kind === K.PropertyAssignment ||
      (parent.kind === K.BinaryExpression && (parent as ts.BinaryExpression).operatorToken.kind === K.EqualsToken);
    const inline = shouldInlineLogical(n);
    const samePrecedence = isBinaryish(n.left) && shouldFlatten(operatorOf(n), operatorOf(n.left as ts.BinaryExpression));
    if (shouldNotIndent || (inline && !samePrecedence) || (!inline && shouldIndentIfInlining)) return group(parts);
    const firstGroup = parts.findIndex((p) => typeof p === "object" && !Array.isArray(p) && p.kind === "group");
    const head = parts.slice(0, firstGroup === -1 ? 1 : firstGroup + 1);
    return group([...head, indent(parts.slice(head.length))]);
  }

  private binaryishParts(n: ts.Expression, nested: boolean, insideParenthesis: boolean): Doc[] {
    if (!isBinaryish(n)) return [group(this.print(n))];
    const b = n as ts.BinaryExpression;
    const operator = operatorOf(b);
    const printAt = (child: ts.Expression, f: () => Doc[]) => {
      this.stack.push(child);
      try {
        return f();
      } finally {
        this.stack.pop();
      }
    };
    const parts: Doc[] =
      isBinaryish(b.left) && shouldFlatten(operator, operatorOf(b.left as ts.BinaryExpression))
        ? printAt(b.left, () => this.binaryishParts(b.left, true, insideParenthesis))
        : [group(this.print(b.left))];
    const inline = shouldInlineLogical(b);
    let right: Doc = inline ? [operator, " ", this.print(b.right)] : [operator, line, this.print(b.right)];
    const parent = this.parent()!;
    const isLogical = (x: ts.Node) => x.kind === K.BinaryExpression && isLogicalOperator(operatorOf(x as ts.BinaryExpression));
    const typeOf = (x: ts.Node) => (x.kind === K.BinaryExpression ? (isLogical(x) ? "logical" : "binary") : K[x.kind]);
    const shouldGroup =
      !(insideParenthesis && isLogical(b)) &&
      typeOf(parent) !== typeOf(b) &&
      typeOf(b.left) !== typeOf(b) &&
      typeOf(b.right) !== typeOf(b);
    if (shouldGroup) right = group(right);
    parts.push(" ", right);
    void nested;
    return parts;
  }
}

export function isBinaryish(n: ts.Node): boolean {
  return n.kind === K.BinaryExpression && (n as ts.BinaryExpression).operatorToken.kind !== K.EqualsToken;
}

function operatorOf(n: ts.BinaryExpression): string {
  return ts.tokenToString(n.operatorToken.kind)!;
}

function isLogicalOperator(op: string): boolean {
  return op === "&&" || op === "||" || op === "??";
}

export function shouldInlineLogical(n: ts.Node): boolean {
  if (!isBinaryish(n) || !isLogicalOperator(operatorOf(n as ts.BinaryExpression))) return false;
  const right = (n as ts.BinaryExpression).right;
  return (
    (right.kind === K.ObjectLiteralExpression && (right as ts.ObjectLiteralExpression).properties.length > 0) ||
    (right.kind === K.ArrayLiteralExpression && (right as ts.ArrayLiteralExpression).elements.length > 0)
  );
}

const PRECEDENCE: Record<string, number> = {};
[["??"], ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "===", "!=", "!=="], ["<", ">", "<=", ">=", "in", "instanceof"], [">>", "<<", ">>>"], ["+", "-"], ["*", "/", "%"], ["**"]].forEach(
  (ops, i) => ops.forEach((op) => (PRECEDENCE[op] = i)),
);

function shouldFlatten(parentOp: string, nodeOp: string): boolean {
  if (PRECEDENCE[nodeOp] !== PRECEDENCE[parentOp]) return false;
  if (parentOp === "**") return false;
  const equality = ["==", "!=", "===", "!=="];
  if (equality.includes(parentOp) && equality.includes(nodeOp)) return false;
  const multiplicative = ["*", "/", "%"];
  if ((nodeOp === "%" && multiplicative.includes(parentOp)) || (parentOp === "%" && multiplicative.includes(nodeOp))) return false;
  if (nodeOp !== parentOp && multiplicative.includes(nodeOp) && multiplicative.includes(parentOp)) return false;
  const shift = [">>", ">>>", "<<"];
  if (shift.includes(parentOp) && shift.includes(nodeOp)) return false;
  return true;
}

function isMemberish(n: ts.Node): boolean {
  return n.kind === K.PropertyAccessExpression || n.kind === K.ElementAccessExpression || n.kind === K.NonNullExpression;
}

/**
 * The groups prettier's member chain splits a call chain into: the head
 * (the first object and the member accesses that follow it directly), then
 * one group per `.name(...)`. Two or fewer print on one line.
 */
function countCallGroups(call: ts.CallExpression): number {
  const nodes: ts.Node[] = [];
  let x: ts.Node = call;
  for (;;) {
    if (x.kind === K.CallExpression) {
      nodes.unshift(x);
      x = (x as ts.CallExpression).expression;
    } else if (isMemberish(x)) {
      nodes.unshift(x);
      x = (x as ts.PropertyAccessExpression).expression;
    } else break;
  }
  nodes.unshift(x);
  let i = 1;
  while (i < nodes.length && (nodes[i]!.kind === K.CallExpression)) i++;
  if (nodes[0]!.kind !== K.CallExpression) while (i + 1 < nodes.length && isMemberish(nodes[i]!) && isMemberish(nodes[i + 1]!)) i++;
  let groups = 1;
  let seenCall = false;
  let open = false;
  for (; i < nodes.length; i++) {
    if (seenCall && isMemberish(nodes[i]!)) {
      groups++;
      open = false;
      seenCall = false;
    }
    if (nodes[i]!.kind === K.CallExpression) seenCall = true;
    open = true;
  }
  return groups + (open ? 1 : 0);
}

function isSignedNumber(n: ts.Node): boolean {
  return (
    n.kind === K.NumericLiteral ||
    (n.kind === K.PrefixUnaryExpression &&
      ((n as ts.PrefixUnaryExpression).operator === K.MinusToken || (n as ts.PrefixUnaryExpression).operator === K.PlusToken) &&
      (n as ts.PrefixUnaryExpression).operand.kind === K.NumericLiteral)
  );
}

function couldExpandArgument(n: ts.Expression): boolean {
  if (n.kind === K.ObjectLiteralExpression) return (n as ts.ObjectLiteralExpression).properties.length > 0;
  if (n.kind === K.ArrayLiteralExpression) return (n as ts.ArrayLiteralExpression).elements.length > 0;
  if (n.kind === K.AsExpression) return couldExpandArgument((n as ts.AsExpression).expression);
  return n.kind === K.FunctionExpression;
}

export function isObjectType(n: ts.TypeNode): boolean {
  return n.kind === K.TypeLiteral || n.kind === K.MappedType;
}

function isSimpleType(n: ts.TypeNode): boolean {
  if (n.kind === K.TypeReference) return !(n as ts.TypeReferenceNode).typeArguments;
  return (
    n.kind >= K.FirstKeyword && n.kind <= K.LastKeyword // string, number, undefined, …
  );
}

function shouldHugType(n: ts.TypeNode): boolean {
  if (isSimpleType(n) || isObjectType(n)) return true;
  return n.kind === K.UnionType && shouldHugUnion(n as ts.UnionTypeNode);
}

function shouldHugUnion(n: ts.UnionTypeNode): boolean {
  const objectLike = (t: ts.TypeNode) => t.kind === K.TypeLiteral || t.kind === K.TypeReference;
  const isVoid = (t: ts.TypeNode) =>
    t.kind === K.VoidKeyword || (t.kind === K.LiteralType && (t as ts.LiteralTypeNode).literal.kind === K.NullKeyword);
  const object = n.types.find(objectLike);
  return !!object && n.types.every((t) => t === object || isVoid(t));
}

function shouldHugTheOnlyParameter(p: ts.ParameterDeclaration): boolean {
  return (
    p.name.kind === K.ObjectBindingPattern ||
    p.name.kind === K.ArrayBindingPattern ||
    (!!p.type && isObjectType(p.type))
  );
}

export { canBreak, indentIfBreak, lineSuffixBoundary };
