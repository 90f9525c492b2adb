/**
 * googleapis (npm google-proto-files) as a fixture: ~100 real-world proto
 * files generate without diagnostics, the output type-checks under strict
 * and under each stricter setting applications use, and seeded random messages of every generated type survive our
 * decode → encode and decode → toJson → fromJson → encode, judged by
 * protobufjs reflection of the same files. Reproduce a failure with the
 * printed seed (CONFORMANCE_SEED, see helpers/random-message.ts);
 * GOOGLEAPIS_COUNT sets the messages per type.
 */
import { isDeepStrictEqual } from "node:util";
import test from "ava";
import protobuf from "protobufjs";
import { type Extension, createRegistry } from "../runtime/core/index.js";
import {
  type Codec,
  GOOGLEAPIS_VERSION,
  firstDifference,
  generateGoogleapis,
  hex,
  importCodecs,
  loadPbjsGoogleapis,
  pbjsTypes,
  show,
  shrink,
  typeCheckGenerated,
} from "./helpers/googleapis.js";
import { ANY_TYPES, RandomMessages } from "./helpers/googleapis-random.js";
import { STRICTER_SETTINGS } from "./helpers/typecheck.js";
import { type Msg, Rng, seedFor, seedInfo } from "./helpers/random-message.js";

/** The proto files generated (paths inside google-proto-files). */
const FILES = Object.entries({
  "google/api": ["annotations", "auth", "backend", "billing", "client", "config_change", "consumer", "context",
    "control", "distribution", "documentation", "endpoint", "error_reason", "field_behavior", "field_info", "http",
    "httpbody", "label", "launch_stage", "log", "logging", "metric", "monitored_resource", "monitoring", "policy",
    "quota", "resource", "routing", "service", "source_info", "system_parameter", "usage", "visibility"],
  "google/rpc": ["code", "error_details", "http", "status"],
  "google/rpc/context": ["attribute_context", "audit_context"],
  "google/type": ["calendar_period", "color", "date", "datetime", "dayofweek", "decimal", "expr", "fraction",
    "interval", "latlng", "localized_text", "money", "month", "phone_number", "postal_address", "quaternion",
    "timeofday"],
  "google/longrunning": ["operations"],
  "google/pubsub/v1": ["pubsub", "schema"],
  "google/firestore/v1": ["aggregation_result", "bloom_filter", "common", "document", "explain_stats", "firestore",
    "pipeline", "query", "query_profile", "write"],
  "google/spanner/v1": ["change_stream", "commit_response", "keys", "location", "mutation", "query_plan",
    "result_set", "spanner", "transaction", "type"],
  "google/storage/v2": ["storage"],
  "google/cloud/speech/v1": ["cloud_speech", "cloud_speech_adaptation", "resource"],
  "google/iam/v1": ["iam_policy", "options", "policy", "resource_policy_member"],
  "google/iam/v1/logging": ["audit_data"],
  "google/datastore/v1": ["aggregation_result", "datastore", "entity", "query", "query_profile"],
  "google/bigtable/v2": ["bigtable", "data", "feature_flags", "peer_info", "request_stats", "response_params",
    "session", "types"],
  "google/logging/v2": ["log_entry", "logging", "logging_config", "logging_metrics"],
}).flatMap(([dir, names]) => names.map((n) => `${dir}/${n}.proto`));

const COUNT = Number(process.env.GOOGLEAPIS_COUNT || 12);
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, bytes: String, defaults: false };

const generated = await generateGoogleapis(FILES);
const root = loadPbjsGoogleapis(FILES);
const extensions: Extension<any, any>[] = [];
const codecs = generated.diagnostics.length === 0 ? await importCodecs(generated.dir, generated.paths, extensions) : new Map<string, Codec>();
// Extensions too: options messages carry google.api's, which JSON writes as "[google.api.field_behavior]".
const json = { registry: createRegistry(...codecs.values(), ...extensions) };
/** Every protobufjs type with a generated codec: the files' own and the well-known ones they use. */
const types = pbjsTypes(root).filter((t) => codecs.has(t.fullName.slice(1)));

test(`generates ${FILES.length} googleapis files (google-proto-files ${GOOGLEAPIS_VERSION}) with no diagnostics`, (t) => {
  t.log(`generated ${generated.paths.length} modules in ${generated.ms} ms`);
  t.deepEqual(generated.diagnostics, [], generated.diagnostics.slice(0, 20).join("\n"));
  t.true(generated.paths.some((p) => p.endsWith("_host.ts")), "service modules are generated");
});

test("every message type of those files has a codec, under its protobufjs name", (t) => {
  const files = new Set(FILES);
  const own = pbjsTypes(root).filter((type) => {
    const file = type.filename?.replace(/\\/g, "/") ?? "";
    return [...files].some((f) => file.endsWith("/" + f));
  });
  const missing = own.filter((type) => !codecs.has(type.fullName.slice(1))).map((type) => type.fullName);
  t.deepEqual(missing, [], "types without a codec");
  const unknown = [...codecs.keys()].filter((name) => !root.lookup(name));
  t.deepEqual(unknown, [], "codecs protobufjs does not know");
  t.true(own.length > 500, `only ${own.length} message types`);
});

test("the generated code type-checks under strict", (t) => {
  const [check] = typeCheckGenerated(generated.dir, [{}]);
  t.log(`type-checked in ${check.ms} ms`);
  t.is(check.count, 0, `${check.count} errors ${JSON.stringify(check.codes)}, first:\n${check.first}`);
});

for (const [name, options] of Object.entries(STRICTER_SETTINGS)) {
  test(`the generated code type-checks under strict + ${name}`, (t) => {
    const [check] = typeCheckGenerated(generated.dir, [options], 8);
    t.is(check.count, 0, `${check.count} errors ${JSON.stringify(check.codes)}\n${check.first}`);
  });
}

/** protobufjs' reading of `bytes`, an Any's value read as its message (JSON re-encodes it; only its content must survive). */
const view = (type: protobuf.Type, bytes: Uint8Array) => expandAny(type.toObject(type.decode(bytes), TO_OBJECT));

function expandAny(v: unknown): any {
  if (Array.isArray(v)) return v.map(expandAny);
  if (!v || typeof v !== "object") return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandAny(x)]));
  // Only the Any protobufjs bundles has a snake_case type_url (keepCase: false renames the files' fields).
  if (typeof o.type_url === "string" && typeof o.value === "string") {
    const inner = root.lookupType(o.type_url.slice(o.type_url.lastIndexOf("/") + 1));
    o.value = view(inner, Buffer.from(o.value, "base64"));
  }
  return o;
}

/** One round trip of protobufjs' bytes; a description of what went wrong, or undefined. */
type Check = (type: protobuf.Type, codec: Codec, bytes: Uint8Array) => string | undefined;

const binary: Check = (type, codec, bytes) => {
  let ours: Uint8Array;
  try {
    ours = codec.encode(codec.decode(bytes));
  } catch (e) {
    return `decode → encode threw ${String(e)}`;
  }
  return compare(type, bytes, ours, "decode → encode");
};

const viaJson: Check = (type, codec, bytes) => {
  let text = "";
  try {
    text = JSON.stringify(codec.toJson(codec.decode(bytes), json));
  } catch (e) {
    return `decode → toJson threw ${String(e)}`;
  }
  let ours: Uint8Array;
  try {
    ours = codec.encode(codec.fromJson(JSON.parse(text), json));
  } catch (e) {
    return `fromJson → encode threw ${String(e)}; JSON ${text.slice(0, 600)}`;
  }
  const d = compare(type, bytes, ours, "decode → toJson → fromJson → encode");
  return d && `${d}; JSON ${text.slice(0, 600)}`;
};

function compare(type: protobuf.Type, original: Uint8Array, ours: Uint8Array, what: string): string | undefined {
  let back: unknown;
  try {
    back = view(type, ours);
  } catch (e) {
    return `protobufjs cannot decode the result of ${what}: ${String(e)}; ours ${hex(ours)}`;
  }
  const d = firstDifference(view(type, original), back);
  return d && `${what} changed the message at ${d}; ours ${hex(ours).slice(0, 600)}`;
}

const encodeInput = (type: protobuf.Type, input: Msg) => type.encode(type.fromObject(input)).finish();

/** COUNT random messages of each type through `check`; the first failure per type, shrunk. */
function roundTrips(kind: string, check: Check, packageTypes: protobuf.Type[]): string[] {
  const failures: string[] = [];
  for (const type of packageTypes) {
    const name = type.fullName.slice(1);
    const codec = codecs.get(name)!;
    const label = `googleapis ${name}`;
    const random = new RandomMessages(root, new Rng(seedFor(label)));
    for (let i = 0; i < COUNT; i++) {
      const input = random.message(type);
      const bytes = encodeInput(type, input);
      const problem = check(type, codec, bytes);
      if (problem === undefined) continue;
      // Shrinking keeps only inputs that fail the same way (array indices aside), not some other way.
      const signature = (p: string) => p.split(": expected")[0].split("; ours")[0].replace(/\.\d+\b/g, ".#");
      const small = shrink(input, (m) => {
        const p = check(type, codec, encodeInput(type, m));
        return p !== undefined && signature(p) === signature(problem);
      });
      const smallBytes = encodeInput(type, small);
      failures.push(
        `${kind} ${name} ${seedInfo(label, i)}: ${problem}\n  bytes ${hex(bytes).slice(0, 2000)}\n` +
          `  shrunk to ${show(small)}: ${check(type, codec, smallBytes)}\n  shrunk bytes ${hex(smallBytes)}`,
      );
      break;
    }
  }
  return failures;
}

/** The package a type is declared in. */
function packageOf(type: protobuf.Type): string {
  let p: protobuf.Namespace | null = type.parent;
  while (p instanceof protobuf.Type) p = p.parent;
  return p?.fullName.slice(1) ?? "";
}

const byPackage = new Map<string, protobuf.Type[]>();
for (const type of types) byPackage.set(packageOf(type), [...(byPackage.get(packageOf(type)) ?? []), type]);

test("the round-tripped types cover maps, oneofs, nested and well-known messages, repeated fields, enums and int64s", (t) => {
  const has = (test: (f: protobuf.Field) => boolean) => types.filter((type) => type.fieldsArray.some(test)).length;
  const coverage = {
    types: types.length,
    maps: has((f) => f.map),
    oneofs: types.filter((type) => type.oneofsArray.some((o) => !o.fieldsArray[0]?.options?.proto3_optional)).length,
    optionals: has((f) => f.options?.proto3_optional === true),
    nested: has((f) => f.resolvedType instanceof protobuf.Type),
    wellKnown: has((f) => f.resolvedType?.fullName.startsWith(".google.protobuf.") === true),
    repeated: has((f) => f.repeated && !f.map),
    enums: has((f) => f.resolvedType instanceof protobuf.Enum),
    int64s: has((f) => /64$/.test(f.type)),
  };
  t.log(JSON.stringify(coverage), `× ${COUNT} messages, packages: ${[...byPackage.keys()].join(" ")}`);
  for (const [what, n] of Object.entries(coverage)) t.true(n >= 10, `only ${n} types with ${what}`);
  for (const name of ANY_TYPES) t.true(codecs.has(name), `${name} (held in Any) has a codec`);
});

test("the random inputs are what protobufjs encodes: no field of them is dropped by fromObject", (t) => {
  const dropped: string[] = [];
  let bytes = 0;
  for (const type of types) {
    const random = new RandomMessages(root, new Rng(seedFor(`googleapis ${type.fullName.slice(1)}`)));
    for (let i = 0; i < 3; i++) {
      const input = random.message(type);
      const encoded = encodeInput(type, input);
      bytes += encoded.length;
      const back = Object.keys(view(type, encoded)).sort();
      if (!isDeepStrictEqual(back, Object.keys(input).sort())) dropped.push(`${type.fullName}: ${Object.keys(input)} → ${back}`);
    }
  }
  t.deepEqual(dropped, []);
  t.true(bytes / (3 * types.length) > 50, `messages average only ${bytes / (3 * types.length)} bytes`);
});

test("Any with a value but no type_url: toJson fails rather than dropping the value", (t) => {
  const Status = codecs.get("google.rpc.Status")!;
  // google.rpc.Status { details: [Any { value: 0x0801 }] }: type_url empty, value set.
  const bytes = new Uint8Array([0x1a, 0x04, 0x12, 0x02, 0x08, 0x01]);
  let out: unknown;
  try {
    out = Status.toJson(Status.decode(bytes), json);
  } catch (error) {
    t.log(String(error));
    return t.pass();
  }
  t.fail(`toJson of ${hex(bytes)} gave ${JSON.stringify(out)}: the Any's value is lost`);
});

for (const [pkg, packageTypes] of byPackage) {
  test(`${pkg}: ${packageTypes.length} types × ${COUNT} random messages survive decode → encode and the JSON round trip`, (t) => {
    const failures = [...roundTrips("binary", binary, packageTypes), ...roundTrips("json", viaJson, packageTypes)];
    if (failures.length > 0) t.fail(`${failures.length} failures:\n\n${failures.join("\n\n")}`);
    else t.pass();
  });
}
