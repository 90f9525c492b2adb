/**
 * proto2 `required` fields: optional properties in TypeScript (a message is
 * built up field by field), but encode refuses a message without one and
 * decode refuses bytes without one, as protobuf C++ and Java do.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import protobuf from "protobufjs";
import { Code, StreampathError } from "../runtime/core/index.js";
import { fromHex, hex } from "./helpers/conformance-pbjs.js";
import { FIXTURES, generateForThisProcess, importGenerated } from "./helpers/generated.js";

const PROTO = path.join(FIXTURES, "proto2/required.proto");
const dir = await generateForThisProcess("proto2-required", { files: [PROTO] });
const R = await importGenerated(dir, "required_pb.ts");
const { Point, Shape } = R;

/** `run` throws InvalidArgument with exactly `message`. */
function fails(t: ExecutionContext, run: () => unknown, message: string) {
  const error = t.throws(run, { instanceOf: StreampathError });
  t.is(error?.message, message);
  t.is((error as StreampathError | undefined)?.code, Code.InvalidArgument);
}

test("required fields are optional properties, unset after create()", (t) => {
  const source = readFileSync(path.join(dir, "required_pb.ts"), "utf8");
  // `| undefined` too, so create()'s explicit undefined compiles under exactOptionalPropertyTypes.
  t.true(source.includes("export interface Point extends UnknownFields {\n  x?: number | undefined;\n  y?: number | undefined;\n  label?: string | undefined;\n}"));
  t.true(source.includes("  name?: string | undefined;\n  origin?: Point | undefined;\n  corners: Point[];\n  center?: Point | undefined;\n"));
  t.deepEqual(Point.create(), { x: undefined, y: undefined, label: undefined });
});

test("encode: a required field not set names the type and the field", (t) => {
  fails(t, () => Point.encode(Point.create({ x: 1 })), "cannot encode p2req.Point: required field y is not set");
  fails(t, () => Point.encode(Point.create({ y: 1, label: "l" })), "cannot encode p2req.Point: required field x is not set");
  fails(
    t,
    () => Shape.encode(Shape.create({ origin: Point.create({ x: 0, y: 0 }) })),
    "cannot encode p2req.Shape: required field name is not set",
  );
});

test("decode: bytes without a required field name the field and the type", (t) => {
  fails(t, () => Point.decode(fromHex("0801")), "cannot decode protobuf: required field y of p2req.Point is missing");
  fails(t, () => Point.decode(new Uint8Array(0)), "cannot decode protobuf: required field x of p2req.Point is missing");
  // name = "s", no origin
  fails(t, () => Shape.decode(fromHex("0a0173")), "cannot decode protobuf: required field origin of p2req.Shape is missing");
});

test("a nested message missing a required field fails the whole encode and decode", (t) => {
  const inOrigin = Shape.create({ name: "s", origin: Point.create({ x: 1 }) });
  fails(t, () => Shape.encode(inOrigin), "cannot encode p2req.Point: required field y is not set");
  const corners = [Point.create({ x: 1, y: 1 }), Point.create({ y: 3 })];
  const inCorner = Shape.create({ name: "s", origin: Point.create({ x: 1, y: 2 }), corners });
  fails(t, () => Shape.encode(inCorner), "cannot encode p2req.Point: required field x is not set");
  const inOptional = Shape.create({ name: "s", origin: Point.create({ x: 1, y: 2 }), center: Point.create() });
  fails(t, () => Shape.encode(inOptional), "cannot encode p2req.Point: required field x is not set");

  // name "s", origin { x: 1 }: the nested Point lacks y.
  fails(t, () => Shape.decode(fromHex("0a0173 12020801")), "cannot decode protobuf: required field y of p2req.Point is missing");
  // name "s", origin { x: 1, y: 2 }, corners [{ y: 3 }]
  fails(t, () => Shape.decode(fromHex("0a0173 120408011002 1a021003")), "cannot decode protobuf: required field x of p2req.Point is missing");
});

test("with every required field set, zeros included, the message round-trips as protobufjs writes it", (t) => {
  const shape = Shape.create({
    name: "",
    origin: Point.create({ x: 0, y: 0 }),
    corners: [Point.create({ x: -1, y: 2, label: "a" })],
    center: Point.create({ x: 3, y: 4 }),
  });
  // A required field is always written, even when it holds the type's zero.
  const bytes = Shape.encode(shape);
  t.is(hex(bytes), "0a00" + "120408001000" + "1a1008ffffffffffffffffff0110021a0161" + "220408031004");
  t.deepEqual(Shape.decode(bytes), shape);

  const root = new protobuf.Root().loadSync(PROTO);
  const type = root.lookupType("p2req.Shape");
  const plain = { name: "", origin: { x: 0, y: 0 }, corners: [{ x: -1, y: 2, label: "a" }], center: { x: 3, y: 4 } };
  t.is(hex(type.encode(type.fromObject(plain)).finish()), hex(bytes));
  t.deepEqual(type.toObject(type.decode(bytes)), plain);
});

test("a required field set to undefined after a decode is caught again on encode", (t) => {
  const point = Point.decode(fromHex("08011002"));
  t.deepEqual(point, { x: 1, y: 2, label: undefined });
  point.y = undefined;
  fails(t, () => Point.encode(point), "cannot encode p2req.Point: required field y is not set");
});
