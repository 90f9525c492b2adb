// An unknown type name says which visible name it may have meant (schema/build-model.ts).
import test from "ava";
import { loadSchema } from "../schema/load.js";
import { formatDiagnostic } from "../schema/diagnostics.js";

const SOURCES: Record<string, string> = {
  "/virtual/app.proto": `syntax = "proto3";
package app.v1;
import "google/protobuf/timestamp.proto";
import "other.proto";
message Todo { string title = 1; google.protobuf.Timestmp at = 2; }
enum Lane { LANE_UNSPECIFIED = 0; }
message List {
  repeated Tood items = 1;
  Lan lane = 2;
  app.v1.Todoo qualified = 3;
  .app.v1.Tdo absolute = 4;
  strin note = 5;
  Zebra nothing_close = 6;
  Hiden unimported = 7;
  Note other_package = 8;
}
service S {
  rpc Get(Lisst) returns (Todo);
  rpc Put(Todo) returns (Lnae);
}
`,
  "/virtual/other.proto": 'syntax = "proto3";\npackage other.v1;\nmessage Notes {}\n',
  "/virtual/hidden.proto": 'syntax = "proto3";\npackage app.v1;\nmessage Hidden {}\n',
};

test("unknown-type: a close name visible from the scope is suggested, as the name was written", (t) => {
  const { diagnostics } = loadSchema({ cwd: "/virtual", files: ["app.proto", "hidden.proto"], readFile: (p) => SOURCES[p] });
  t.deepEqual(diagnostics.map(formatDiagnostic), [
    'app.proto:5:34: unknown type "google.protobuf.Timestmp" for field app.v1.Todo.at; did you mean "google.protobuf.Timestamp"? [unknown-type]',
    'app.proto:8:12: unknown type "Tood" for field app.v1.List.items; did you mean "Todo"? [unknown-type]',
    'app.proto:9:3: unknown type "Lan" for field app.v1.List.lane; did you mean "Lane"? [unknown-type]',
    'app.proto:10:3: unknown type "app.v1.Todoo" for field app.v1.List.qualified; did you mean "app.v1.Todo"? [unknown-type]',
    'app.proto:11:3: unknown type ".app.v1.Tdo" for field app.v1.List.absolute; did you mean ".app.v1.Todo"? [unknown-type]',
    'app.proto:12:3: unknown type "strin" for field app.v1.List.note; did you mean "string"? [unknown-type]',
    'app.proto:13:3: unknown type "Zebra" for field app.v1.List.nothing_close [unknown-type]',
    // Declared in a file app.proto does not import: not a name it can use.
    'app.proto:14:3: unknown type "Hiden" for field app.v1.List.unimported [unknown-type]',
    // other.v1.Notes is imported, but "Notes" alone does not name it from package app.v1.
    'app.proto:15:3: unknown type "Note" for field app.v1.List.other_package [unknown-type]',
    'app.proto:18:11: type "Lisst" of rpc app.v1.S.Get is unknown; did you mean "List"? [unknown-type]',
    // An rpc takes messages only: the enum Lane is not offered.
    'app.proto:19:26: type "Lnae" of rpc app.v1.S.Put is unknown [unknown-type]',
  ]);
});
