/**
 * The plugin's pure core without protoc: options, what it declares it
 * supports, errors at file:line:col taken from source_code_info, and the
 * codecs it reads requests with being what the generator makes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import test from "ava";
import { generate } from "../generator/generate.js";
import { CodeGeneratorRequest, CodeGeneratorResponse } from "../generator/gen/google/protobuf/compiler/plugin_pb.js";
import { Edition, FileDescriptorProto, ServiceOptions } from "../generator/gen/google/protobuf/descriptor_pb.js";
import { Role, dependsOn, role } from "../generator/gen/streampath/options_pb.js";
import { checkOutput, staleFiles } from "../generator/output.js";
import { SUPPORTED, generateFromRequest, parsePluginOptions, respond } from "../generator/plugin.js";
import { setExtension } from "../runtime/core/index.js";
import { formatDiagnostic } from "../schema/diagnostics.js";
import { ROOT } from "./helpers/generated.js";

test("options: every target by default; target takes targets joined by +, strict_roles the CLI's --strict-roles", (t) => {
  t.deepEqual(parsePluginOptions(undefined), { targets: ["messages", "host", "guest", "view"], strictRoles: false });
  t.deepEqual(parsePluginOptions(""), { targets: ["messages", "host", "guest", "view"], strictRoles: false });
  t.deepEqual(parsePluginOptions("target=messages+host,strict_roles"), { targets: ["messages", "host"], strictRoles: true });
  // Repeated (protoc joins several --streampath_opt with commas), in any order, spaces ignored.
  t.deepEqual(parsePluginOptions(" target=view , target=messages+view,strict_roles=false"), { targets: ["messages", "view"], strictRoles: false });
  t.deepEqual(parsePluginOptions("strict_roles=true"), { targets: ["messages", "host", "guest", "view"], strictRoles: true });
});

test("options: an unknown option, target or value is an error naming what there is", (t) => {
  t.deepEqual(parsePluginOptions("target=messages+nope"), {
    error: 'unknown target "nope" in option "target=messages+nope" (known: messages, host, guest, view; join several with +)',
  });
  t.deepEqual(parsePluginOptions("target="), { error: 'unknown target "" in option "target=" (known: messages, host, guest, view; join several with +)' });
  t.deepEqual(parsePluginOptions("strict-roles"), { error: 'unknown option "strict-roles" (options: target=messages+host+guest+view (default: all), strict_roles)' });
  t.deepEqual(parsePluginOptions("strict_roles=yes"), { error: 'unknown option "strict_roles=yes" (options: target=messages+host+guest+view (default: all), strict_roles)' });
});

test("every response declares proto3 optional and editions, proto2 to 2024", async (t) => {
  t.is(SUPPORTED.supportedFeatures, 3n, "FEATURE_PROTO3_OPTIONAL | FEATURE_SUPPORTS_EDITIONS");
  t.is(SUPPORTED.minimumEdition, Edition.EDITION_PROTO2);
  t.is(SUPPORTED.maximumEdition, Edition.EDITION_2024);
  const responses = [
    await respond(request([reqFile()])),
    await respond(request([reqFile()], "nope")),
    CodeGeneratorResponse.decode(await generateFromRequest(Uint8Array.of(0x0a, 0xff))),
  ];
  for (const r of responses) {
    t.is(r.supportedFeatures, 3n);
    t.is(r.minimumEdition, 998);
    t.is(r.maximumEdition, 1001);
  }
  t.is(responses[1].error, 'streampath: unknown option "nope" (options: target=messages+host+guest+view (default: all), strict_roles)');
  t.regex(responses[2].error ?? "", /^streampath: the input is no CodeGeneratorRequest/);
});

/** Source code info for `text` (as JSON): `[path, lineNumber, snippet]` spans the snippet's first occurrence on that line. */
function sourceInfo(text: string, spans: [number[], number, string, { leadingComments?: string; trailingComments?: string }?][]) {
  const lines = text.split("\n");
  return {
    location: spans.map(([p, line, snippet, comments]) => {
      const column = lines[line - 1].indexOf(snippet);
      if (column < 0) throw new Error(`"${snippet}" is not on line ${line}`);
      return { path: p, span: [line - 1, column, column + snippet.length], ...comments };
    }),
  };
}

const REQ_TEXT = ["syntax = \"proto3\";", "package app;", "// A request.", "message Req {", "  string name = 1; // Its name.", "}", ""].join("\n");

function reqFile(): FileDescriptorProto {
  return FileDescriptorProto.fromJson({
    name: "app/req.proto",
    package: "app",
    syntax: "proto3",
    messageType: [{ name: "Req", field: [{ name: "name", number: 1, label: "LABEL_OPTIONAL", type: "TYPE_STRING", jsonName: "name" }] }],
    sourceCodeInfo: sourceInfo(REQ_TEXT, [
      [[4, 0], 4, "message Req {", { leadingComments: " A request.\n" }],
      [[4, 0, 1], 4, "Req"],
      [[4, 0, 2, 0], 5, "string name = 1;", { trailingComments: " Its name.\n" }],
      [[4, 0, 2, 0, 1], 5, "name"],
      [[4, 0, 2, 0, 3], 5, "1"],
    ]),
  });
}

function request(files: FileDescriptorProto[], parameter?: string, generate = [files.at(-1)!.name!]): CodeGeneratorRequest {
  return CodeGeneratorRequest.create({ fileToGenerate: generate, parameter, protoFile: files });
}

test("bytes in, bytes out: the files generate() makes from the same text, comments included", async (t) => {
  const response = CodeGeneratorResponse.decode(await generateFromRequest(CodeGeneratorRequest.encode(request([reqFile()]))));
  t.is(response.error, undefined);
  const cli = await generate({ cwd: "/virtual", files: ["app/req.proto"], includePaths: ["."], readFile: (p) => (p === "/virtual/app/req.proto" ? REQ_TEXT : undefined) });
  t.deepEqual(cli.diagnostics, []);
  t.deepEqual(response.file.map((f) => ({ path: f.name, content: f.content })), cli.files);
  t.regex(cli.files[0].content, /\/\*\* A request\. \*\/[\s\S]*\/\*\* Its name\. \*\//);
});

/** The disk, for what the CLI finds beside a virtual file (streampath/options.proto). */
function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

const SVC_TEXT = [
  'syntax = "proto3";',
  "package app;",
  'import "streampath/options.proto";',
  "message Req {",
  "  Missing x = 1;",
  "}",
  "service Reader {",
  "  option (streampath.role) = READ;",
  '  option (streampath.depends_on) = "app.Writer";',
  "  rpc Get(Req) returns (Req);",
  "}",
  "service Writer {",
  "  option (streampath.role) = WRITE;",
  "  rpc Put(Req) returns (Req);",
  "}",
].join("\n");

/** A schema with an unknown type and a read service depending on a write service. */
function svcFiles(withSourceInfo: boolean): FileDescriptorProto[] {
  const method = (name: string) => ({ name, inputType: ".app.Req", outputType: ".app.Req" });
  const svc = FileDescriptorProto.fromJson({
    name: "app/svc.proto",
    package: "app",
    syntax: "proto3",
    dependency: ["streampath/options.proto"],
    messageType: [{ name: "Req", field: [{ name: "x", number: 1, label: "LABEL_OPTIONAL", type: "TYPE_MESSAGE", typeName: ".app.Missing", jsonName: "x" }] }],
    service: [
      { name: "Reader", method: [method("Get")] },
      { name: "Writer", method: [method("Put")] },
    ],
    ...(withSourceInfo && {
      sourceCodeInfo: sourceInfo(SVC_TEXT, [
          [[3, 0], 3, '"streampath/options.proto"'],
          [[4, 0, 1], 4, "Req"],
          [[4, 0, 2, 0], 5, "Missing x = 1;"],
          [[4, 0, 2, 0, 6], 5, "Missing"],
          [[4, 0, 2, 0, 1], 5, "x"],
          [[6, 0, 1], 7, "Reader"],
          [[6, 0, 3, 51700], 8, "option (streampath.role) = READ;"],
          [[6, 0, 3, 51701, 0], 9, 'option (streampath.depends_on) = "app.Writer";'],
          [[6, 1, 1], 12, "Writer"],
          [[6, 1, 3, 51700], 13, "option (streampath.role) = WRITE;"],
        ]),
    }),
  });
  // The custom options, as protoc sends them: extensions of ServiceOptions.
  const options = (r: Role, deps: string[] = []) => {
    const o = ServiceOptions.create();
    setExtension(o, role, r);
    if (deps.length) setExtension(o, dependsOn, deps);
    return o;
  };
  svc.service[0].options = options(Role.READ, ["app.Writer"]);
  svc.service[1].options = options(Role.WRITE);
  return [FileDescriptorProto.fromJson({ name: "streampath/options.proto", package: "streampath", syntax: "proto3" }), svc];
}

test("schema errors come back in the response's error, file:line:col from source_code_info, as the CLI reports the text", async (t) => {
  const response = await respond(request(svcFiles(true)));
  t.deepEqual(response.file, []);
  const lines = response.error?.split("\n") ?? [];
  t.deepEqual(
    lines.map((l) => /^([^ ]+:\d+:\d+): .* (\[[a-z-]+\])$/.exec(l)?.slice(1).join(" ")),
    ["app/svc.proto:5:3 [unknown-type]", "app/svc.proto:9:36 [role-dependency]"],
    response.error,
  );
  t.regex(lines[1], /read service app\.Reader may not depend on write service app\.Writer/);
  // The CLI, from the same text: the same lines, but for the type as written (descriptors name it in full).
  const cli = await generate({
    cwd: "/virtual",
    files: ["app/svc.proto"],
    includePaths: ["."],
    readFile: (p) => (p === "/virtual/app/svc.proto" ? SVC_TEXT : readOrUndefined(p)),
  });
  t.deepEqual(cli.diagnostics.map(formatDiagnostic), lines.map((d) => d.replace('".app.Missing"', '"Missing"')));
});

test("without source info the roles are still read and checked, reported at the file's start", async (t) => {
  const response = await respond(request(svcFiles(false)));
  const lines = response.error?.split("\n") ?? [];
  t.deepEqual(
    lines.map((l) => /^([^ ]+:\d+:\d+): .* (\[[a-z-]+\])$/.exec(l)?.slice(1).join(" ")),
    ["app/svc.proto:1:1 [unknown-type]", "app/svc.proto:1:1 [role-dependency]"],
    response.error,
  );
});

test("strict_roles: a service without a role is an error in a requested file", async (t) => {
  const files = svcFiles(true);
  files[1].service[1].options = undefined;
  files[1].messageType[0].field[0].typeName = ".app.Req";
  const response = await respond(request(files, "strict_roles"));
  t.regex(response.error ?? "", /^app\/svc\.proto:12:9: service app\.Writer has no \(streampath\.role\) option .*\[missing-role\]$/);
  t.is((await respond(request(files))).error, undefined, "a host service without strict_roles");
});

test("a file the request lists but does not carry is an error, not a crash", async (t) => {
  const files = svcFiles(true).slice(1);
  const response = await respond(request(files));
  t.is(response.error?.split("\n")[0], 'app/svc.proto:3:8: "streampath/options.proto" is not in the request\'s proto_file [import]');
});

test("an edition the generator does not know is an error at the file", async (t) => {
  const file = { ...reqFile(), syntax: "editions", edition: Edition.EDITION_2026 };
  const response = await respond(request([file]));
  t.is(response.error, 'app/req.proto:1:1: edition "2026" is not supported; streampath supports proto2, proto3 and editions 2023, 2024 [edition]');
});

test("the request and response codecs in generator/gen are what the generator makes of protobufjs's plugin.proto", async (t) => {
  const protobufjs = path.join(ROOT, "node_modules/protobufjs");
  const result = await generate({
    cwd: ROOT,
    files: [path.join(protobufjs, "google/protobuf/compiler/plugin.proto"), path.join(ROOT, "schema/proto/streampath/options.proto")],
    includePaths: [protobufjs, path.join(ROOT, "schema/proto")],
    targets: ["messages"],
  });
  t.deepEqual(result.diagnostics, []);
  const out = path.join(ROOT, "generator/gen");
  const regenerate =
    "regenerate: node --conditions=source --import tsx bin/streampath.js generate node_modules/protobufjs/google/protobuf/compiler/plugin.proto " +
    "schema/proto/streampath/options.proto -I node_modules/protobufjs -I schema/proto --target messages --out generator/gen";
  t.deepEqual(checkOutput(out, result.files), { changed: [], missing: [] }, regenerate);
  t.deepEqual(staleFiles(out, result.files), [], regenerate);
});
