/**
 * Seeded random messages of any protobufjs reflection type, as protobufjs
 * `fromObject` input (keepCase: false, so camelCase keys; 64-bit integers
 * as decimal strings). Values are ones every codec must carry through both
 * binary and proto3 JSON: well-known types hold values in their JSON range,
 * no -0 (JSON.stringify writes it as 0), implicit-presence fields are left
 * out at their default (protobufjs would write what it is given).
 */
import protobuf from "protobufjs";
import { type Msg, type Rng, gen } from "./random-message.js";

/** Nesting of message fields below the top message; deeper, message fields stay unset. */
export const MAX_DEPTH = 3;

/** The types an Any holds (each must be in the JSON registry). */
export const ANY_TYPES = [
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.Int64Value",
  "google.protobuf.StringValue",
  "google.protobuf.FieldMask",
  "google.protobuf.Empty",
  "google.protobuf.Any",
  "google.rpc.ErrorInfo",
  "google.rpc.BadRequest",
  "google.rpc.RetryInfo",
  "google.type.Money",
  "google.type.LatLng",
];

const noNegZero = (n: number) => (Object.is(n, -0) ? 0 : n);

/** Is `v` the default of an implicit-presence field (64-bit integers are decimal strings here)? */
function isDefault(v: unknown, type?: string): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  if (type !== undefined && /64$/.test(type)) return v === "0";
  return v === 0 || v === false || v === "";
}

/** Does the field track presence (message, oneof member, proto3 `optional`)? */
function hasPresence(f: protobuf.Field): boolean {
  return f.resolvedType instanceof protobuf.Type || f.partOf !== null || f.options?.proto3_optional === true;
}

/**
 * Does the enum keep numbers it does not declare? protobufjs resolves each
 * enum's features (proto2: enum_type CLOSED; proto3 and editions: OPEN unless
 * set) into `_features`, which its converter and decoder consult; the .d.ts
 * does not declare it, hence the cast.
 */
function isOpen(e: protobuf.Enum): boolean {
  const features = (e as unknown as { _features?: { enum_type?: string } })._features;
  if (features?.enum_type === undefined) throw new Error(`${e.fullName}: features not resolved (call root.resolveAll())`);
  return features.enum_type !== "CLOSED";
}

function scalar(type: string, r: Rng): unknown {
  switch (type) {
    case "double":
      return noNegZero(gen.f64(r));
    case "float":
      return noNegZero(gen.f32(r));
    case "int32":
    case "sint32":
    case "sfixed32":
      return gen.i32(r);
    case "uint32":
    case "fixed32":
      return gen.u32(r);
    case "int64":
    case "sint64":
    case "sfixed64":
      return String(gen.i64(r));
    case "uint64":
    case "fixed64":
      return String(gen.u64(r));
    case "bool":
      return gen.bool(r);
    case "string":
      return gen.string(r, 80);
    case "bytes":
      return gen.bytes(r);
  }
  throw new Error(`unknown scalar type ${type}`);
}

/** How many elements: mostly a few, now and then more. */
function count(r: Rng): number {
  return r.chance(0.8) ? r.below(4) : 4 + r.below(8);
}

function mapKey(type: string, r: Rng): string {
  switch (type) {
    case "string":
      return gen.string(r, 30);
    case "bool":
      return String(gen.bool(r));
    case "int32":
    case "sint32":
    case "sfixed32":
      return String(gen.i32(r));
    case "uint32":
    case "fixed32":
      return String(gen.u32(r));
  }
  // protobufjs keys 64-bit map entries by an 8-character hash, which the comparison does not undo.
  throw new Error(`map key type ${type} is not supported by this generator`);
}

export class RandomMessages {
  constructor(
    readonly root: protobuf.Root,
    readonly r: Rng,
  ) {}

  /** A random `fromObject` input for `type`. */
  message(type: protobuf.Type, depth = 0): Msg {
    const special = this.wellKnown(type, depth);
    if (special !== undefined) return special;
    const out: Msg = {};
    for (const oneof of type.oneofsArray) {
      if (oneof.fieldsArray.length === 1 && oneof.fieldsArray[0].options?.proto3_optional) continue;
      const members = oneof.fieldsArray.filter((f) => depth < MAX_DEPTH || !(f.resolvedType instanceof protobuf.Type));
      if (members.length === 0 || this.r.chance(0.25)) continue;
      const f = this.r.pick(members);
      out[f.name] = this.value(f, depth);
    }
    for (const f of type.fieldsArray) {
      if (f.partOf !== null && !f.options?.proto3_optional) continue;
      const isMessage = f.resolvedType instanceof protobuf.Type;
      if (f.map) {
        const entries: Msg = {};
        if (!isMessage || depth < MAX_DEPTH) {
          for (let n = count(this.r); n > 0; n--) entries[mapKey((f as unknown as protobuf.MapField).keyType, this.r)] = this.value(f, depth);
        }
        if (Object.keys(entries).length > 0) out[f.name] = entries;
      } else if (f.repeated) {
        const n = isMessage && depth >= MAX_DEPTH ? 0 : count(this.r);
        if (n > 0) out[f.name] = Array.from({ length: n }, () => this.value(f, depth));
      } else if (f.required) {
        // Decoding checks required fields (as C++ does): a message without one is not valid input.
        out[f.name] = this.value(f, depth);
      } else if (hasPresence(f)) {
        if ((!isMessage || depth < MAX_DEPTH) && this.r.chance(0.6)) out[f.name] = this.value(f, depth);
      } else if (!this.r.chance(0.3)) {
        const v = this.value(f, depth);
        if (!isDefault(v, f.type)) out[f.name] = v;
      }
    }
    return out;
  }

  /** One value of the field's type (one element, for repeated and map fields). */
  value(f: protobuf.Field, depth: number): unknown {
    const t = f.resolvedType;
    if (t instanceof protobuf.Type) return this.message(t, depth + 1);
    if (t instanceof protobuf.Enum) return this.enumValue(t);
    return scalar(f.type, this.r);
  }

  enumValue(e: protobuf.Enum): number {
    // Open enums keep values they do not declare; NullValue's JSON form is null whatever the number.
    // Closed enums (proto2 files such as descriptor.proto, editions with enum_type = CLOSED) do not:
    // an undeclared number is not a value of the field (parsers move it to unknown fields), and
    // protobufjs' fromObject drops it, so it only ever gets declared values.
    if (isOpen(e) && e.fullName !== ".google.protobuf.NullValue" && this.r.chance(0.05)) return this.r.pick([7, 100, -1]);
    return this.r.pick(Object.values(e.values));
  }

  /**
   * `o` with its camelCase keys renamed to the fields of `typeName`: the
   * well-known types protobufjs bundles keep snake_case field names
   * (`type_url`, `number_value`) whatever keepCase says.
   */
  private named(typeName: string, o: Msg): Msg {
    const type = this.root.lookupType(typeName);
    const name = (k: string) => type.fieldsArray.find((f) => protobuf.util.camelCase(f.name) === k)?.name;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [name(k) ?? k, v]));
  }

  /** Well-known types, with values inside their JSON range; undefined for other types. */
  private wellKnown(type: protobuf.Type, depth: number): Msg | undefined {
    const special = this.wellKnownCamel(type, depth);
    return special && this.named(type.fullName, special);
  }

  private wellKnownCamel(type: protobuf.Type, depth: number): Msg | undefined {
    const r = this.r;
    const nonDefault = (o: Msg): Msg =>
      Object.fromEntries(Object.entries(o).filter(([k, v]) => !isDefault(v, k === "seconds" ? "int64" : undefined)));
    const nanos = () => r.pick([0, 1, 999999999, 500000000, r.below(1000) * 1000000, r.below(1000000) * 1000, r.below(1e9)]);
    switch (type.fullName) {
      case ".google.protobuf.Timestamp": {
        const seconds = r.pick([0, -1, 1, -62135596800, 253402300799, r.below(4102444800), r.below(253402300799) - r.below(62135596800)]);
        return nonDefault({ seconds: String(seconds), nanos: nanos() });
      }
      case ".google.protobuf.Duration": {
        const seconds = r.pick([0, 1, 315576000000, r.below(100000), r.below(315576000000)]);
        const n = nanos();
        const sign = r.chance(0.5) ? -1 : 1;
        return nonDefault({ seconds: String(sign * seconds), nanos: noNegZero(sign * n) });
      }
      case ".google.protobuf.FieldMask": {
        const word = () => r.pick(["a", "name", "display", "update", "time", "x", "labels", "v2"]);
        const segment = () => Array.from({ length: 1 + r.below(3) }, word).join("_");
        const paths = Array.from({ length: count(r) }, () => Array.from({ length: 1 + r.below(3) }, segment).join("."));
        return paths.length ? { paths } : {};
      }
      case ".google.protobuf.Value":
        return this.jsonValue(depth);
      case ".google.protobuf.Struct":
        return this.struct(depth);
      case ".google.protobuf.ListValue":
        return this.list(depth);
      case ".google.protobuf.Any": {
        if (depth >= MAX_DEPTH) return { typeUrl: "type.googleapis.com/google.protobuf.Empty" };
        const inner = this.root.lookupType(r.pick(ANY_TYPES));
        const value = inner.encode(inner.fromObject(this.message(inner, depth + 1))).finish();
        return nonDefault({ typeUrl: `type.googleapis.com/${inner.fullName.slice(1)}`, value });
      }
    }
    return undefined;
  }

  private jsonValue(depth: number): Msg {
    return this.named(".google.protobuf.Value", this.jsonValueCamel(depth));
  }

  private jsonValueCamel(depth: number): Msg {
    const r = this.r;
    const kinds = depth < MAX_DEPTH ? 6 : 4;
    switch (r.below(kinds)) {
      case 0:
        return { nullValue: 0 };
      case 1: {
        const n = noNegZero(gen.f64(r));
        return { numberValue: Number.isFinite(n) ? n : 0 };
      }
      case 2:
        return { stringValue: gen.string(r, 40) };
      case 3:
        return { boolValue: gen.bool(r) };
      case 4:
        return { structValue: this.struct(depth + 1) };
      default:
        return { listValue: this.list(depth + 1) };
    }
  }

  private struct(depth: number): Msg {
    const fields: Msg = {};
    for (let n = count(this.r); n > 0; n--) fields[gen.string(this.r, 20)] = this.jsonValue(depth);
    return this.named(".google.protobuf.Struct", Object.keys(fields).length ? { fields } : {});
  }

  private list(depth: number): Msg {
    const values = Array.from({ length: count(this.r) }, () => this.jsonValue(depth));
    return this.named(".google.protobuf.ListValue", values.length ? { values } : {});
  }
}
