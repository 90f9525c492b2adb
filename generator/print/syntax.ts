/**
 * The syntax tree of generated code, for the printer: the small part of
 * TypeScript the emitters write (declarations, statements, calls, member
 * access, binary and conditional expressions, object and array literals,
 * type references, unions and type literals), named as TypeScript names it.
 * Generated code only, so a parser of a few hundred lines replaces loading
 * the TypeScript compiler (half a second of every run) on the generate path.
 */

export type Kind =
  | "SourceFile"
  | "Identifier"
  | "Literal"
  | "VariableStatement"
  | "VariableDeclaration"
  | "ExpressionStatement"
  | "IfStatement"
  | "ReturnStatement"
  | "ThrowStatement"
  | "BreakStatement"
  | "ContinueStatement"
  | "LabeledStatement"
  | "WhileStatement"
  | "ForOfStatement"
  | "SwitchStatement"
  | "CaseClause"
  | "DefaultClause"
  | "Block"
  | "EmptyStatement"
  | "InterfaceDeclaration"
  | "EnumDeclaration"
  | "EnumMember"
  | "TypeAliasDeclaration"
  | "FunctionDeclaration"
  | "MethodDeclaration"
  | "MethodSignature"
  | "PropertySignature"
  | "IndexSignature"
  | "Parameter"
  | "TypeParameter"
  | "ObjectLiteralExpression"
  | "PropertyAssignment"
  | "ShorthandPropertyAssignment"
  | "ArrayLiteralExpression"
  | "PropertyAccessExpression"
  | "ElementAccessExpression"
  | "CallExpression"
  | "NewExpression"
  | "BinaryExpression"
  | "PrefixUnaryExpression"
  | "ConditionalExpression"
  | "AsExpression"
  | "NonNullExpression"
  | "ParenthesizedExpression"
  | "KeywordType"
  | "LiteralType"
  | "TypeReference"
  | "TypeQuery"
  | "ArrayType"
  | "UnionType"
  | "TypeLiteral"
  | "FunctionType"
  | "TypeOperator"
  | "ParenthesizedType";

/**
 * One node. `pos` is where its leading trivia (spaces, comments) starts,
 * `start` its first character, `end` one past its last: the printer reads
 * comments and blank lines from the source between them.
 */
export interface Node {
  kind: Kind;
  pos: number;
  start: number;
  end: number;
  /** Identifier name, literal source text, operator, keyword (`const`, `let`, `string`, …). */
  text?: string;
  exported?: boolean;
  optional?: boolean;
  /** The operand or callee or object; the checked type of `typeof`. */
  expression?: Node;
  name?: Node;
  type?: Node;
  initializer?: Node;
  left?: Node;
  right?: Node;
  condition?: Node;
  whenTrue?: Node;
  whenFalse?: Node;
  elseStatement?: Node;
  statement?: Node;
  body?: Node;
  label?: string;
  constraint?: Node;
  default?: Node;
  arguments?: Node[];
  typeArguments?: Node[];
  typeParameters?: Node[];
  parameters?: Node[];
  /** The types an interface extends. */
  heritage?: Node[];
  /** Statements, members, properties, elements, clauses, union members, heritage types: the node's list. */
  children?: Node[];
}
