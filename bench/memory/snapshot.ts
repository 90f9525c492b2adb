// BENCH_MEMORY_SNAPSHOT=<dir> of bench/memory.ts: the host writes a V8 heap
// snapshot at the baseline and with all N calls idle; this compares the two
// by what the objects are (constructor, closure or internal kind), per call.
// Self sizes only: what each kind of object takes itself, not what it holds.
import { readFileSync } from "node:fs";

interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  strings: string[];
}

/** Self bytes and object count by kind. */
type Census = Map<string, { bytes: number; count: number }>;

function census(path: string): Census {
  const heap = JSON.parse(readFileSync(path, "utf8")) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((field) => fields.indexOf(field));
  const width = fields.length;
  const result: Census = new Map();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt!]!]!;
    const name = heap.strings[heap.nodes[i + nameAt!]!]!;
    // Strings and numbers by type alone (their names are their contents).
    const named = type === "object" || type === "closure" || type === "array" || type === "hidden" || type === "native";
    const key = named ? `${type} ${name.length > 60 ? `${name.slice(0, 57)}...` : name}` : `(${type})`;
    const entry = result.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += heap.nodes[i + sizeAt!]!;
    entry.count++;
    result.set(key, entry);
  }
  return result;
}

export interface SnapshotRow {
  readonly kind: string;
  /** Self bytes per call. */
  readonly bytes: number;
  /** Objects per call. */
  readonly count: number;
}

/** The `top` kinds of object that grew most from `basePath` to `fullPath`, per call of `n`; and the total. */
export function compareSnapshots(basePath: string, fullPath: string, n: number, top = 20): { rows: SnapshotRow[]; bytes: number } {
  const base = census(basePath);
  const full = census(fullPath);
  const rows: SnapshotRow[] = [];
  let bytes = 0;
  for (const [kind, after] of full) {
    const before = base.get(kind) ?? { bytes: 0, count: 0 };
    bytes += after.bytes - before.bytes;
    rows.push({ kind, bytes: (after.bytes - before.bytes) / n, count: (after.count - before.count) / n });
  }
  for (const [kind, before] of base) if (!full.has(kind)) bytes -= before.bytes;
  rows.sort((x, y) => y.bytes - x.bytes);
  return { rows: rows.slice(0, top), bytes: bytes / n };
}
