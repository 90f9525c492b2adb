/**
 * Types and signatures as prettier prints them: unions broken with leading
 * bars (indented after a property's colon), type literals kept expanded
 * when the source breaks after `{`, type arguments hugged when simple,
 * parameters one a line with a trailing comma when they do not fit.
 */
import { type Doc, align, group, ifBreak, indent, join, line, softline } from "./doc.js";
import type { AssignmentLayout } from "./assignment.js";
import type { Node } from "./syntax.js";
import type { TsPrinter } from "./typescript.js";

export function typeAnnotation(printer: TsPrinter, type: Node | undefined): Doc {
  return type ? [": ", printer.print(type)] : "";
}

export function typeLiteral(printer: TsPrinter, n: Node): Doc {
  const members = n.children!;
  if (members.length === 0) return "{}";
  const shouldBreak = printer.hasNewlineBetween(n.start, members[0]!.start);
  const parts = members.map((m, i) => [i > 0 ? [";", line] : "", printer.print(m)]);
  return group(["{", indent([line, ...parts]), ifBreak(";"), line, "}"], { shouldBreak });
}

export function unionType(printer: TsPrinter, n: Node, layout?: AssignmentLayout): Doc {
  const types = n.children!;
  if (shouldHugUnion(n)) return join(" | ", types.map((t) => printer.print(t)));
  const printed = group(types.map((t, i) => [i === 0 ? ifBreak("| ") : [line, "| "], align(2, printer.print(t))]));
  const parent = printer.parent();
  // Inside type arguments the union is not indented again.
  const inTypeArguments = parent?.kind === "TypeReference";
  if (layout === "break-after-operator" || inTypeArguments) return printed;
  return group(indent([softline, printed]));
}

export function typeArguments(printer: TsPrinter, args: Node[] | undefined): Doc {
  if (!args) return "";
  if (args.length === 0) return "<>";
  if (args.length === 1 && shouldHugType(args[0]!)) return ["<", printer.print(args[0]!), ">"];
  return group(["<", indent([softline, join([",", line], args.map((a) => printer.print(a)))]), softline, ">"]);
}

export function typeParameters(printer: TsPrinter, params: Node[] | undefined): Doc {
  if (!params) return "";
  if (params.length === 1 && !params[0]!.constraint && !params[0]!.default) return ["<", printer.print(params[0]!), ">"];
  return group(["<", indent([softline, join([",", line], params.map((p) => printer.print(p)))]), ifBreak(","), softline, ">"]);
}

/** Parameters as prettier prints them: one a line with a trailing comma when they do not fit. */
export function parameters(printer: TsPrinter, n: Node): Doc {
  const params = n.parameters!;
  if (params.length === 0) return "()";
  if (params.length === 1 && params[0]!.type && isObjectType(params[0]!.type)) return ["(", printer.print(params[0]!), ")"];
  const printed = params.map((p) => printer.print(p));
  return ["(", indent([softline, join([",", line], printed)]), ifBreak(","), softline, ")"];
}

/** Type parameters, parameters and return type, grouped as prettier groups a function's signature. */
export function signature(printer: TsPrinter, n: Node): Doc {
  const returnType: Doc = n.type ? [": ", printer.print(n.type)] : "";
  const params = parameters(printer, n);
  const groupParams = !!n.type && n.parameters!.length === 1 && (isObjectType(n.type) || printer.willBreak(returnType));
  return group([typeParameters(printer, n.typeParameters), groupParams ? group(params) : params, returnType]);
}

function isObjectType(n: Node): boolean {
  return n.kind === "TypeLiteral";
}

function isSimpleType(n: Node): boolean {
  return n.kind === "KeywordType" || (n.kind === "TypeReference" && !n.typeArguments);
}

function shouldHugType(n: Node): boolean {
  if (isSimpleType(n) || isObjectType(n)) return true;
  return n.kind === "UnionType" && shouldHugUnion(n);
}

/** `{ … } | null`: one object-like type and only void or null beside it stays on the line. */
export function shouldHugUnion(n: Node): boolean {
  const types = n.children!;
  const object = types.find((t) => t.kind === "TypeLiteral" || t.kind === "TypeReference");
  const isVoid = (t: Node) => t.kind === "KeywordType" && (t.text === "void" || t.text === "null");
  return !!object && types.every((t) => t === object || isVoid(t));
}
