/** Seeded random conformance.WellKnown messages (binary shape: any seconds, nanos, type URL). */
import { type Msg, type Rng, gen, implicit, list, map } from "./random-message.js";

function value(r: Rng, depth: number): Msg {
  const kinds = [
    () => ({ case: "nullValue", value: 0 }),
    () => ({ case: "numberValue", value: gen.f64(r) }),
    () => ({ case: "stringValue", value: gen.string(r, 50) }),
    () => ({ case: "boolValue", value: gen.bool(r) }),
    () => ({ case: "structValue", value: struct(r, depth - 1) }),
    () => ({ case: "listValue", value: { values: list(r, () => value(r, depth - 1), 5) } }),
  ];
  if (r.chance(0.05)) return { kind: { case: undefined } };
  return { kind: r.pick(depth > 0 ? kinds : kinds.slice(0, 4))() };
}

const struct = (r: Rng, depth: number): Msg => ({ fields: map(r, () => gen.string(r, 20), () => value(r, depth)) });
const secondsNanos = (r: Rng): Msg => ({ seconds: implicit(r, 0n, () => gen.i64(r)), nanos: implicit(r, 0, () => gen.i32(r)) });
const wrapper = <T>(r: Rng, zero: T, make: () => T) => r.maybe(0.5, () => ({ value: implicit(r, zero, make) }));

export function wellKnown(r: Rng): Msg {
  return {
    wTimestamp: r.maybe(0.5, () => secondsNanos(r)),
    wDuration: r.maybe(0.5, () => secondsNanos(r)),
    wInt32: wrapper(r, 0, () => gen.i32(r)),
    wInt64: wrapper(r, 0n, () => gen.i64(r)),
    wString: wrapper(r, "", () => gen.string(r)),
    wBool: wrapper(r, false, () => true),
    wBytes: wrapper(r, new Uint8Array(0), () => gen.bytes(r)),
    wDouble: wrapper(r, 0, () => gen.f64(r, true)),
    wFloat: wrapper(r, 0, () => gen.f32(r, true)),
    wUint32: wrapper(r, 0, () => gen.u32(r)),
    wUint64: wrapper(r, 0n, () => gen.u64(r)),
    wStruct: r.maybe(0.5, () => struct(r, 2)),
    wValue: r.maybe(0.5, () => value(r, 2)),
    wList: r.maybe(0.5, () => ({ values: list(r, () => value(r, 1), 6) })),
    wEmpty: r.maybe(0.5, () => ({})),
    wAny: r.maybe(0.5, () => ({
      typeUrl: implicit(r, "", () => "type.googleapis.com/" + gen.string(r, 30)),
      value: implicit(r, new Uint8Array(0), () => gen.bytes(r)),
    })),
    wMask: r.maybe(0.5, () => ({ paths: list(r, () => gen.string(r, 20), 5) })),
    wTimestamps: list(r, () => secondsNanos(r), 5),
  };
}
