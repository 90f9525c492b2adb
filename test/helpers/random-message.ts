/**
 * Seeded random messages of the conformance schema
 * (test/fixtures/conformance/conformance.proto), in the shape streampath's
 * generated code uses. Well-known types are in conformance-random-wkt.ts,
 * the converter to protobufjs' `fromObject` input in conformance-pbjs.ts.
 *
 * Every run is deterministic: the base seed is 0x5eed1234 unless the
 * CONFORMANCE_SEED environment variable says otherwise, and each test derives
 * its own seed from it with `seedFor(label)`. Failures print the seed.
 */
// The generated shapes are plain objects; the tests compare them structurally.
export type Msg = { [key: string]: any };

export const BASE_SEED: number = (() => {
  const env = process.env.CONFORMANCE_SEED;
  if (env === undefined || env === "") return 0x5eed1234;
  const n = Number(env);
  if (!Number.isInteger(n)) throw new Error(`CONFORMANCE_SEED must be an integer, got ${JSON.stringify(env)}`);
  return n >>> 0;
})();

/** A seed of its own for each test, derived from the base seed (FNV-1a of the label). */
export function seedFor(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return (h ^ BASE_SEED) >>> 0;
}

/** How to reproduce: shown in every failure message. */
export function seedInfo(label: string, i: number): string {
  return `[${label} #${i}, seed ${seedFor(label)}; rerun with CONFORMANCE_SEED=${BASE_SEED}]`;
}

/** mulberry32: small, fast, and good enough to pick test values. */
export class Rng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(values: readonly T[]): T {
    return values[this.below(values.length)];
  }
  /** `undefined` with probability p, else `make()`. */
  maybe<T>(p: number, make: () => T): T | undefined {
    return this.chance(p) ? undefined : make();
  }
}

// ---- scalar values, edges first ------------------------------------------

const I32_EDGES = [0, -1, 1, 127, 128, -128, 16383, 16384, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31)];
const U32_EDGES = [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
const I64_EDGES = [
  0n, -1n, 1n, 127n, 128n, 2n ** 30n - 1n, -(2n ** 30n), -(2n ** 30n) - 1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 31n,
  2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n), -(2n ** 53n) - 1n,
  2n ** 63n - 1n, -(2n ** 63n),
];
const U64_EDGES = [0n, 1n, 127n, 128n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
  2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];
const F64_EDGES = [0, -0, 1, -1, 0.1, -2.5, 1e-300, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 2 ** 53, 2 ** 31, 2 ** 32, NaN, Infinity, -Infinity];
const F32_EDGES = [0, -0, 1, -1, 0.1, 1.401298464324817e-45, -1.401298464324817e-45, 1.1754942106924411e-38,
  1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 16777217, 2 ** 31, NaN, Infinity, -Infinity,
].map(Math.fround);

const f64 = new DataView(new ArrayBuffer(8));
const noNegZero = (n: number) => (Object.is(n, -0) ? 0 : n);

export const gen = {
  i32(r: Rng): number {
    if (r.chance(0.3)) return r.pick(I32_EDGES);
    const bits = 1 + r.below(31);
    const n = r.u32() >>> (32 - bits);
    return r.chance(0.3) ? -n | 0 : n;
  },
  u32(r: Rng): number {
    return r.chance(0.3) ? r.pick(U32_EDGES) : r.u32() >>> r.below(32);
  },
  i64(r: Rng): bigint {
    if (r.chance(0.3)) return r.pick(I64_EDGES);
    const n = gen.u64(r);
    return BigInt.asIntN(64, r.chance(0.3) ? -n : n);
  },
  u64(r: Rng): bigint {
    if (r.chance(0.3)) return r.pick(U64_EDGES);
    const wide = (BigInt(r.u32()) << 32n) | BigInt(r.u32());
    return wide >> BigInt(r.below(64));
  },
  /** Doubles; `implicit` fields never get -0 (an implicit-presence -0 is not written, so comes back as 0). */
  f64(r: Rng, implicit = false): number {
    let n: number;
    if (r.chance(0.3)) n = r.pick(F64_EDGES);
    else if (r.chance(0.5)) n = (r.below(20001) - 10000) / 16;
    else {
      f64.setUint32(0, r.u32());
      f64.setUint32(4, r.u32());
      n = f64.getFloat64(0);
      if (Number.isNaN(n)) n = r.u32(); // no NaN payloads: they need not survive a round trip
    }
    return implicit ? noNegZero(n) : n;
  },
  /** Values a float field can hold exactly (float32). */
  f32(r: Rng, implicit = false): number {
    let n: number;
    if (r.chance(0.3)) n = r.pick(F32_EDGES);
    else if (r.chance(0.5)) n = Math.fround((r.below(20001) - 10000) / 8);
    else {
      f64.setUint32(0, r.u32());
      n = f64.getFloat32(0);
      if (Number.isNaN(n)) n = Math.fround(r.below(1 << 24));
    }
    return implicit ? noNegZero(n) : n;
  },
  bool: (r: Rng) => r.chance(0.5),
  string(r: Rng, maxLength = 300): string {
    const length = r.chance(0.5)
      ? r.pick([0, 1, 2, 41, 42, 43, 44, 63, 64, 126, 127, 128, 129, 300].filter((n) => n <= maxLength))
      : r.below(Math.min(maxLength, 50) + 1);
    const ascii = r.chance(0.5);
    let s = "";
    while (s.length < length) {
      const c = ascii || r.chance(0.5) ? r.pick(ASCII) : r.pick(NON_ASCII);
      s += s.length + c.length <= length ? c : "a";
    }
    return s;
  },
  bytes(r: Rng): Uint8Array {
    const length = r.chance(0.004)
      ? 16385 + r.below(4000)
      : r.chance(0.3)
        ? r.pick([0, 1, 2, 127, 128, 129, 300])
        : r.below(65);
    const b = new Uint8Array(length);
    for (let i = 0; i < length; i++) b[i] = r.u32() & 255;
    return b;
  },
  /** Color, now and then a value the enum lacks (open enums keep it). */
  color: (r: Rng) => (r.chance(0.05) ? r.pick([7, 100, -1]) : r.pick([0, 1, 2, -3])),
  level: (r: Rng) => (r.chance(0.05) ? 7 : r.pick([0, 1, 2])),
};
const ASCII = [..."abcdefxyzABCXYZ0123456789 _-/.,:;\"'\\\n\t\u0000\u007f"];
const NON_ASCII = ["é", "ß", "Ω", "ж", "\u0080", "\u07ff", "\u0800", "中", "€", "⌘", "\ufeff", "\uffff", "😀", "𝄞",
  "\u{10ffff}", "👩‍💻"];

/** Implicit presence: the default (0, "", false, empty) 35% of the time. */
export function implicit<T>(r: Rng, zero: T, make: () => T): T {
  return r.chance(0.35) ? zero : make();
}

export function list<T>(r: Rng, make: () => T, max = 60): T[] {
  const n = r.chance(0.7) ? r.below(5) : r.chance(0.85) ? 5 + r.below(16) : 20 + r.below(41);
  return Array.from({ length: Math.min(n, max) }, make);
}

export function map<V>(r: Rng, key: () => string | number, value: () => V): { [key: string]: V } {
  const out: { [key: string]: V } = {};
  for (let n = r.below(5); n > 0; n--) out[key()] = value();
  return out;
}

// ---- messages --------------------------------------------------------------

export function scalars(r: Rng): Msg {
  return {
    fDouble: implicit(r, 0, () => gen.f64(r, true)),
    fFloat: implicit(r, 0, () => gen.f32(r, true)),
    fInt32: implicit(r, 0, () => gen.i32(r)),
    fInt64: implicit(r, 0n, () => gen.i64(r)),
    fUint32: implicit(r, 0, () => gen.u32(r)),
    fUint64: implicit(r, 0n, () => gen.u64(r)),
    fSint32: implicit(r, 0, () => gen.i32(r)),
    fSint64: implicit(r, 0n, () => gen.i64(r)),
    fFixed32: implicit(r, 0, () => gen.u32(r)),
    fFixed64: implicit(r, 0n, () => gen.u64(r)),
    fSfixed32: implicit(r, 0, () => gen.i32(r)),
    fSfixed64: implicit(r, 0n, () => gen.i64(r)),
    fBool: implicit(r, false, () => gen.bool(r)),
    fString: implicit(r, "", () => gen.string(r)),
    fBytes: implicit(r, new Uint8Array(0), () => gen.bytes(r)),
    fColor: implicit(r, 0, () => gen.color(r)),
  };
}

export function optionals(r: Rng): Msg {
  return {
    oDouble: r.maybe(0.4, () => gen.f64(r)),
    oInt32: r.maybe(0.4, () => gen.i32(r)),
    oInt64: r.maybe(0.4, () => gen.i64(r)),
    oUint64: r.maybe(0.4, () => gen.u64(r)),
    oSint32: r.maybe(0.4, () => gen.i32(r)),
    oBool: r.maybe(0.4, () => gen.bool(r)),
    oString: r.maybe(0.4, () => gen.string(r)),
    oBytes: r.maybe(0.4, () => gen.bytes(r)),
    oColor: r.maybe(0.4, () => gen.color(r)),
  };
}

export function repeated(r: Rng): Msg {
  return {
    rDouble: list(r, () => gen.f64(r)),
    rFloat: list(r, () => gen.f32(r)),
    rInt32: list(r, () => gen.i32(r)),
    rInt64: list(r, () => gen.i64(r)),
    rUint32: list(r, () => gen.u32(r)),
    rUint64: list(r, () => gen.u64(r)),
    rSint32: list(r, () => gen.i32(r)),
    rSint64: list(r, () => gen.i64(r)),
    rFixed32: list(r, () => gen.u32(r)),
    rFixed64: list(r, () => gen.u64(r)),
    rSfixed32: list(r, () => gen.i32(r)),
    rSfixed64: list(r, () => gen.i64(r)),
    rBool: list(r, () => gen.bool(r)),
    rString: list(r, () => gen.string(r, 64), 10),
    rBytes: list(r, () => gen.bytes(r), 10),
    rColor: list(r, () => gen.color(r)),
    rMessage: list(r, () => scalars(r), 4),
    uInt32: list(r, () => gen.i32(r)),
    uSint64: list(r, () => gen.i64(r)),
    uDouble: list(r, () => gen.f64(r)),
    uColor: list(r, () => gen.color(r)),
  };
}

export const item = (r: Rng): Msg => ({
  name: implicit(r, "", () => gen.string(r, 64)),
  count: implicit(r, 0n, () => gen.i64(r)),
  tags: list(r, () => gen.string(r, 20), 8),
});

export function maps(r: Rng): Msg {
  const key = () => gen.string(r, 44);
  return {
    mStringString: map(r, key, () => gen.string(r, 130)),
    mInt32Int32: map(r, () => gen.i32(r), () => gen.i32(r)),
    mUint32Bytes: map(r, () => gen.u32(r), () => gen.bytes(r)),
    mSint32Double: map(r, () => gen.i32(r), () => gen.f64(r)),
    mFixed32Color: map(r, () => gen.u32(r), () => gen.color(r)),
    mStringMessage: map(r, key, () => scalars(r)),
    mSfixed32Int64: map(r, () => gen.i32(r), () => gen.i64(r)),
    mStringItem: map(r, key, () => item(r)),
  };
}

/** OddKeys: 64-bit keys as decimal strings, bool keys as "true"/"false". */
export function oddKeys(r: Rng): Msg {
  const value = () => gen.string(r, 50);
  return {
    mInt64: map(r, () => String(gen.i64(r)), value),
    mUint64: map(r, () => String(gen.u64(r)), value),
    mBool: map(r, () => String(gen.bool(r)), value),
    mSint64: map(r, () => String(gen.i64(r)), value),
    mFixed64: map(r, () => String(gen.u64(r)), value),
  };
}

export function choice(r: Rng): Msg {
  const picks = [
    () => ({ case: undefined }),
    () => ({ case: "cString", value: gen.string(r) }),
    () => ({ case: "cInt64", value: gen.i64(r) }),
    () => ({ case: "cMessage", value: scalars(r) }),
    () => ({ case: "cColor", value: gen.color(r) }),
    () => ({ case: "cBytes", value: gen.bytes(r) }),
    () => ({ case: "cDouble", value: gen.f64(r) }),
  ];
  const seconds = [
    () => ({ case: undefined }),
    () => ({ case: "sBool", value: gen.bool(r) }),
    () => ({ case: "sItem", value: item(r) }),
  ];
  return { pick: r.pick(picks)(), after: implicit(r, 0, () => gen.i32(r)), second: r.pick(seconds)() };
}

export function inner(r: Rng, depth = 4): Msg {
  return {
    label: implicit(r, "", () => gen.string(r, 50)),
    level: implicit(r, 0, () => gen.level(r)),
    child: depth > 0 && r.chance(0.4) ? inner(r, depth - 1) : undefined,
  };
}

export function nested(r: Rng): Msg {
  return {
    inner: r.maybe(0.3, () => inner(r)),
    inners: list(r, () => inner(r, 2), 4),
    level: implicit(r, 0, () => gen.level(r)),
    scalars: r.maybe(0.5, () => scalars(r)),
    item: r.maybe(0.5, () => item(r)),
  };
}

export function everything(r: Rng, depth = 2): Msg {
  return {
    scalars: r.maybe(0.4, () => scalars(r)),
    optionals: r.maybe(0.4, () => optionals(r)),
    repeated: r.maybe(0.6, () => repeated(r)),
    maps: r.maybe(0.5, () => maps(r)),
    choice: r.maybe(0.4, () => choice(r)),
    nested: r.maybe(0.5, () => nested(r)),
    children: depth > 0 && r.chance(0.4) ? Array.from({ length: 1 + r.below(2) }, () => everything(r, depth - 1)) : [],
  };
}
