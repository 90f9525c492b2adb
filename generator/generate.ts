/**
 * The pure core: schema files in, generated files out. No writing, no
 * process: the CLI and build tools decide what to do with the result.
 */
import { loadSchema, type LoadOptions } from "../schema/load.js";
import type { Diagnostic } from "../schema/diagnostics.js";
import type { ProtoFile, SchemaModel } from "../schema/model.js";
import { emitHostFile } from "../templates/host.js";
import { emitMessagesFile } from "../templates/messages.js";
import { printModule, type EmittedModule } from "../templates/module.js";
import { VERSION } from "./version.js";

export const TARGETS = ["messages", "host"] as const;
export type Target = (typeof TARGETS)[number];

export interface GenerateOptions extends LoadOptions {
  /** What to emit; default: every target. */
  targets?: readonly Target[];
}

export interface GeneratedFile {
  /** Path relative to the output directory, `/`-separated. */
  path: string;
  content: string;
}

export interface GenerateResult {
  /** Empty when there are diagnostics: nothing is generated from a schema with errors. */
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
}

const EMITTERS: Record<Target, (model: SchemaModel, file: ProtoFile) => EmittedModule | undefined> = {
  messages: (model, file) => (file.messages.length || file.enums.length ? emitMessagesFile(model, file) : undefined),
  host: emitHostFile,
};

/** Loads the schema and generates prettier-clean code for it. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const { model, diagnostics } = loadSchema(options);
  if (!model) return { files: [], diagnostics };
  return { files: await formatLongLines(generateFromModel(model, options.targets ?? TARGETS)), diagnostics: [] };
}

/**
 * Emitters print what prettier prints, except where a name is so long that
 * prettier would wrap a line in a way they do not copy: only those files go
 * through prettier, so the usual schema never pays for it.
 */
async function formatLongLines(files: GeneratedFile[]): Promise<GeneratedFile[]> {
  // Comment lines (the header, doc comments) are left alone by prettier whatever their length.
  const isComment = (line: string) => /^\s*(\/\/|\/\*|\*)/.test(line);
  const long = files.filter((f) => f.content.split("\n").some((line) => line.length > 80 && !isComment(line)));
  if (long.length === 0) return files;
  const prettier = await import("prettier");
  return Promise.all(
    files.map(async (f) =>
      long.includes(f) ? { path: f.path, content: await prettier.format(f.content, { parser: "typescript" }) } : f,
    ),
  );
}

/**
 * Generates code for a loaded model: the requested files and every file their
 * types come from. Synchronous and pure; lines may exceed 80 columns where
 * names are very long (`generate` formats those files).
 */
export function generateFromModel(model: SchemaModel, targets: readonly Target[] = TARGETS): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  for (const file of filesToEmit(model)) {
    for (const target of TARGETS) {
      if (!targets.includes(target)) continue;
      const module = EMITTERS[target](model, file);
      if (module) out.push({ path: module.path, content: printModule(module, VERSION) });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The requested files, plus the imported files whose types they use (so that
 * the output compiles on its own), but not imports used only for options.
 */
function filesToEmit(model: SchemaModel): ProtoFile[] {
  const byName = new Map(model.files.map((f) => [f.name, f]));
  const emit = new Set(model.files.filter((f) => f.requested).map((f) => f.name));
  const queue = [...emit];
  const need = (typeName: string) => {
    const file = (model.messages.get(typeName) ?? model.enums.get(typeName))?.file;
    if (file && !emit.has(file)) {
      emit.add(file);
      queue.push(file);
    }
  };
  while (queue.length) {
    const file = byName.get(queue.pop()!)!;
    for (const name of file.messages) {
      for (const f of model.messages.get(name)!.fields) if (f.type.kind !== "scalar") need(f.type.typeName);
    }
    for (const name of file.services) {
      for (const m of model.services.get(name)!.methods) {
        need(m.inputType);
        need(m.outputType);
      }
    }
  }
  return model.files.filter((f) => emit.has(f.name));
}
