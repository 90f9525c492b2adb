/**
 * Shared setup of the conformance tests: the generated code of
 * test/fixtures/conformance, the same schema loaded by protobufjs
 * reflection, and small comparison helpers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect, isDeepStrictEqual } from "node:util";
import protobuf from "protobufjs";
import { FIXTURES, generateFixture, importGenerated } from "./generated.js";
import type { Msg } from "./random-message.js";

export const CONFORMANCE_DIR = path.join(FIXTURES, "conformance");
export const CONFORMANCE_PROTO = path.join(CONFORMANCE_DIR, "conformance.proto");

/** Generates the conformance schema into test/.gen/<name> and imports conformance_pb.ts. */
export async function generateConformance(name: string): Promise<{ dir: string; C: Record<string, any> }> {
  const dir = await generateFixture(name, { files: [CONFORMANCE_PROTO] });
  return { dir, C: await importGenerated(dir, "conformance_pb.ts") };
}

/**
 * The conformance schema as protobufjs reflection sees it; `source` replaces
 * conformance.proto's text (other.proto still resolves next to it), and
 * google/protobuf/* resolve to protobufjs' bundled definitions.
 */
export function loadPbjs(source?: string): protobuf.Root {
  let file = CONFORMANCE_PROTO;
  if (source !== undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "streampath-conformance-"));
    file = path.join(dir, "conformance.proto");
    writeFileSync(file, source);
  }
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("google/protobuf/")) return target;
    if (path.isAbsolute(target)) return target;
    return path.join(CONFORMANCE_DIR, target);
  };
  root.loadSync(file, { keepCase: false });
  root.resolveAll();
  return root;
}

/** conformance.proto's text, for loading a modified copy. */
export const conformanceSource = (): string => readFileSync(CONFORMANCE_PROTO, "utf8");

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

/** Where two byte strings first differ, with a little context, or undefined if equal. */
export function byteDiff(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  if (i === n && actual.length === expected.length) return undefined;
  const around = (b: Uint8Array) => hex(b.subarray(Math.max(0, i - 8), i + 16));
  return (
    `first difference at byte ${i} (lengths ${actual.length} vs ${expected.length}); ` +
    `ours …${around(actual)}…, protobufjs …${around(expected)}…`
  );
}

/** Node's strict deep equality: fast, and as strict as ava's (-0 ≠ 0, NaN = NaN, prototypes count). */
export const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

/** A message for a failure log, cut short if huge. */
export function show(value: unknown): string {
  const s = inspect(value, { depth: 8, maxArrayLength: 20, maxStringLength: 80, breakLength: 120 });
  return s.length > 6000 ? s.slice(0, 6000) + "…" : s;
}

function isDefault(v: unknown): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  return v === 0 || v === 0n || v === false || v === "";
}

/**
 * Our message → protobufjs `fromObject` input, walking protobufjs' own
 * reflection of the schema. 64-bit integers become decimal strings (a bigint
 * would be encoded as 0). Implicit-presence fields at their default are left
 * out, because protobufjs writes every field it is given; explicit presence
 * (proto3 `optional`, messages, oneof members) is passed whenever set.
 * Map keys stay strings, so bool and 64-bit keys are not supported here.
 */
export function toPbjs(type: protobuf.Type, m: Msg): Msg {
  const out: Msg = {};
  for (const f of type.fieldsArray) {
    const key = protobuf.util.camelCase(f.name);
    const oneof = f.partOf;
    const synthetic = f.options?.proto3_optional === true;
    if (oneof && !synthetic) {
      const o = m[protobuf.util.camelCase(oneof.name)];
      if (o.case === key) out[f.name] = convert(f, o.value);
      continue;
    }
    const v = m[key];
    if (f.map) {
      const entries: Msg = {};
      for (const k of Object.keys(v)) entries[k] = convert(f, v[k]);
      out[f.name] = entries;
    } else if (f.repeated) out[f.name] = v.map((e: unknown) => convert(f, e));
    else if (synthetic || f.resolvedType instanceof protobuf.Type) {
      if (v !== undefined) out[f.name] = convert(f, v);
    } else if (!isDefault(v)) out[f.name] = convert(f, v);
  }
  return out;
}

function convert(f: protobuf.Field, v: any): unknown {
  if (f.resolvedType instanceof protobuf.Type) return toPbjs(f.resolvedType, v);
  return typeof v === "bigint" ? v.toString() : v;
}
