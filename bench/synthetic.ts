// Deterministic synthetic schema for the code generation benchmark: by
// default 20 files, 1,000 messages (800 top-level + 200 nested), 100 services.
// Field types, maps, oneofs, enums, nesting, cross-file imports and streaming
// kinds are all mixed, drawn from a seeded PRNG so every run is identical.
//
// `names: "long"` (LONG_NAME_OPTIONS) writes the same schema — the same
// random draws, so the same files, types, fields, numbers and methods — with
// names as long as googleapis' longest: every message, enum, enum value,
// field, oneof, service and method name is 40–60 characters of descriptive
// words (`CustomerSubscriptionRenewalScheduleConfiguration`,
// `customer_subscription_renewal_schedule_display_name`).
//
//   npx tsx bench/synthetic.ts <dir> [--long-names]
//                                       writes the schema and prints its stats
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
  /** "short" (default): `Account`, `created_at`; "long": 40–60 characters each. */
  readonly names?: "short" | "long";
}

export const DEFAULT_OPTIONS: SyntheticOptions = {
  fileCount: 20,
  topLevelMessagesPerFile: 40,
  nestedMessagesPerFile: 10,
  enumsPerFile: 4,
  servicesPerFile: 5,
  seed: 20240601,
};

/** The default schema with 40–60 character names (see the top of this file). */
export const LONG_NAME_OPTIONS: SyntheticOptions = {
  ...DEFAULT_OPTIONS,
  names: "long",
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

/**
 * Every name the schema declares. The writer draws the same random numbers
 * whatever the naming, so both namings describe the same structure.
 */
interface Naming {
  /** Top-level message `index` (0 ≤ index < topLevelMessagesPerFile) of any file. */
  message(index: number): string;
  /** File-level enum `index` (0 ≤ index < enumsPerFile). */
  fileEnum(index: number): string;
  /** Value `index` of the enum `enumName` (0 is the default value). */
  enumValue(enumName: string, index: number): string;
  /** The field named `word` (one of FIELD_WORDS) in the short naming. */
  field(word: string): string;
  readonly oneof: string;
  /** Nested in the first nestedMessagesPerFile messages: a message and an enum, and the three fields using them. */
  readonly nestedMessage: string;
  readonly nestedEnum: string;
  readonly nestedFields: readonly [
    single: string,
    repeated: string,
    stage: string,
  ];
  /** Service about ENTITIES[entity]. */
  service(entity: number): string;
  /** Method VERBS[verb] of the service about ENTITIES[entity]. */
  method(verb: number, entity: number): string;
}

/** Today's names, the default: the output must stay byte for byte as it was. */
const SHORT_NAMES: Naming = {
  message: messageName,
  fileEnum: (index) => `${ENTITIES[index]}Kind`,
  enumValue: (enumName, index) =>
    `${upperSnake(enumName)}_${index === 0 ? "UNSPECIFIED" : `VALUE_${index}`}`,
  field: (word) => word,
  oneof: "selection",
  nestedMessage: "Part",
  nestedEnum: "Stage",
  nestedFields: ["primary_part", "parts", "stage"],
  service: (entity) => `${ENTITIES[entity]}Service`,
  method: (verb, entity) => `${VERBS[verb]}${ENTITIES[entity]}`,
};

// Long names, word lists aligned with the short ones (ENTITIES[i] ↔ LONG_ENTITIES[i], …).
const LONG_ENTITIES = words(`
  CustomerBillingAccountOwnership MarketplacePurchaseOrderFulfillment
  RecurringInvoiceLineItemAdjustment InternationalShipmentCustomsDeclaration
  CatalogProductVariantInventoryLevel CustomerSubscriptionRenewalSchedule
  PaymentInstrumentAuthorizationHold PartialRefundSettlementReconciliation
  SupportTicketEscalationAssignment ManagedDeviceFirmwareRolloutWave
  AuthenticatedUserSessionActivityLog ScheduledAnalyticsReportExportJob
  WarehouseStorageLocationCapacityPlan PromotionalCouponRedemptionLimit
  ProductReviewModerationDecision EnterpriseSubscriptionSeatAllocation
  ThirdPartyVendorComplianceAttestation DeliveryRouteOptimizationPlan
  IndustrialSensorTelemetryThreshold OrganizationAccessControlPolicyBinding`);
/** ASPECTS[i] ↔ LONG_ASPECTS[i] (the first is ASPECTS' empty suffix). */
const LONG_ASPECTS = words(`
  Configuration AggregatedSummaryView ChangeEvent PointInTimeSnapshot
  DetailedDescription ListFilterCriteria BatchOperationResult`);
/** VERBS[i] ↔ LONG_VERBS[i]. */
const LONG_VERBS = words(`
  BatchRetrieve ListPaginated BatchCreate PartiallyUpdate SoftDeleteExpired
  StreamChangesTo UploadAttachmentsFor SynchronizeRemote SearchIndexedHistoric
  ExportArchivedCopyOf`);
/** Enum values after the enum's own prefix; index 0 is the default. */
const LONG_ENUM_STATES = words(`
  UNSPECIFIED AWAITING_MANUAL_APPROVAL ACTIVELY_PROCESSING
  TEMPORARILY_SUSPENDED SCHEDULED_FOR_DELETION PERMANENTLY_ARCHIVED
  FAILED_VALIDATION_CHECKS MIGRATION_IN_PROGRESS`);
/** What a field is about: FIELD_WORDS' words get one of these in front. */
const LONG_FIELD_CONTEXTS = words(`
  customer_subscription_renewal_schedule primary_billing_account_settlement
  regional_warehouse_inventory_allocation most_recent_fulfillment_attempt
  originating_marketplace_listing_offer organization_default_notification_channel
  latest_compliance_audit_review scheduled_report_export_destination
  authenticated_user_session_device promotional_campaign_redemption_rule
  preferred_delivery_route_segment`);
const NAME_LENGTH = { min: 40, max: 60 } as const;
const fits = (name: string): boolean =>
  name.length >= NAME_LENGTH.min && name.length <= NAME_LENGTH.max;

/** FIELD_WORDS[i] → the first context, from the i-th on, that makes 40–60 characters. */
const LONG_FIELDS = new Map(
  FIELD_WORDS.map((word, i) => {
    const contexts = LONG_FIELD_CONTEXTS.map(
      (_, k) => LONG_FIELD_CONTEXTS[(i + k) % LONG_FIELD_CONTEXTS.length]!,
    );
    const context = contexts.find((c) => fits(`${c}_${word}`));
    if (!context) throw new Error(`no long field name for ${word}`);
    return [word, `${context}_${word}`];
  }),
);

/** An enum's value prefix: its upper-snake name without leading words, 22–35 characters. */
function longEnumValuePrefix(enumName: string): string {
  const parts = upperSnake(enumName).split("_");
  while (parts.join("_").length > 35) parts.shift();
  return parts.join("_");
}

const LONG_NAMES: Naming = {
  message: (index) =>
    `${LONG_ENTITIES[index % ENTITIES.length]}${LONG_ASPECTS[Math.floor(index / ENTITIES.length) % ASPECTS.length]}`,
  fileEnum: (index) => `${LONG_ENTITIES[index]}LifecycleState`,
  enumValue: (enumName, index) =>
    `${longEnumValuePrefix(enumName)}_${LONG_ENUM_STATES[index % LONG_ENUM_STATES.length]}`,
  field: (word) => LONG_FIELDS.get(word)!,
  oneof: "preferred_notification_delivery_channel_selection",
  nestedMessage: "ConfigurableLineItemComponentBreakdownPart",
  nestedEnum: "LineItemComponentFulfillmentProcessingStage",
  nestedFields: [
    "primary_configurable_line_item_component_breakdown_part",
    "all_configurable_line_item_component_breakdown_parts",
    "current_line_item_component_fulfillment_processing_stage",
  ],
  service: (entity) => `${LONG_ENTITIES[entity]}ManagementService`,
  method: (verb, entity) => `${LONG_VERBS[verb]}${LONG_ENTITIES[entity]}`,
};

const namingOf = (options: SyntheticOptions): Naming =>
  options.names === "long" ? LONG_NAMES : SHORT_NAMES;

/**
 * Checks that the long naming keeps its promises for `options`: every name
 * 40–60 characters, and no two names clash where protoc would reject them
 * (the same scope, or fields with the same JSON name).
 */
function checkLongNames(options: SyntheticOptions): void {
  const n = LONG_NAMES;
  const unique = (what: string, names: readonly string[]): void => {
    const bad = names.find((name) => !fits(name));
    if (bad && !what.includes("JSON"))
      throw new Error(`long ${what} name ${bad}: ${bad.length} characters`);
    if (new Set(names).size !== names.length)
      throw new Error(`long ${what} names clash: ${names.join(" ")}`);
  };
  const range = (count: number): number[] =>
    Array.from({ length: count }, (_, i) => i);
  const valueCount = Math.max(8, LONG_ENUM_STATES.length);
  const enums = range(options.enumsPerFile).map(n.fileEnum);
  const services = range(ENTITIES.length).map(n.service);
  // A package's scope: its messages, enums, services and its enums' values.
  unique("package-level", [
    ...range(options.topLevelMessagesPerFile).map(n.message),
    ...enums,
    ...services,
    ...enums.flatMap((e) => range(valueCount).map((i) => n.enumValue(e, i))),
  ]);
  const camel = (snake: string): string =>
    snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const fields = [...FIELD_WORDS.map(n.field), ...n.nestedFields, n.oneof];
  unique("field", fields);
  unique("field (JSON)", fields.map(camel));
  unique("nested", [
    n.nestedMessage,
    n.nestedEnum,
    ...range(valueCount).map((i) => n.enumValue(n.nestedEnum, i)),
  ]);
  for (const entity of range(ENTITIES.length))
    unique(
      "method",
      range(VERBS.length).map((verb) => n.method(verb, entity)),
    );
}

/** Everything one file needs to pick types, and the imports it ended up using. */
interface FileContext {
  readonly file: number;
  readonly random: Random;
  readonly options: SyntheticOptions;
  readonly names: Naming;
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
    return `${packageOf(other)}.${ctx.names.message(random.int(0, options.topLevelMessagesPerFile - 1))}`;
  }
  return ctx.names.message(random.int(0, options.topLevelMessagesPerFile - 1));
}

const enumType = (ctx: FileContext): string =>
  ctx.names.fileEnum(ctx.random.int(0, ctx.options.enumsPerFile - 1));

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
  const { random, names } = ctx;
  const words = [...FIELD_WORDS];
  const takeWord = (): string =>
    names.field(words.splice(random.int(0, words.length - 1), 1)[0]!);
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
    lines.push(`${indent}oneof ${names.oneof} {`);
    for (let i = random.int(2, 4); i > 0; i--)
      lines.push(`${indent}  ${valueType(ctx)} ${takeWord()} = ${number++};`);
    lines.push(`${indent}}`);
  }
  ctx.stats.fields += number - 1;
  return lines;
}

function enumLines(
  names: Naming,
  name: string,
  valueCount: number,
  indent: string,
): string[] {
  const values = Array.from(
    { length: valueCount },
    (_, i) => `${indent}  ${names.enumValue(name, i)} = ${i};`,
  );
  return [`${indent}enum ${name} {`, ...values, `${indent}}`];
}

function messageLines(ctx: FileContext, index: number): string[] {
  const { random, options, names } = ctx;
  const name = names.message(index);
  const lines = [
    `// ${name} of file ${ctx.file}, generated for the codegen benchmark.`,
    `message ${name} {`,
  ];
  if (index < options.nestedMessagesPerFile) {
    // Nested types, used from the parent's own fields via their short names.
    const [single, repeated, stage] = names.nestedFields;
    lines.push(
      `  message ${names.nestedMessage} {`,
      ...fieldLines(ctx, random.int(2, 5), false, "    "),
      "  }",
    );
    lines.push(...enumLines(names, names.nestedEnum, random.int(2, 5), "  "));
    lines.push(
      `  ${names.nestedMessage} ${single} = 100;`,
      `  repeated ${names.nestedMessage} ${repeated} = 101;`,
      `  ${names.nestedEnum} ${stage} = 102;`,
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
  const { random, options, names } = ctx;
  const entity = (index * 3 + ctx.file) % ENTITIES.length;
  const lines = [`service ${names.service(entity)} {`];
  const methodCount = random.int(3, 6);
  for (let m = 0; m < methodCount; m++) {
    const kind = random.weighted(METHOD_KINDS);
    const topLevel = (): string =>
      names.message(random.int(0, options.topLevelMessagesPerFile - 1));
    const request = `${kind === "client-streaming" || kind === "bidi" ? "stream " : ""}${topLevel()}`;
    const response = `${kind === "server-streaming" || kind === "bidi" ? "stream " : ""}${topLevel()}`;
    lines.push(
      `  rpc ${names.method(m, entity)}(${request}) returns (${response});`,
    );
    ctx.stats.methods[kind] += 1;
  }
  ctx.stats.services += 1;
  return [...lines, "}", ""];
}

function fileText(ctx: FileContext): string {
  const { options } = ctx;
  const body: string[] = [];
  for (let e = 0; e < options.enumsPerFile; e++)
    body.push(
      ...enumLines(ctx.names, ctx.names.fileEnum(e), ctx.random.int(3, 8), ""),
      "",
    );
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
  const names = namingOf(options);
  if (names === LONG_NAMES) checkLongNames(options);
  const files: string[] = [];
  for (let file = 0; file < options.fileCount; file++) {
    const text = fileText({
      file,
      random,
      options,
      names,
      imports: new Set(),
      stats,
    });
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
  const args = process.argv.slice(2);
  const long = args.includes("--long-names");
  const dir = args.find((arg) => !arg.startsWith("--"));
  if (!dir)
    throw new Error(
      "usage: npx tsx bench/synthetic.ts <output dir> [--long-names]",
    );
  const options = long ? LONG_NAME_OPTIONS : DEFAULT_OPTIONS;
  console.log(describeSchema(writeSyntheticSchema(resolve(dir), options)));
}
