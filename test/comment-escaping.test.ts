// A comment in the schema that contains `*/` (or backticks) cannot end the
// JSDoc it becomes: every target escapes it, for messages, fields, enums,
// services, methods and extensions, and the output parses.
import { existsSync, readFileSync } from "node:fs";
import test from "ava";
import ts from "typescript";
import { generate } from "../generator/generate.js";

const SOURCE = `syntax = "proto2";
package p;
import "streampath/options.proto";

// An enum: a */ b \`c\` d */
enum Kind {
  // A value: x */ y
  KIND_UNSPECIFIED = 0;
}

// A message: m */ n
message Thing {
  // A field: f */ g
  optional string name = 1;
  extensions 100 to 200;
}

extend Thing {
  // An extension: e */ f
  optional int32 extra = 100;
}

// A service: s */ t \`u\`
service Things {
  option (streampath.role) = HOST;
  // A method: r */ q
  rpc Get(Thing) returns (Thing);
}
`;

test("a */ in any schema comment is escaped and every generated file parses", async (t) => {
  const { files, diagnostics } = await generate({
    files: ["/virtual/p.proto"],
    includePaths: ["/virtual"],
    // The schema from memory; streampath/options.proto from the disk, where the loader looks for it.
    readFile: (f) => (f === "/virtual/p.proto" ? SOURCE : existsSync(f) ? readFileSync(f, "utf8") : undefined),
  });
  t.deepEqual(diagnostics, []);
  t.true(files.length >= 2);
  const all = files.map((f) => f.content).join("\n");
  // (An enum value's comment is not carried into the output; its `*/` is there to be harmless.)
  for (const text of ["a *\\/ b `c` d *\\/", "m *\\/ n", "f *\\/ g", "e *\\/ f", "s *\\/ t `u`", "r *\\/ q"]) {
    t.true(all.includes(text), `the comment "${text}" is in the output, escaped`);
  }
  for (const f of files) {
    const result = ts.transpileModule(f.content, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
    const errors = (result.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    t.deepEqual(errors, [], `${f.path} parses`);
  }
});
