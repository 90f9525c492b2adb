/** A problem found in a schema, with where it is and which rule it breaks. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  /** Short rule id, e.g. `unknown-type`, `role-dependency`. */
  rule: string;
  message: string;
}

/** `path/to/file.proto:12:5: message [rule]`, the form editors and CI logs link. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message} [${d.rule}]`;
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || a.column - b.column,
  );
}

/** Thrown by `generate` callers that want an exception rather than a list. */
export class SchemaError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "SchemaError";
    this.diagnostics = diagnostics;
  }
}
