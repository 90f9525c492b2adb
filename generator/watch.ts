/**
 * `--watch`: regenerate when anything the schema was read from changes.
 *
 * Folders are watched, never files: an editor that saves by writing a temp
 * file and renaming it over the old one (as `sed -i` does) replaces the
 * file's inode, and a watch on the old inode — what node 20's recursive
 * fs.watch keeps per file on Linux — never fires again. The folders are
 * every folder below a directory on the command line, and the folder of each
 * file the last run read or looked for (for an import not found yet, its
 * nearest folder that exists), so a new import, even from another include
 * path, is watched from the run that reads it.
 *
 * After a burst of events the watch compares what the last run read with
 * the disk and regenerates only if that differs: a temp file, a generated
 * file or a touch costs nothing, and a change made while a run was reading
 * is caught by one more look after it.
 */
import { type FSWatcher, readFileSync, readdirSync, statSync, watch } from "node:fs";
import path from "node:path";

export interface WatchOptions {
  /** The inputs on the command line; every folder below a directory among them is watched, so a .proto added there counts. */
  roots: string[];
  /**
   * One generation. It reads the schema through `readFile`: that is how the
   * watch learns the files it depends on and where imports were looked for.
   */
  run: (readFile: (file: string) => string | undefined) => Promise<unknown>;
  log: (line: string) => void;
  /** Stops watching; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Quiet time after an event before looking, in ms: a save is several events. */
  debounceMs?: number;
}

/** What a run depended on. */
interface Snapshot {
  /** Every file the run read or looked for, with its content (undefined: absent). */
  reads: Map<string, string | undefined>;
  /** The .proto files below the directory roots, sorted. */
  protos: string[];
}

/** Runs once, then again after every change, until the signal; resolves when stopped. */
export async function watchSchema(options: WatchOptions): Promise<void> {
  const { log, debounceMs = 100 } = options;
  const signal = options.signal ?? interrupted();
  const roots = options.roots.map((r) => path.resolve(r));
  const watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  const unwatchable = new Set<string>();
  let last: Snapshot | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settling: Promise<void> | undefined;
  let again = false;

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void look(), debounceMs);
  };

  /** Watches exactly the folders that matter now (a folder replaced is watched anew); returns the .proto files below the roots. */
  const sync = (): string[] => {
    const wanted = new Map<string, number>();
    const protos: string[] = [];
    const walk = (dir: string) => {
      try {
        const entries = readdirSync(dir, { withFileTypes: true });
        wanted.set(dir, statSync(dir).ino);
        for (const e of entries) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (e.name.endsWith(".proto")) protos.push(p);
        }
      } catch {
        // Removed while walking: its parent's event brings another look.
      }
    };
    const seen = new Set<string>();
    const nearest = (start: string) => {
      for (let dir = start; !seen.has(dir); dir = path.dirname(dir)) {
        seen.add(dir);
        const ino = directoryIno(dir);
        if (ino !== undefined) return void wanted.set(dir, ino);
        if (dir === path.dirname(dir)) return;
      }
    };
    for (const root of roots) {
      if (directoryIno(root) !== undefined) walk(root);
      else nearest(path.dirname(root));
    }
    for (const file of last?.reads.keys() ?? []) nearest(path.dirname(file));

    for (const [dir, w] of watchers) {
      if (wanted.get(dir) === w.ino) continue;
      w.watcher.close();
      watchers.delete(dir);
    }
    for (const [dir, ino] of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, schedule);
        watcher.on("error", () => {
          watcher.close();
          if (watchers.get(dir)?.watcher === watcher) watchers.delete(dir);
          schedule();
        });
        watchers.set(dir, { watcher, ino });
      } catch (error) {
        // ENOENT: gone since the walk, and the next look sees that. Anything else (the inotify limit) is worth saying, once.
        if ((error as NodeJS.ErrnoException).code === "ENOENT" || unwatchable.has(dir)) continue;
        unwatchable.add(dir);
        log(`streampath: cannot watch ${dir}: ${(error as Error).message}`);
      }
    }
    return protos.sort();
  };

  const differs = (protos: string[]): boolean => {
    if (!last) return true;
    if (protos.length !== last.protos.length || protos.some((p, i) => p !== last!.protos[i])) return true;
    for (const [file, text] of last.reads) if (read(file) !== text) return true;
    return false;
  };

  const settle = async () => {
    do {
      again = false;
      const protos = sync();
      if (signal.aborted || !differs(protos)) continue;
      const reads = new Map<string, string | undefined>();
      // One read per file and run: what is recorded is what the run used.
      await options.run((file) => {
        if (!reads.has(file)) reads.set(file, read(file));
        return reads.get(file);
      });
      last = { reads, protos };
      again = true;
    } while (again && !signal.aborted);
  };

  /** One look at a time; events during one bring another after it. */
  const look = (): Promise<void> => {
    if (settling) {
      again = true;
      return settling;
    }
    settling = settle()
      .catch((error: unknown) => log(`streampath: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (settling = undefined));
    return settling;
  };

  await look();
  if (!signal.aborted) log(`streampath: watching ${watchers.size} folder${watchers.size === 1 ? "" : "s"} for changes to the schema (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  clearTimeout(timer);
  for (const w of watchers.values()) w.watcher.close();
  await settling;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function directoryIno(dir: string): number | undefined {
  try {
    const stat = statSync(dir);
    return stat.isDirectory() ? stat.ino : undefined;
  } catch {
    return undefined;
  }
}

function interrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}
