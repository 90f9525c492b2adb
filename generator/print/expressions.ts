/**
 * Expressions as prettier prints them: calls (arguments broken one a line,
 * or the last object argument hugged), member chains of one call, binary
 * chains with prettier's indentation by context, object literals kept
 * expanded when the source breaks after `{`, arrays of numbers filled.
 */
import {
  type Doc,
  align,
  breakParent,
  conditionalGroup,
  fill,
  group,
  ifBreak,
  indent,
  line,
  softline,
} from "./doc.js";
import type { Node } from "./syntax.js";
import type { TsPrinter } from "./typescript.js";

export function elementAccess(printer: TsPrinter, n: Node): Doc {
  const index = printer.print(n.right!);
  return n.right!.kind === "Literal" && /^[0-9]/.test(n.right!.text!)
    ? ["[", index, "]"]
    : group(["[", indent([softline, index]), softline, "]"]);
}

export function objectLiteral(printer: TsPrinter, n: Node): Doc {
  const properties = n.children!;
  if (properties.length === 0) return "{}";
  const shouldBreak = printer.hasNewlineBetween(n.start, properties[0]!.start);
  const parts: Doc[] = [];
  properties.forEach((p, i) => {
    if (i > 0) {
      parts.push(",", line);
      if (printer.isNextLineEmpty(properties[i - 1]!.end)) parts.push(softline);
    }
    parts.push(printer.comments(p), group(printer.print(p)));
  });
  return group(["{", indent([line, ...parts]), ifBreak(","), line, "}"], { shouldBreak });
}

export function arrayLiteral(printer: TsPrinter, n: Node): Doc {
  const elements = n.children!;
  if (elements.length === 0) return "[]";
  const id = Symbol("array");
  if (elements.length > 1 && elements.every(isSignedNumber)) {
    // Numbers fill the line, as many as fit, with a trailing comma only when broken.
    const parts: Doc[] = [];
    elements.forEach((e, i) => {
      const last = i === elements.length - 1;
      parts.push([printer.print(e), last ? ifBreak(",", "", id) : ","]);
      if (!last) parts.push(line);
    });
    return group(["[", indent([softline, fill(parts)]), softline, "]"], { id });
  }
  const items = elements.map((e, i) => [group(printer.print(e)), i < elements.length - 1 ? [",", line] : ""]);
  return group(["[", indent([softline, items, ifBreak(",")]), softline, "]"], { id });
}

/**
 * `a.b`: prettier may break before the dot, unless the access is short
 * (`name.property` not itself accessed) or sits in a `new` or on the left of
 * an assignment to a member.
 */
export function propertyAccess(printer: TsPrinter, n: Node): Doc {
  const lookup = [n.optional ? "?." : ".", printer.print(n.name!)];
  let level = 1;
  while (isMemberish(printer.parent(level) ?? n)) level++;
  const outside = printer.parent(level);
  const inline =
    outside?.kind === "NewExpression" ||
    (outside?.kind === "BinaryExpression" && outside.text === "=" && outside.left!.kind !== "Identifier") ||
    (n.expression!.kind === "Identifier" && !isMemberish(printer.parent()!));
  return [printer.print(n.expression!), inline ? lookup : group(indent([softline, lookup]))];
}

export function call(printer: TsPrinter, n: Node): Doc {
  // A call on a member is a member chain; with at most two groups prettier prints it on one line,
  // its accesses without the breaks propertyAccess allows.
  if (isMemberish(n.expression!)) {
    if (countCallGroups(n) > 2) throw printer.unsupported(n);
    return group([chainCallee(printer, n.expression!), callArguments(printer, n.arguments!)]);
  }
  const contents = [printer.print(n.expression!), callArguments(printer, n.arguments!)];
  return n.expression!.kind === "CallExpression" ? group(contents) : contents;
}

function chainCallee(printer: TsPrinter, n: Node): Doc {
  return printer.at(n, () => {
    switch (n.kind) {
      case "PropertyAccessExpression":
        return [chainCallee(printer, n.expression!), n.optional ? "?." : ".", printer.print(n.name!)];
      case "ElementAccessExpression":
        return [chainCallee(printer, n.expression!), elementAccess(printer, n)];
      case "NonNullExpression":
        return [chainCallee(printer, n.expression!), "!"];
      case "CallExpression":
        return [chainCallee(printer, n.expression!), callArguments(printer, n.arguments!)];
      default:
        return printer.print(n);
    }
  });
}

export function callArguments(printer: TsPrinter, args: readonly Node[]): Doc {
  if (args.length === 0) return "()";
  const printed: Doc[] = args.map((a, i) => (i < args.length - 1 ? [printer.print(a), ",", line] : printer.print(a)));
  const allBrokenOut = () => group(["(", indent([line, ...printed]), ifBreak(","), line, ")"], { shouldBreak: true });
  const last = args[args.length - 1]!;
  const penultimate = args[args.length - 2];
  if (couldExpandArgument(last) && (!penultimate || penultimate.kind !== last.kind)) {
    const head = printed.slice(0, -1);
    if (head.some((d) => printer.willBreak(d))) return allBrokenOut();
    const lastDoc = printed[printed.length - 1]!;
    if (printer.willBreak(lastDoc)) {
      return [breakParent, conditionalGroup([["(", ...head, group(lastDoc, { shouldBreak: true }), ")"], allBrokenOut()])];
    }
    return conditionalGroup([
      ["(", ...head, lastDoc, ")"],
      ["(", ...head, group(lastDoc, { shouldBreak: true }), ")"],
      allBrokenOut(),
    ]);
  }
  return group(["(", indent([softline, ...printed]), ifBreak(","), softline, ")"], { shouldBreak: printed.some((d) => printer.willBreak(d)) });
}

export function conditional(printer: TsPrinter, n: Node): Doc {
  return group([
    printer.print(n.condition!),
    indent([line, "? ", align(2, printer.print(n.whenTrue!)), line, ": ", align(2, printer.print(n.whenFalse!))]),
  ]);
}

/** `a op b`, chained operators of one precedence printed flat, as prettier's printBinaryish. */
export function binaryish(printer: TsPrinter, n: Node): Doc {
  const parent = printer.parent()!;
  const insideParenthesis =
    (parent.kind === "IfStatement" || parent.kind === "WhileStatement") && parent.condition === n
      ? true
      : parent.kind === "SwitchStatement" && parent.expression === n;
  const parts = binaryishParts(printer, n, insideParenthesis);
  if (insideParenthesis) return parts;
  if (
    (parent.kind === "CallExpression" && parent.expression === n) ||
    parent.kind === "PrefixUnaryExpression" ||
    parent.kind === "PropertyAccessExpression"
  ) {
    return group([indent([softline, ...parts]), softline]);
  }
  const grandparent = printer.parent(2);
  const isReturnOrThrow = (x: Node | undefined) => x?.kind === "ReturnStatement" || x?.kind === "ThrowStatement";
  const shouldNotIndent =
    isReturnOrThrow(parent) ||
    (parent.kind === "ConditionalExpression" &&
      !isReturnOrThrow(grandparent) &&
      grandparent?.kind !== "CallExpression" &&
      grandparent?.kind !== "NewExpression");
  const shouldIndentIfInlining =
    parent.kind === "VariableDeclaration" ||
    parent.kind === "PropertyAssignment" ||
    (parent.kind === "BinaryExpression" && parent.text === "=");
  const inline = shouldInlineLogical(n);
  const samePrecedence = isBinaryish(n.left!) && shouldFlatten(n.text!, n.left!.text!);
  if (shouldNotIndent || (inline && !samePrecedence) || (!inline && shouldIndentIfInlining)) return group(parts);
  const firstGroup = parts.findIndex((p) => typeof p === "object" && !Array.isArray(p) && p.kind === "group");
  const head = parts.slice(0, firstGroup === -1 ? 1 : firstGroup + 1);
  return group([...head, indent(parts.slice(head.length))]);
}

function binaryishParts(printer: TsPrinter, n: Node, insideParenthesis: boolean): Doc[] {
  const left = n.left!;
  const parts: Doc[] =
    isBinaryish(left) && shouldFlatten(n.text!, left.text!)
      ? printer.at(left, () => binaryishParts(printer, left, insideParenthesis))
      : [group(printer.print(left))];
  const inline = shouldInlineLogical(n);
  let right: Doc = inline ? [n.text!, " ", printer.print(n.right!)] : [n.text!, line, printer.print(n.right!)];
  const parent = printer.parent()!;
  const kindOf = (x: Node) => (isBinaryish(x) ? (isLogicalOperator(x.text!) ? "logical" : "binary") : x.kind);
  const shouldGroup =
    !(insideParenthesis && kindOf(n) === "logical") &&
    kindOf(parent) !== kindOf(n) &&
    kindOf(left) !== kindOf(n) &&
    kindOf(n.right!) !== kindOf(n);
  if (shouldGroup) right = group(right);
  parts.push(" ", right);
  return parts;
}

export function isBinaryish(n: Node): boolean {
  return n.kind === "BinaryExpression" && n.text !== "=";
}

function isLogicalOperator(op: string): boolean {
  return op === "&&" || op === "||" || op === "??";
}

/** `a ?? { … }`: a logical expression whose right side is a non-empty object or array stays on the line. */
export function shouldInlineLogical(n: Node): boolean {
  if (!isBinaryish(n) || !isLogicalOperator(n.text!)) return false;
  const right = n.right!;
  return (right.kind === "ObjectLiteralExpression" || right.kind === "ArrayLiteralExpression") && right.children!.length > 0;
}

const PRECEDENCE: Record<string, number> = {};
[["??"], ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "===", "!=", "!=="], ["<", ">", "<=", ">=", "in", "instanceof"], [">>", "<<", ">>>"], ["+", "-"], ["*", "/", "%"], ["**"]].forEach(
  (ops, i) => ops.forEach((op) => (PRECEDENCE[op] = i)),
);

function shouldFlatten(parentOp: string, nodeOp: string): boolean {
  if (PRECEDENCE[nodeOp] !== PRECEDENCE[parentOp] || parentOp === "**") return false;
  const equality = ["==", "!=", "===", "!=="];
  if (equality.includes(parentOp) && equality.includes(nodeOp)) return false;
  const multiplicative = ["*", "/", "%"];
  if ((nodeOp === "%" && multiplicative.includes(parentOp)) || (parentOp === "%" && multiplicative.includes(nodeOp))) return false;
  if (nodeOp !== parentOp && multiplicative.includes(nodeOp) && multiplicative.includes(parentOp)) return false;
  const shift = [">>", ">>>", "<<"];
  return !(shift.includes(parentOp) && shift.includes(nodeOp));
}

function isMemberish(n: Node): boolean {
  return n.kind === "PropertyAccessExpression" || n.kind === "ElementAccessExpression" || n.kind === "NonNullExpression";
}

/**
 * The groups prettier's member chain splits a call chain into: the head
 * (the first object and the member accesses that follow it directly), then
 * one group per `.name(...)`.
 */
function countCallGroups(callNode: Node): number {
  const nodes: Node[] = [];
  let x: Node = callNode;
  while (x.kind === "CallExpression" || isMemberish(x)) {
    nodes.unshift(x);
    x = x.expression!;
  }
  nodes.unshift(x);
  let i = 1;
  while (i < nodes.length && nodes[i]!.kind === "CallExpression") i++;
  if (nodes[0]!.kind !== "CallExpression") while (i + 1 < nodes.length && isMemberish(nodes[i]!) && isMemberish(nodes[i + 1]!)) i++;
  let groups = 1;
  let open = false;
  let seenCall = false;
  for (; i < nodes.length; i++) {
    if (seenCall && isMemberish(nodes[i]!)) {
      groups++;
      seenCall = false;
    }
    if (nodes[i]!.kind === "CallExpression") seenCall = true;
    open = true;
  }
  return groups + (open ? 1 : 0);
}

function isSignedNumber(n: Node): boolean {
  if (n.kind === "PrefixUnaryExpression" && (n.text === "-" || n.text === "+")) return isSignedNumber(n.expression!);
  return n.kind === "Literal" && /^[0-9.]/.test(n.text!) && !n.text!.endsWith("n");
}

function couldExpandArgument(n: Node): boolean {
  if (n.kind === "ObjectLiteralExpression" || n.kind === "ArrayLiteralExpression") return n.children!.length > 0;
  if (n.kind === "AsExpression") return couldExpandArgument(n.expression!);
  return false;
}
