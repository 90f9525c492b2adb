// Deterministic synthetic schema for the code generation benchmark: by
// default 20 files, 1,000 messages (800 top-level + 200 nested), 100 services.
// Field types, maps, oneofs, enums, nesting, cross-file imports and streaming
// kinds are all mixed, drawn from a seeded PRNG so every run is identical.
//
//   npx tsx bench/synthetic.ts <dir>    writes the schema and prints its stats
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRandom, type Random } from "./lib/random.js";

export interface SyntheticOptions {
  readonly fileCount: number;
  readonly topLevelMessagesPerFile: number;
  /** Top-level messages that also declare one nested message each. */
  readonly nestedMessagesPerFile: number;
  readonly enumsPerFile: number;
  readonly servicesPerFile: number;
  readonly seed: number;
}

export const DEFAULT_OPTIONS: SyntheticOptions = {
  fileCount: 20,
  topLevelMessagesPerFile: 40,
  nestedMessagesPerFile: 10,
  enumsPerFile: 4,
  servicesPerFile: 5,
  seed: 20240601,
};

export interface SyntheticSchema {
  /** Paths relative to the schema directory (= the include path). */
  readonly files: string[];
  readonly stats: SchemaStats;
}

interface SchemaStats {
  messages: number;
  enums: number;
  fields: number;
  services: number;
  /** Total size of the written .proto files. */
  bytes: number;
  methods: Record<MethodKind, number>;
}

type MethodKind = "unary" | "server-streaming" | "client-streaming" | "bidi";
/** Streaming kinds with their relative frequency; unary dominates in practice. */
const METHOD_KINDS: readonly (readonly [MethodKind, number])[] = [
  ["unary", 8],
  ["server-streaming", 5],
  ["client-streaming", 3],
  ["bidi", 4],
];

// Word lists as space-separated strings: compact, and easy to extend.
const words = (list: string): string[] => list.trim().split(/\s+/);
const ENTITIES = words(`
  Account Order Invoice Shipment Product Customer Payment Refund Ticket Device
  Session Report Warehouse Coupon Review Subscription Vendor Route Sensor Policy`);
/** Suffixes that turn an entity into a message name; "-" means none. */
const ASPECTS = words("- Summary Event Snapshot Detail Filter Batch").map(
  (aspect) => (aspect === "-" ? "" : aspect),
);
const VERBS = words(
  "Get List Create Update Delete Watch Upload Sync Search Export",
);
/** Field names; a message never has more fields than this list has words. */
const FIELD_WORDS = words(`
  id name title description created_at updated_at owner_id status kind amount currency quantity price
  score rank region zone label tags notes version revision checksum payload enabled visible priority
  weight latitude longitude email phone url locale timezone parent_id child_count expires_at retries
  attempts duration_ms size_bytes`);
/** Scalar types; string is listed thrice because real schemas are string-heavy. */
const SCALARS = words(`
  double float int32 int64 uint32 uint64 sint32 sint64 fixed32 fixed64 sfixed32 sfixed64
  bool string string string bytes`);
const MAP_KEYS = words("string string int32 int64 uint32 bool sint64");
const TIMESTAMP = "google.protobuf.Timestamp";

const pad = (n: number): string => String(n).padStart(2, "0");
const packageOf = (file: number): string => `synth.f${pad(file)}`;
const pathOf = (file: number): string => `synth/f${pad(file)}/types.proto`;
const messageName = (index: number): string =>
  `${ENTITIES[index % ENTITIES.length]}${ASPECTS[Math.floor(index / ENTITIES.length) % ASPECTS.length]}`;
const upperSnake = (name: string): string =>
  name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

/** Everything one file needs to pick types, and the imports it ended up using. */
interface FileContext {
  readonly file: number;
  readonly random: Random;
  readonly options: SyntheticOptions;
  readonly imports: Set<string>;
  readonly stats: SchemaStats;
}

/** Earlier files this file may reference, which makes the import graph a DAG. */
const importCandidates = (file: number): number[] =>
  [file - 1, file - 2, file - 5].filter((f) => f >= 0);

/** A message type: same file (possibly itself), an earlier file, or Timestamp. */
function messageType(ctx: FileContext): string {
  const { random, file, options } = ctx;
  const roll = random.int(0, 9);
  if (roll === 0) {
    ctx.imports.add("google/protobuf/timestamp.proto");
    return TIMESTAMP;
  }
  const candidates = importCandidates(file);
  if (roll <= 3 && candidates.length > 0) {
    const other = random.pick(candidates);
    ctx.imports.add(pathOf(other));
    return `${packageOf(other)}.${messageName(random.int(0, options.topLevelMessagesPerFile - 1))}`;
  }
  return messageName(random.int(0, options.topLevelMessagesPerFile - 1));
}

const enumType = (ctx: FileContext): string =>
  `${ENTITIES[ctx.random.int(0, ctx.options.enumsPerFile - 1)]}Kind`;

/** Any singular field type: mostly scalars, then messages, then enums. */
function valueType(ctx: FileContext): string {
  const make = ctx.random.weighted([
    [() => ctx.random.pick(SCALARS), 6],
    [() => messageType(ctx), 3],
    [() => enumType(ctx), 1],
  ]);
  return make();
}

/** Field declarations of one message body, indented by `indent`. */
function fieldLines(
  ctx: FileContext,
  fieldCount: number,
  withOneof: boolean,
  indent: string,
): string[] {
  const { random } = ctx;
  const words = [...FIELD_WORDS];
  const takeWord = (): string =>
    words.splice(random.int(0, words.length - 1), 1)[0]!;
  const lines: string[] = [];
  let number = 1;
  for (let i = 0; i < fieldCount; i++) {
    const shape = random.weighted([
      ["map", 8],
      ["repeated", 14],
      ["optional", 5],
      ["singular", 73],
    ]);
    let type = valueType(ctx);
    if (shape === "map") type = `map<${random.pick(MAP_KEYS)}, ${type}>`;
    // proto3 `optional` (explicit presence) only on scalars, as is typical.
    else if (
      shape === "repeated" ||
      (shape === "optional" && SCALARS.includes(type))
    )
      type = `${shape} ${type}`;
    lines.push(`${indent}${type} ${takeWord()} = ${number++};`);
  }
  if (withOneof) {
    lines.push(`${indent}oneof selection {`);
    for (let i = random.int(2, 4); i > 0; i--)
      lines.push(`${indent}  ${valueType(ctx)} ${takeWord()} = ${number++};`);
    lines.push(`${indent}}`);
  }
  ctx.stats.fields += number - 1;
  return lines;
}

function enumLines(name: string, valueCount: number, indent: string): string[] {
  const prefix = upperSnake(name);
  const values = Array.from(
    { length: valueCount },
    (_, i) =>
      `${indent}  ${prefix}_${i === 0 ? "UNSPECIFIED" : `VALUE_${i}`} = ${i};`,
  );
  return [`${indent}enum ${name} {`, ...values, `${indent}}`];
}

function messageLines(ctx: FileContext, index: number): string[] {
  const { random, options } = ctx;
  const name = messageName(index);
  const lines = [
    `// ${name} of file ${ctx.file}, generated for the codegen benchmark.`,
    `message ${name} {`,
  ];
  if (index < options.nestedMessagesPerFile) {
    // Nested types, used from the parent's own fields via their short names.
    lines.push(
      "  message Part {",
      ...fieldLines(ctx, random.int(2, 5), false, "    "),
      "  }",
    );
    lines.push(...enumLines("Stage", random.int(2, 5), "  "));
    lines.push(
      "  Part primary_part = 100;",
      "  repeated Part parts = 101;",
      "  Stage stage = 102;",
    );
    ctx.stats.messages += 1;
    ctx.stats.enums += 1;
    ctx.stats.fields += 3;
  }
  lines.push(
    ...fieldLines(ctx, random.int(3, 14), random.chance(0.25), "  "),
    "}",
    "",
  );
  ctx.stats.messages += 1;
  return lines;
}

function serviceLines(ctx: FileContext, index: number): string[] {
  const { random, options } = ctx;
  const entity = ENTITIES[(index * 3 + ctx.file) % ENTITIES.length]!;
  const lines = [`service ${entity}Service {`];
  const methodCount = random.int(3, 6);
  for (let m = 0; m < methodCount; m++) {
    const kind = random.weighted(METHOD_KINDS);
    const topLevel = (): string =>
      messageName(random.int(0, options.topLevelMessagesPerFile - 1));
    const request = `${kind === "client-streaming" || kind === "bidi" ? "stream " : ""}${topLevel()}`;
    const response = `${kind === "server-streaming" || kind === "bidi" ? "stream " : ""}${topLevel()}`;
    lines.push(`  rpc ${VERBS[m]}${entity}(${request}) returns (${response});`);
    ctx.stats.methods[kind] += 1;
  }
  ctx.stats.services += 1;
  return [...lines, "}", ""];
}

function fileText(ctx: FileContext): string {
  const { options } = ctx;
  const body: string[] = [];
  for (let e = 0; e < options.enumsPerFile; e++)
    body.push(...enumLines(`${ENTITIES[e]}Kind`, ctx.random.int(3, 8), ""), "");
  ctx.stats.enums += options.enumsPerFile;
  for (let m = 0; m < options.topLevelMessagesPerFile; m++)
    body.push(...messageLines(ctx, m));
  for (let s = 0; s < options.servicesPerFile; s++)
    body.push(...serviceLines(ctx, s));
  // Imports are known only once the body has chosen its types; listing just
  // those keeps protoc free of "unused import" warnings.
  const imports = [...ctx.imports].sort().map((path) => `import "${path}";`);
  return [
    'syntax = "proto3";',
    "",
    `package ${packageOf(ctx.file)};`,
    "",
    ...imports,
    "",
    ...body,
  ].join("\n");
}

/** Writes the schema below `dir` and returns the file list and statistics. */
export function writeSyntheticSchema(
  dir: string,
  options: SyntheticOptions = DEFAULT_OPTIONS,
): SyntheticSchema {
  const random = createRandom(options.seed);
  const methods = Object.fromEntries(METHOD_KINDS.map(([kind]) => [kind, 0]));
  const stats: SchemaStats = {
    messages: 0,
    enums: 0,
    fields: 0,
    services: 0,
    bytes: 0,
    methods: methods as Record<MethodKind, number>,
  };
  const files: string[] = [];
  for (let file = 0; file < options.fileCount; file++) {
    const text = fileText({ file, random, options, imports: new Set(), stats });
    const path = pathOf(file);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    stats.bytes += Buffer.byteLength(text);
    files.push(path);
  }
  return { files, stats };
}

export function describeSchema({ files, stats }: SyntheticSchema): string {
  const methods = Object.entries(stats.methods)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
  return (
    `${files.length} files, ${stats.messages} messages, ${stats.enums} enums, ${stats.fields} fields, ` +
    `${stats.services} services (${methods}), ${(stats.bytes / 1024).toFixed(0)} KiB of .proto`
  );
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: npx tsx bench/synthetic.ts <output dir>");
  console.log(describeSchema(writeSyntheticSchema(resolve(dir))));
}
