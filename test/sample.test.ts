// The committed generated-sample/gen is exactly what the generator makes now.
import test from "ava";
import path from "node:path";
import { generate } from "../generator/generate.js";
import { checkOutput, staleFiles } from "../generator/output.js";
import { ROOT } from "./helpers/generated.js";

const SCHEMA = path.join(ROOT, "generated-sample/schema");
const OUT = path.join(ROOT, "generated-sample/gen");

test("generated-sample/gen matches a fresh generation", async (t) => {
  const { files, diagnostics } = await generate({ files: [SCHEMA + "/board/v1/board.proto", SCHEMA + "/board/v1/hosts.proto", SCHEMA + "/board/v1/worker.proto", SCHEMA + "/board/v1/views.proto"], includePaths: [SCHEMA], strictRoles: true });
  t.deepEqual(diagnostics, []);
  t.true(files.length >= 7, `expected the board module and its well-known types, got ${files.map((f) => f.path).join(", ")}`);
  const { changed, missing } = checkOutput(OUT, files);
  t.deepEqual({ changed, missing, stale: staleFiles(OUT, files) }, { changed: [], missing: [], stale: [] }, "run npm run generate:sample");
});

test("the sample schema has services of all four roles and every stream kind", async (t) => {
  const { loadSchema } = await import("../schema/load.js");
  const { model } = loadSchema({ files: [SCHEMA + "/board/v1/views.proto", SCHEMA + "/board/v1/hosts.proto"], includePaths: [SCHEMA] });
  t.truthy(model);
  const services = [...model!.services.values()];
  t.deepEqual([...new Set(services.map((s) => s.role))].sort(), ["host", "read", "view", "write"]);
  const kinds = new Set(services.flatMap((s) => s.methods.map((m) => m.kind)));
  t.deepEqual([...kinds].sort(), ["bidi_streaming", "client_streaming", "server_streaming", "unary"]);
});
