/**
 * `left = right`, `key: value`, `type T = …`: prettier picks one of a few
 * layouts from the shape of both sides (break after the operator, never,
 * or "fluid": the right side moves to the next line only if its head does
 * not fit). The choice below is prettier's `chooseLayout`, for the shapes
 * generated code has.
 */
import ts from "typescript";
import { type Doc, canBreak, group, indent, indentIfBreak, line, lineSuffixBoundary } from "./doc.js";
import { type TsPrinter, isBinaryish, shouldInlineLogical } from "./typescript.js";

const K = ts.SyntaxKind;

export type AssignmentLayout = "break-after-operator" | "never-break-after-operator" | "fluid" | "break-lhs" | "only-left";

export function printAssignment(
  printer: TsPrinter,
  node: ts.Node,
  left: Doc,
  operator: string,
  right: ts.Node | undefined,
): Doc {
  const layout = chooseLayout(node, left, right);
  const rightDoc = right ? printer.print(right, layout) : "";
  switch (layout) {
    case "break-after-operator":
      return group([group(left), operator, group(indent([line, rightDoc]))]);
    case "never-break-after-operator":
      return group([group(left), operator, " ", rightDoc]);
    case "fluid": {
      const id = Symbol("assignment");
      return group([group(left), operator, group(indent(line), { id }), lineSuffixBoundary, indentIfBreak(rightDoc, id)]);
    }
    case "break-lhs":
      return group([left, operator, " ", group(rightDoc)]);
    case "only-left":
      return left;
  }
}

function chooseLayout(node: ts.Node, left: Doc, right: ts.Node | undefined): AssignmentLayout {
  if (!right) return "only-left";
  // `a = b = c` chains are not generated.
  if (right.kind === K.UnionType && !hugsUnion(right as ts.UnionTypeNode)) return "break-after-operator";
  const canBreakLeft = canBreak(left);
  if (node.kind === K.VariableDeclaration && hasComplexTypeAnnotation(node as ts.VariableDeclaration)) return "break-lhs";
  const hasShortKey = node.kind === K.PropertyAssignment && typeof left === "string" && left.length < 2 + 3;
  if (shouldBreakAfterOperator(right, hasShortKey)) return "break-after-operator";
  if (
    !canBreakLeft &&
    (hasShortKey ||
      right.kind === K.TemplateExpression ||
      right.kind === K.NoSubstitutionTemplateLiteral ||
      right.kind === K.TrueKeyword ||
      right.kind === K.FalseKeyword ||
      right.kind === K.NumericLiteral)
  ) {
    return "never-break-after-operator";
  }
  return "fluid";
}

function shouldBreakAfterOperator(right: ts.Node, hasShortKey: boolean): boolean {
  if (isBinaryish(right) && !shouldInlineLogical(right)) return true;
  if (right.kind === K.ConditionalExpression) {
    const test = (right as ts.ConditionalExpression).condition;
    return isBinaryish(test) && !shouldInlineLogical(test);
  }
  if (hasShortKey) return false;
  let node = right;
  for (;;) {
    if (node.kind === K.PrefixUnaryExpression) node = (node as ts.PrefixUnaryExpression).operand;
    else if (node.kind === K.NonNullExpression) node = (node as ts.NonNullExpression).expression;
    else break;
  }
  return node.kind === K.StringLiteral || isPoorlyBreakableMemberOrCallChain(node);
}

/** A chain with no calls, or whose calls take nothing or one short argument: breaking inside it helps nobody. */
function isPoorlyBreakableMemberOrCallChain(node: ts.Node, deep = false): boolean {
  if (node.kind === K.CallExpression) {
    const call = node as ts.CallExpression;
    const args = call.arguments;
    const poor = args.length === 0 || (args.length === 1 && isLoneShortArgument(args[0]!));
    if (!poor || (call.typeArguments && call.typeArguments.length > 0)) return false;
    return isPoorlyBreakableMemberOrCallChain(call.expression, true);
  }
  if (node.kind === K.PropertyAccessExpression || node.kind === K.ElementAccessExpression) {
    return isPoorlyBreakableMemberOrCallChain((node as ts.PropertyAccessExpression).expression, true);
  }
  if (node.kind === K.NonNullExpression) return isPoorlyBreakableMemberOrCallChain((node as ts.NonNullExpression).expression, true);
  return deep && (node.kind === K.Identifier || node.kind === K.ThisKeyword);
}

function isLoneShortArgument(arg: ts.Expression): boolean {
  const threshold = 80 * 0.25;
  switch (arg.kind) {
    case K.ThisKeyword:
      return true;
    case K.Identifier:
      return (arg as ts.Identifier).text.length <= threshold;
    case K.StringLiteral:
      return arg.getText().length <= threshold;
    case K.PrefixUnaryExpression:
      return isLoneShortArgument((arg as ts.PrefixUnaryExpression).operand);
    case K.CallExpression: {
      const call = arg as ts.CallExpression;
      return call.arguments.length === 0 && call.expression.kind === K.Identifier && call.expression.getText().length <= threshold - 2;
    }
    default:
      return [K.NumericLiteral, K.BigIntLiteral, K.TrueKeyword, K.FalseKeyword, K.NullKeyword, K.NoSubstitutionTemplateLiteral].includes(arg.kind);
  }
}

/** `const x: A<B<C>, D> = …`: several type arguments, one of them generic. */
function hasComplexTypeAnnotation(node: ts.VariableDeclaration): boolean {
  const type = node.type;
  if (!type || type.kind !== K.TypeReference) return false;
  const args = (type as ts.TypeReferenceNode).typeArguments;
  return !!args && args.length > 1 && args.some((a) => a.kind === K.TypeReference && !!(a as ts.TypeReferenceNode).typeArguments?.length);
}

function hugsUnion(n: ts.UnionTypeNode): boolean {
  const object = n.types.find((t) => t.kind === K.TypeLiteral || t.kind === K.TypeReference);
  return !!object && n.types.every((t) => t === object || t.kind === K.VoidKeyword || (t.kind === K.LiteralType && (t as ts.LiteralTypeNode).literal.kind === K.NullKeyword));
}

export type { TsPrinter };
