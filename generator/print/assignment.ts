/**
 * `left = right`, `key: value`, `type T = …`: prettier picks one of a few
 * layouts from the shape of both sides (break after the operator, never,
 * or "fluid": the right side moves to the next line only if its head does
 * not fit). The choice below is prettier's `chooseLayout`, for the shapes
 * generated code has.
 */
import { type Doc, canBreak, group, indent, indentIfBreak, line } from "./doc.js";
import { isBinaryish, shouldInlineLogical } from "./expressions.js";
import { shouldHugUnion } from "./types.js";
import type { Node } from "./syntax.js";
import type { TsPrinter } from "./typescript.js";

export type AssignmentLayout = "break-after-operator" | "never-break-after-operator" | "fluid" | "break-lhs" | "only-left";

export function printAssignment(printer: TsPrinter, node: Node, left: Doc, operator: string, right: Node | undefined): Doc {
  const layout = chooseLayout(node, left, right);
  const rightDoc = right ? printer.print(right, layout) : "";
  switch (layout) {
    case "break-after-operator":
      return group([group(left), operator, group(indent([line, rightDoc]))]);
    case "never-break-after-operator":
      return group([group(left), operator, " ", rightDoc]);
    case "fluid": {
      const id = Symbol("assignment");
      return group([group(left), operator, group(indent(line), { id }), indentIfBreak(rightDoc, id)]);
    }
    case "break-lhs":
      return group([left, operator, " ", group(rightDoc)]);
    case "only-left":
      return left;
  }
}

function chooseLayout(node: Node, left: Doc, right: Node | undefined): AssignmentLayout {
  if (!right) return "only-left";
  // `a = b = c` chains are not generated.
  if (right.kind === "UnionType" && !shouldHugUnion(right)) return "break-after-operator";
  if (node.kind === "VariableDeclaration" && hasComplexTypeAnnotation(node)) return "break-lhs";
  // Wrapping the value of a key shorter than tab width + 3 gains nothing.
  const hasShortKey = node.kind === "PropertyAssignment" && typeof left === "string" && left.length < 2 + 3;
  if (shouldBreakAfterOperator(right, hasShortKey)) return "break-after-operator";
  // Numbers, not bigints: prettier's isNumericLiteral.
  const literal = right.kind === "Literal" && /^[0-9.]/.test(right.text!) && !right.text!.endsWith("n");
  const boolean = right.kind === "Identifier" && (right.text === "true" || right.text === "false");
  if (!canBreak(left) && (hasShortKey || literal || boolean)) return "never-break-after-operator";
  return "fluid";
}

function shouldBreakAfterOperator(right: Node, hasShortKey: boolean): boolean {
  if (isBinaryish(right) && !shouldInlineLogical(right)) return true;
  if (right.kind === "ConditionalExpression") return isBinaryish(right.condition!) && !shouldInlineLogical(right.condition!);
  if (hasShortKey) return false;
  let node = right;
  while (node.kind === "PrefixUnaryExpression" || node.kind === "NonNullExpression") node = node.expression!;
  return (node.kind === "Literal" && /^["']/.test(node.text!)) || isPoorlyBreakableMemberOrCallChain(node);
}

/** A chain with no calls, or whose calls take nothing or one short argument: breaking inside it helps nobody. */
function isPoorlyBreakableMemberOrCallChain(node: Node, deep = false): boolean {
  switch (node.kind) {
    case "CallExpression": {
      const args = node.arguments!;
      if (!(args.length === 0 || (args.length === 1 && isLoneShortArgument(args[0]!)))) return false;
      return isPoorlyBreakableMemberOrCallChain(node.expression!, true);
    }
    case "PropertyAccessExpression":
    case "ElementAccessExpression":
    case "NonNullExpression":
      return isPoorlyBreakableMemberOrCallChain(node.expression!, true);
    default:
      return deep && node.kind === "Identifier";
  }
}

/** An argument no longer than a quarter of the line (prettier's isLoneShortArgument). */
function isLoneShortArgument(arg: Node): boolean {
  const threshold = 80 * 0.25;
  switch (arg.kind) {
    case "Identifier":
    case "Literal":
      return arg.text!.length <= threshold || (arg.kind === "Literal" && !/^["']/.test(arg.text!));
    case "PrefixUnaryExpression":
      return isLoneShortArgument(arg.expression!);
    case "CallExpression":
      return arg.arguments!.length === 0 && arg.expression!.kind === "Identifier" && arg.expression!.text!.length <= threshold - 2;
    default:
      return false;
  }
}

/** `const x: A<B<C>, D> = …`: several type arguments, one of them generic. */
function hasComplexTypeAnnotation(node: Node): boolean {
  const args = node.type?.kind === "TypeReference" ? node.type.typeArguments : undefined;
  return !!args && args.length > 1 && args.some((a) => a.kind === "TypeReference" && !!a.typeArguments?.length);
}
