/**
 * 64-bit integers read back exactly, on every path the reader takes to
 * build the bigint (one 32-bit half, a double below 2^53, two halves), for
 * each of the five 64-bit types, as protobufjs writes them: the values at
 * and around every boundary between those paths.
 */
import test from "ava";
import protobuf from "protobufjs";
import { BinaryReader } from "../runtime/core/reader.js";

const edges = [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n];
const signed = [...edges, ...edges.map((v) => -v), -(2n ** 63n), -(2n ** 31n) - 1n, -(2n ** 32n) - 1n];
const unsigned = [...edges, 2n ** 63n, 2n ** 64n - 1n];

const long = (v: bigint, unsignedType: boolean) => {
  const u = BigInt.asUintN(64, v);
  return new protobuf.util.Long(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0, unsignedType);
};

const cases: [string, bigint[], (w: protobuf.Writer, v: bigint) => void, (r: BinaryReader) => bigint][] = [
  ["int64", signed, (w, v) => w.int64(long(v, false)), (r) => r.int64()],
  ["uint64", unsigned, (w, v) => w.uint64(long(v, true)), (r) => r.uint64()],
  ["sint64", signed, (w, v) => w.sint64(long(v, false)), (r) => r.sint64()],
  ["fixed64", unsigned, (w, v) => w.fixed64(long(v, true)), (r) => r.fixed64()],
  ["sfixed64", signed, (w, v) => w.sfixed64(long(v, false)), (r) => r.sfixed64()],
];

for (const [type, values, write, read] of cases) {
  test(`${type}: every boundary value reads back as written`, (t) => {
    for (const v of values) {
      const bytes = (() => {
        const w = protobuf.Writer.create();
        write(w, v);
        return w.finish();
      })();
      const r = new BinaryReader(bytes);
      t.is(read(r), v, `${type} ${v}`);
      t.is(r.pos, bytes.length);
    }
  });
}
