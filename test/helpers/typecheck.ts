/**
 * Type-checks generated code the way an application would compile it
 * (strict, NodeNext, verbatimModuleSyntax), with extra files given as text
 * placed beside it, so a test can compile code that uses the output.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "./generated.js";

export const STRICT_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  customConditions: ["source"],
  skipLibCheck: true,
  noEmit: true,
  verbatimModuleSyntax: true,
};

/** Every `.ts` file below `dir`. */
export function walkTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walkTs(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

/** Type-checks every file below `dir`, plus `extra` files given as text; the diagnostics, formatted, and the program. */
export function typeCheck(dir: string, extra: Record<string, string> = {}): { text: string; program: ts.Program; diagnostics: readonly ts.Diagnostic[] } {
  const host = ts.createCompilerHost(STRICT_OPTIONS, true);
  const read = host.getSourceFile.bind(host);
  const virtual = new Map(Object.entries(extra).map(([name, text]) => [path.join(dir, name), text]));
  host.getSourceFile = (fileName, language, ...rest) => {
    const text = virtual.get(path.resolve(fileName));
    return text !== undefined ? ts.createSourceFile(fileName, text, language, true) : read(fileName, language, ...rest);
  };
  const program = ts.createProgram([...walkTs(dir), ...virtual.keys()], STRICT_OPTIONS, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });
  return { text, program, diagnostics };
}

/**
 * The stricter settings applications compile with, each on its own over
 * generated code (erasableSyntaxOnly is not among them: messages' enums are
 * TypeScript enums, whose reverse mapping is what JSON prints).
 */
export const STRICTER_SETTINGS: Record<string, ts.CompilerOptions> = {
  exactOptionalPropertyTypes: { exactOptionalPropertyTypes: true },
  noUncheckedIndexedAccess: { noUncheckedIndexedAccess: true },
  noPropertyAccessFromIndexSignature: { noPropertyAccessFromIndexSignature: true },
  isolatedModules: { isolatedModules: true },
  isolatedDeclarations: { isolatedDeclarations: true, declaration: true },
};
