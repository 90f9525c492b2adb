/**
 * The pure core: schema files in, generated files out. No writing, no
 * process: the CLI and build tools decide what to do with the result.
 */
import { loadSchema, type LoadOptions } from "../schema/load.js";
import type { Diagnostic } from "../schema/diagnostics.js";
import type { ProtoFile, SchemaModel, Service } from "../schema/model.js";
import { emitGuestFile, isGuestService } from "../templates/guest.js";
import { emitHostFile } from "../templates/host.js";
import { emitMessagesFile } from "../templates/messages.js";
import { printModule, type EmittedModule } from "../templates/module.js";
import { emitViewFile, isViewService } from "../templates/view.js";
import type { PrintCache } from "./print/format.js";
import { VERSION } from "./version.js";

export const TARGETS = ["messages", "host", "guest", "view"] as const;
export type Target = (typeof TARGETS)[number];

export interface GenerateOptions extends LoadOptions {
  /** What to emit for the requested files; default: every target. What that imports is emitted too. */
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
  messages: (model, file) =>
    file.messages.length || file.enums.length || file.extensions.length ? emitMessagesFile(model, file) : undefined,
  host: emitHostFile,
  guest: emitGuestFile,
  view: emitViewFile,
};

/** Loads the schema and generates code for it, as prettier would print it. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const { model, diagnostics } = loadSchema(options);
  if (!model) return { files: [], diagnostics };
  return { files: generateFromModel(model, options.targets ?? TARGETS), diagnostics: [] };
}

/**
 * Generates code for a loaded model: the requested targets of the requested
 * files, and every module those import. Synchronous and pure.
 */
export function generateFromModel(model: SchemaModel, targets: readonly Target[] = TARGETS): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  const plan = modulesToEmit(model, targets);
  // Long lines repeat across a schema's messages (more than half of them in the bench's long-name schema).
  const cache: PrintCache = new Map();
  for (const file of model.files) {
    for (const target of TARGETS) {
      if (!plan.get(file.name)?.has(target)) continue;
      const module = EMITTERS[target](model, file);
      if (module) out.push({ path: module.path, content: printModule(module, VERSION, cache) });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The targets to emit per file: the requested ones for the requested files,
 * plus what their output imports, so that it compiles on its own — the
 * messages of every type used (not of imports used only for options), and
 * for a guest or view module the module of each dependency (its `_host.ts`,
 * `_guest.ts` or `_view.ts`), even when that target was not requested.
 */
function modulesToEmit(model: SchemaModel, targets: readonly Target[]): Map<string, Set<Target>> {
  const byName = new Map(model.files.map((f) => [f.name, f]));
  const plan = new Map<string, Set<Target>>();
  const queue: [ProtoFile, Target][] = [];
  const add = (file: string, target: Target) => {
    const planned = plan.get(file) ?? new Set<Target>();
    plan.set(file, planned);
    if (planned.has(target)) return;
    planned.add(target);
    queue.push([byName.get(file)!, target]);
  };
  const need = (typeName: string) => {
    const file = (model.messages.get(typeName) ?? model.enums.get(typeName))?.file;
    if (file) add(file, "messages");
  };
  const services = (file: ProtoFile, keep: (s: Service) => boolean) =>
    file.services.map((n) => model.services.get(n)!).filter(keep);
  const methodTypes = (service: Service) => {
    for (const m of service.methods) {
      need(m.inputType);
      need(m.outputType);
    }
  };
  for (const file of model.files) if (file.requested) for (const target of targets) add(file.name, target);
  while (queue.length) {
    const [file, target] = queue.pop()!;
    if (target === "messages") {
      for (const name of file.messages) {
        for (const f of model.messages.get(name)!.fields) if (f.type.kind !== "scalar") need(f.type.typeName);
      }
      // An extension's handle names the message it extends and its value's type.
      for (const name of file.extensions) {
        const ext = model.extensions.get(name)!;
        need(ext.extendee);
        if (ext.field.type.kind !== "scalar") need(ext.field.type.typeName);
      }
      // The types a file's services use, whatever their role: an application works with them.
      services(file, () => true).forEach(methodTypes);
    } else if (target === "host") {
      services(file, (s) => s.role === "host").forEach(methodTypes);
    } else {
      for (const service of services(file, target === "guest" ? isGuestService : isViewService)) {
        methodTypes(service);
        for (const dep of service.dependencies) {
          const depended = model.services.get(dep.service)!;
          add(depended.file, isViewService(depended) ? "view" : isGuestService(depended) ? "guest" : "host");
        }
      }
    }
  }
  return plan;
}
