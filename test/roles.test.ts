/**
 * DESIGN.md "Roles and dependencies": which service may depend on which,
 * checked at load time with the position of the offending option value.
 * Schemas are served from memory (`readFile`); streampath/options.proto and
 * google/protobuf/descriptor.proto still come from the package.
 */
import { readFileSync } from "node:fs";
import test from "ava";
import { generate } from "../generator/generate.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { loadSchema, type LoadOptions } from "../schema/load.js";
import type { Role } from "../schema/model.js";
import { ALLOWED_DEPENDENCIES } from "../schema/roles.js";

const CWD = "/virtual/roles";
const ROLES: Role[] = ["host", "read", "write", "view"];

function readFromDisk(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

type Options = Omit<LoadOptions, "files" | "readFile" | "cwd">;

/** Loads in-memory files (names relative to CWD); the first `requested` of them are the inputs. */
function load(sources: Record<string, string>, options: Options = {}, requested = Object.keys(sources)) {
  return loadSchema({ ...options, cwd: CWD, files: requested, readFile: (p) => readSource(sources, p) });
}

function readSource(sources: Record<string, string>, abs: string): string | undefined {
  return abs.startsWith(CWD + "/") ? sources[abs.slice(CWD.length + 1)] : readFromDisk(abs);
}

interface Svc {
  name: string;
  role?: Role;
  deps?: string[];
}

/**
 * One file, package `app`. Lines: 1 syntax, 2 package, 3 import, 4 message
 * Ping, then per service: `service X {`, its role, its dependencies, one rpc,
 * `}`. With one role and one dependency the first service's depends_on value
 * is at 7:36 and the service name at 5:9.
 */
function schema(services: Svc[], withImport = true): string {
  const lines = ['syntax = "proto3";', "package app;", withImport ? 'import "streampath/options.proto";' : "", "message Ping {}"];
  for (const s of services) {
    lines.push(`service ${s.name} {`);
    if (s.role) lines.push(`  option (streampath.role) = ${s.role.toUpperCase()};`);
    for (const d of s.deps ?? []) lines.push(`  option (streampath.depends_on) = "${d}";`);
    lines.push("  rpc Call(Ping) returns (Ping);", "}");
  }
  return lines.join("\n") + "\n";
}

const pairs = ROLES.flatMap((from) => ROLES.map((to) => [from, to] as const));
const allowedPairs = pairs.filter(([from, to]) => ALLOWED_DEPENDENCIES[from].includes(to));
const forbiddenPairs = pairs.filter(([from, to]) => !ALLOWED_DEPENDENCIES[from].includes(to));

test("the table of allowed edges is DESIGN.md's", (t) => {
  t.deepEqual(
    allowedPairs.map(([from, to]) => `${from}->${to}`).sort(),
    ["view->view", "view->read", "view->write", "write->read", "write->write", "write->host", "read->read", "read->host", "host->host"].sort(),
  );
  t.is(forbiddenPairs.length, 7);
});

for (const [from, to] of allowedPairs) {
  test(`allowed: a ${from} service may depend on a ${to} service`, (t) => {
    const { model, diagnostics } = load({ "app.proto": schema([{ name: "From", role: from, deps: ["app.To"] }, { name: "To", role: to }]) });
    t.deepEqual(diagnostics.map(formatDiagnostic), []);
    const service = model!.services.get("app.From")!;
    t.is(service.role, from);
    t.true(service.roleDeclared);
    t.is(service.dependencies.length, 1);
    t.like(service.dependencies[0], { service: "app.To", position: { file: "app.proto", line: 7, column: 36 } });
    t.like(model!.services.get("app.To"), { role: to, roleDeclared: true, dependencies: [] });
  });
}

for (const [from, to] of forbiddenPairs) {
  test(`forbidden: a ${from} service may not depend on a ${to} service`, (t) => {
    const { model, diagnostics } = load({ "app.proto": schema([{ name: "From", role: from, deps: ["app.To"] }, { name: "To", role: to }]) });
    t.is(model, undefined);
    t.deepEqual(
      diagnostics.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}]`),
      ["app.proto:7:36 [role-dependency]"],
    );
    t.regex(diagnostics[0].message, new RegExp(`${from} service app\\.From may not depend on ${to} service app\\.To`));
  });
}

test("a service without a role is a host service: it may not depend on a read service", (t) => {
  const { diagnostics } = load({ "app.proto": schema([{ name: "From", deps: ["app.To"] }, { name: "To", role: "read" }]) });
  // No role line, so depends_on is on line 6.
  t.deepEqual(diagnostics.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}]`), ["app.proto:6:36 [role-dependency]"]);
  t.regex(diagnostics[0].message, /host service app\.From may not depend on read service app\.To/);
});

test("dependencies across files and packages, by full name with or without a leading dot", (t) => {
  const sources = {
    "ui.proto": 'syntax = "proto3";\npackage ui;\nimport "streampath/options.proto";\nimport "data.proto";\n' +
      'service Page {\n  option (streampath.role) = VIEW;\n  option (streampath.depends_on) = ".data.Reader";\n  rpc Show(data.Row) returns (data.Row);\n}\n',
    "data.proto": 'syntax = "proto3";\npackage data;\nimport "streampath/options.proto";\nmessage Row {}\n' +
      'service Reader {\n  option (streampath.role) = READ;\n  option (streampath.depends_on) = "data.Store";\n  rpc Get(Row) returns (Row);\n}\n' +
      "service Store {\n  rpc Get(Row) returns (Row);\n}\n",
  };
  const { model, diagnostics } = load(sources, {}, ["ui.proto"]);
  t.deepEqual(diagnostics.map(formatDiagnostic), []);
  t.like(model!.services.get("ui.Page"), { role: "view", dependencies: [{ service: "data.Reader", position: { file: "ui.proto", line: 7, column: 36 } }] });
  t.like(model!.services.get("data.Reader"), { role: "read", dependencies: [{ service: "data.Store", position: { file: "data.proto", line: 7, column: 36 } }] });
  t.like(model!.services.get("data.Store"), { role: "host", roleDeclared: false, dependencies: [] });
});

test("unknown-dependency: a service that does not exist, or is named without its package", (t) => {
  const { diagnostics } = load({
    "app.proto": schema([{ name: "From", role: "view", deps: ["app.Nope", "To"] }, { name: "To", role: "read" }]),
  });
  t.deepEqual(
    diagnostics.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}]`),
    ["app.proto:7:36 [unknown-dependency]", "app.proto:8:36 [unknown-dependency]"],
  );
  t.regex(diagnostics[0].message, /app\.From depends on unknown service "app\.Nope"/);
  t.regex(diagnostics[1].message, /unknown service "To".*full name/);
});

test("a service may not depend on itself", (t) => {
  const { diagnostics } = load({ "app.proto": schema([{ name: "From", role: "write", deps: ["app.From"] }]) });
  t.deepEqual(diagnostics.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}]`), ["app.proto:7:36 [role-dependency]"]);
  t.regex(diagnostics[0].message, /app\.From depends on itself/);
});

test("duplicate-dependency: the same service listed twice points at the second", (t) => {
  const { diagnostics } = load({
    "app.proto": schema([{ name: "From", role: "view", deps: ["app.To", "app.To"] }, { name: "To", role: "read" }]),
  });
  t.deepEqual(diagnostics.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}]`), ["app.proto:8:36 [duplicate-dependency]"]);
  t.regex(diagnostics[0].message, /app\.From lists app\.To twice/);
});

test("every broken dependency rule in a schema is reported in one run, sorted", (t) => {
  const { diagnostics } = load({
    "app.proto": schema([
      { name: "A", role: "read", deps: ["app.B", "app.Gone"] },
      { name: "B", role: "write", deps: ["app.C", "app.B"] },
      { name: "C", role: "view" },
    ]),
  });
  t.deepEqual(diagnostics.map((d) => `${d.line}:${d.column} [${d.rule}]`), [
    "7:36 [role-dependency]", // read A -> write B
    "8:36 [unknown-dependency]", // A -> app.Gone
    "13:36 [role-dependency]", // write B -> view C
    "14:36 [role-dependency]", // B -> itself
  ]);
});

test("a service with no role is a host service by default", (t) => {
  const { model, diagnostics } = load({ "app.proto": schema([{ name: "Plain" }], false) });
  t.deepEqual(diagnostics, []);
  t.like(model!.services.get("app.Plain"), { role: "host", roleDeclared: false, dependencies: [] });
});

test("existing .proto files generate unchanged: no role is the same as an explicit HOST", async (t) => {
  const generateFrom = (source: string) =>
    generate({ cwd: CWD, files: ["app.proto"], readFile: (p) => readSource({ "app.proto": source }, p) });
  const plain = await generateFrom(schema([{ name: "Plain" }], false));
  const host = await generateFrom(schema([{ name: "Plain", role: "host" }]));
  t.deepEqual(plain.diagnostics, []);
  t.deepEqual(host.diagnostics, []);
  t.true(plain.files.length > 0);
  t.deepEqual(plain.files, host.files);
});

test("strictRoles: a service with no role is a missing-role error at the service name", (t) => {
  const source = schema([{ name: "Plain" }, { name: "Declared", role: "read" }]);
  t.deepEqual(load({ "app.proto": source }).diagnostics, []);
  const { model, diagnostics } = load({ "app.proto": source }, { strictRoles: true });
  t.is(model, undefined);
  // `service Plain {` is line 5; without a role line the service spans 5-7.
  t.deepEqual(diagnostics.map((d) => `${d.file}:${d.line}:${d.column} [${d.rule}]`), ["app.proto:5:9 [missing-role]"]);
  t.regex(diagnostics[0].message, /app\.Plain has no \(streampath\.role\)/);
});

test("strictRoles only applies to the requested files, not to what they import", (t) => {
  const sources = {
    "main.proto": 'syntax = "proto3";\npackage main;\nimport "streampath/options.proto";\nimport "lib.proto";\n' +
      'service Main {\n  option (streampath.role) = HOST;\n  option (streampath.depends_on) = "lib.Legacy";\n  rpc Get(lib.M) returns (lib.M);\n}\n',
    "lib.proto": 'syntax = "proto3";\npackage lib;\nmessage M {}\nservice Legacy {\n  rpc Get(M) returns (M);\n}\n',
  };
  const { model, diagnostics } = load(sources, { strictRoles: true }, ["main.proto"]);
  t.deepEqual(diagnostics.map(formatDiagnostic), []);
  t.like(model!.services.get("lib.Legacy"), { role: "host", roleDeclared: false });
});
