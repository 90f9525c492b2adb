/**
 * Editions: features resolved per file, field and enum (presence, packing,
 * message encoding, closed enums, required), with the bytes protobufjs
 * writes for the same schema; an edition streampath does not know is a
 * schema error where the file names it.
 */
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import protobuf from "protobufjs";
import { StreampathError } from "../runtime/core/index.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { loadSchema } from "../schema/load.js";
import { fromHex, hex } from "./helpers/conformance-pbjs.js";
import { FIXTURES, ROOT, generateForThisProcess, importGenerated } from "./helpers/generated.js";

const file = (name: string) => path.join(FIXTURES, "editions", name);
const dir = await generateForThisProcess("editions", {
  files: [file("features.proto"), file("implicit-file.proto"), file("reserved-user.proto")],
});
const F = await importGenerated(dir, "features_pb.ts");
const I = await importGenerated(dir, "implicit-file_pb.ts");

/** Our bytes are protobufjs' bytes for `plain`, and we read protobufjs' bytes back as `ours`. */
function sameAsProtobufjs(t: ExecutionContext, proto: string, typeName: string, codec: any, ours: unknown, plain: object, expectedHex: string) {
  const type = new protobuf.Root().loadSync(file(proto)).resolveAll().lookupType(typeName);
  const theirs = type.encode(type.fromObject(plain)).finish();
  t.is(hex(theirs), expectedHex, "protobufjs");
  t.is(hex(codec.encode(ours)), expectedHex, "ours");
  t.deepEqual(codec.decode(theirs), ours, "protobufjs' bytes decoded");
}

test("explicit presence by default, IMPLICIT where a field says so: what create() leaves unset", (t) => {
  t.deepEqual(F.Entry.create(), {
    id: undefined, // LEGACY_REQUIRED: unset until set
    count: 0, // IMPLICIT: a plain zero
    title: "",
    plain: undefined, // EXPLICIT, the 2023 default
    packedNums: [],
    looseNums: [],
    inner: undefined,
    kind: undefined,
    kinds: [],
  });
});

test("zeros: IMPLICIT fields are not written, EXPLICIT and LEGACY_REQUIRED ones are", (t) => {
  const entry = F.Entry.create({ id: 0, count: 0, title: "", plain: 0, kind: F.Kind.KIND_UNKNOWN, inner: F.Inner.create({ v: 0 }) });
  const plain = { id: 0, count: 0, title: "", plain: 0, kind: 0, inner: { v: 0 } };
  // id 0, plain 0, inner (DELIMITED) { v 0 }, kind 0: no count, no title.
  sameAsProtobufjs(t, "features.proto", "edfeat.Entry", F.Entry, entry, plain, "0800" + "2000" + "3b08003c" + "4000");
});

test("packed by default, EXPANDED where a field says so; DELIMITED between group tags", (t) => {
  const entry = F.Entry.create({
    id: 9,
    count: 3,
    title: "t",
    packedNums: [1, 2],
    looseNums: [3, 4],
    inner: F.Inner.create({ v: 5 }),
    kind: F.Kind.KIND_B,
    kinds: [F.Kind.KIND_A, F.Kind.KIND_B],
  });
  const plain = { id: 9, count: 3, title: "t", packedNums: [1, 2], looseNums: [3, 4], inner: { v: 5 }, kind: 2, kinds: [1, 2] };
  const bytes = "0809" + "1003" + "1a0174" + "2a020102" + "30033004" + "3b08053c" + "4002" + "4a020102";
  sameAsProtobufjs(t, "features.proto", "edfeat.Entry", F.Entry, entry, plain, bytes);
});

test("file-level features apply to every field, nested messages' too, unless a field overrides them", (t) => {
  const part = I.Counter_Part.create({ n: 0, ns: [5, 6] });
  const counter = I.Counter.create({ hits: 0, on: false, kept: 0, samples: [1, 2], dense: [3, 4], part });
  t.deepEqual(I.Counter.create(), { hits: 0, on: false, kept: undefined, samples: [], dense: [], part: undefined });
  t.deepEqual(I.Counter_Part.create(), { n: 0, ns: [] });
  const plain = { hits: 0, on: false, kept: 0, samples: [1, 2], dense: [3, 4], part: { n: 0, ns: [5, 6] } };
  // hits and on IMPLICIT (not written); kept EXPLICIT; samples EXPANDED; dense PACKED; part.n IMPLICIT, part.ns EXPANDED.
  const bytes = "1800" + "20012002" + "2a020304" + "3204" + "10051006";
  sameAsProtobufjs(t, "implicit-file.proto", "edfile.Counter", I.Counter, counter, plain, bytes);
});

test("a CLOSED enum keeps an undeclared number as an unknown field", (t) => {
  const entry = F.Entry.decode(fromHex("0801 4007 4a03 010702"));
  t.is(entry.kind, undefined);
  t.deepEqual(entry.kinds, [F.Kind.KIND_A, F.Kind.KIND_B]);
  t.is(hex(entry.$unknown), "4007" + "4807");
  t.is(hex(F.Entry.encode(entry)), "0801" + "4a020102" + "4007" + "4807");
});

test("LEGACY_REQUIRED fails encode and decode as proto2 `required` does", (t) => {
  t.throws(() => F.Entry.encode(F.Entry.create({ count: 1 })), {
    instanceOf: StreampathError,
    message: "cannot encode edfeat.Entry: required field id is not set",
  });
  t.throws(() => F.Entry.decode(fromHex("1001")), {
    instanceOf: StreampathError,
    message: "cannot decode protobuf: required field id of edfeat.Entry is missing",
  });
});

/** The diagnostics of loading `source` as `e.proto`. */
function diagnosticsOf(source: string): string[] {
  const { diagnostics } = loadSchema({ cwd: "/virtual", files: ["e.proto"], readFile: (p) => (p === "/virtual/e.proto" ? source : undefined) });
  return diagnostics.map(formatDiagnostic);
}

test('edition = "2025": an "edition" diagnostic at the edition\'s file:line:col', (t) => {
  const { model, diagnostics } = loadSchema({ cwd: ROOT, files: ["test/fixtures/editions/edition-2025.proto"] });
  t.is(model, undefined);
  // line 2: `edition = "2025";`, the string at column 11.
  t.deepEqual(diagnostics.map(formatDiagnostic), [
    'test/fixtures/editions/edition-2025.proto:2:11: edition "2025" is not supported; streampath supports proto2, proto3 and editions 2023, 2024 [edition]',
  ]);
});

test("every edition but 2023 and 2024 is the same diagnostic, whether protobufjs knows it or not", (t) => {
  for (const edition of ["2026", "2022", "2030"]) {
    t.deepEqual(
      diagnosticsOf(`// ${edition}\nedition = "${edition}";\nmessage M {\n  int32 a = 1;\n}\n`),
      [`e.proto:2:11: edition "${edition}" is not supported; streampath supports proto2, proto3 and editions 2023, 2024 [edition]`],
      edition,
    );
  }
  t.deepEqual(diagnosticsOf('edition = "2024";\nmessage M {\n  int32 a = 1;\n}\n'), []);
});

test("a bare-name `reserved` in an editions file leaves later types findable, from that file and others", async (t) => {
  // reserved-user.proto imports reserved-name.proto, whose Later and Next come after `reserved gone, also_gone;`.
  const { diagnostics } = loadSchema({ cwd: ROOT, files: ["test/fixtures/editions/reserved-user.proto"] });
  t.deepEqual(diagnostics.map(formatDiagnostic), []);
  const N = await importGenerated(dir, "reserved-name_pb.ts");
  const U = await importGenerated(dir, "reserved-user_pb.ts");
  t.deepEqual(Object.keys(N).sort(), ["Later", "Next", "Old"]);
  const user = U.User.create({
    later: N.Later.create({ old: N.Old.create({ a: 1 }), next: N.Next.create({ b: "x" }) }),
    next: N.Next.create({ b: "y" }),
  });
  t.is(hex(U.User.encode(user)), "0a09" + "0a020801" + "1203" + "0a0178" + "1203" + "0a0179");
  t.deepEqual(U.User.decode(U.User.encode(user)), user);
  // A reserved number read from the wire is just an unknown field.
  t.is(hex(N.Old.decode(fromHex("2807")).$unknown), "2807");
});
