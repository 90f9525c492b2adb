// Generated code is what prettier would print, without running prettier on
// the hot path: formatting it again changes nothing.
import test from "ava";
import path from "node:path";
import * as prettier from "prettier";
import { generateFromModel } from "../generator/generate.js";
import { loadSchema } from "../schema/load.js";
import { FIXTURES, ROOT } from "./helpers/generated.js";

const schemas: [string, string[], string[]][] = [
  ["sample", ["generated-sample/schema/board/v1/hosts.proto", "generated-sample/schema/board/v1/worker.proto", "generated-sample/schema/board/v1/views.proto"], ["generated-sample/schema"]],
  ["guest", [path.join(FIXTURES, "guest/worker.proto")], [FIXTURES]],
  ["names", [path.join(FIXTURES, "names/names.proto")], []],
  ["conformance", [path.join(FIXTURES, "conformance/conformance.proto")], []],
];

for (const [name, files, includePaths] of schemas) {
  test(`${name}: every generated file is unchanged by prettier`, async (t) => {
    const { model, diagnostics } = loadSchema({ files, includePaths, cwd: ROOT });
    t.deepEqual(diagnostics, []);
    // The pure core, before generate()'s prettier pass for over-long lines:
    // for these schemas the emitters alone must match prettier.
    const out = generateFromModel(model!);
    t.true(out.length > 0);
    for (const f of out) {
      const formatted = await prettier.format(f.content, { parser: "typescript" });
      if (formatted !== f.content) {
        const a = f.content.split("\n");
        const b = formatted.split("\n");
        const line = a.findIndex((l, i) => l !== b[i]);
        t.fail(`${f.path}:${line + 1} differs from prettier:\n- ${a[line]}\n+ ${b[line]}`);
      }
    }
    t.pass();
  });
}

test("a file with names too long for one line still comes out prettier-clean from generate()", async (t) => {
  const { generate } = await import("../generator/generate.js");
  const long = "a_field_name_so_long_that_no_generated_line_holding_it_fits_in_eighty_columns";
  const source = `syntax = "proto3";\npackage p;\nmessage M { repeated string ${long} = 1; map<string, M> ${long}_by_key = 2; }\n`;
  const { files, diagnostics } = await generate({ files: ["/virtual/long.proto"], readFile: (f) => (f === "/virtual/long.proto" ? source : undefined) });
  t.deepEqual(diagnostics, []);
  for (const f of files) t.is(await prettier.format(f.content, { parser: "typescript" }), f.content, f.path);
});
