/**
 * `--watch`: regenerate when a .proto file under the inputs' directories or
 * the include paths changes. A run with schema errors prints them and the
 * watch goes on; changes during a run trigger one more run after it.
 */
import { type FSWatcher, watch } from "node:fs";
import path from "node:path";

export interface WatchOptions {
  /** The input files now (directories on the command line may gain files). */
  files: () => string[];
  includePaths: string[];
  run: () => Promise<unknown>;
  log: (line: string) => void;
  /** Stops watching; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Quiet time after a change before regenerating, in ms. */
  debounceMs?: number;
}

export async function watchSchema(options: WatchOptions): Promise<void> {
  const { log, debounceMs = 100 } = options;
  const signal = options.signal ?? interrupted();
  const dirs = [...new Set([...options.files().map((f) => path.dirname(path.resolve(f))), ...options.includePaths.map((p) => path.resolve(p))])];
  const watchers: FSWatcher[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | undefined;
  let again = false;

  const trigger = () => {
    if (running) {
      again = true;
      return;
    }
    running = options.run().finally(() => {
      running = undefined;
      if (again && !signal.aborted) {
        again = false;
        trigger();
      }
    });
  };
  for (const dir of dirs) {
    const watcher = watch(dir, { recursive: true }, (_event, name) => {
      if (name !== null && !String(name).endsWith(".proto")) return;
      clearTimeout(timer);
      timer = setTimeout(trigger, debounceMs);
    });
    watcher.on("error", (error) => log(`streampath: watching ${dir} failed: ${error.message}`));
    watchers.push(watcher);
  }
  log(`streampath: watching ${dirs.join(", ")} for .proto changes (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  clearTimeout(timer);
  for (const w of watchers) w.close();
  await running;
}

function interrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}
