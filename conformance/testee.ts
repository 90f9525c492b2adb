/**
 * The testee the official conformance runner talks to: it reads
 * ConformanceRequests from stdin and writes ConformanceResponses to stdout,
 * each framed by a little-endian uint32 length, until stdin ends. Everything
 * goes through streampath-generated codecs — the request and response
 * themselves too (conformance_pb.ts).
 *
 *   node --import tsx --conditions=source conformance/testee.ts <generated dir> [<stats file>]
 *
 * `<generated dir>` is what conformance/generate.ts made; `<stats file>`
 * receives how many requests of each kind were answered how, for run.ts.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  type Extension,
  type JsonOptions,
  type MessageCodec,
  StreampathError,
  createRegistry,
  parseJsonText,
} from "../runtime/core/index.js";
import type { Manifest } from "./generate.js";

const [dir, statsFile] = process.argv.slice(2);
if (!dir) throw new Error("usage: testee.ts <generated dir> [<stats file>]");
// Says "a testee runs": run.ts waits for `done` before it counts (the runner does not wait for us).
if (statsFile) writeFileSync(statsFile, JSON.stringify({ done: false, requests: {} }));

/** What this file uses of conformance_pb.ts (generated at run time, so not importable by type). */
type Result = { case: string | undefined; value?: unknown };
interface Request {
  payload: { case: string | undefined; value?: unknown };
  requestedOutputFormat: number;
  messageType: string;
  testCategory: number;
}
interface Protocol {
  ConformanceRequest: MessageCodec<Request>;
  ConformanceResponse: MessageCodec<{ result: Result }>;
  FailureSet: MessageCodec<object>;
  WireFormat: Record<string, number>;
  TestCategory: Record<string, number>;
}

const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
const importModule = (file: string) => import(pathToFileURL(path.join(dir, file)).href);
const protocol = (await importModule(manifest.protos[0].module!)) as Protocol;
const { ConformanceRequest, ConformanceResponse, FailureSet, WireFormat, TestCategory } = protocol;

const isCodec = (v: unknown): v is MessageCodec<unknown> =>
  typeof v === "object" && v !== null && typeof (v as MessageCodec<unknown>).typeName === "string" &&
  typeof (v as MessageCodec<unknown>).decode === "function" && typeof (v as MessageCodec<unknown>).fromJson === "function";

/** Every generated message type by full name: the ones asked for, and the registry for Any. */
const codecs = new Map<string, MessageCodec<unknown>>();
/** Every generated extension, for their "[pkg.ext]" JSON keys. */
const extensions: Extension<any, any>[] = [];
const isExtension = (v: unknown): v is Extension<any, any> =>
  typeof v === "object" && v !== null && typeof (v as Extension<any, any>).extendee === "string";
/** Packages whose file did not generate or import: each of their types is answered with why. */
const broken: { package: string; error: string }[] = [];
for (const p of manifest.protos) if (p.error) broken.push({ package: p.package, error: `${p.proto} did not generate:\n${p.error}` });
for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith("_pb.ts")).sort()) {
  try {
    for (const v of Object.values(await importModule(file))) {
      if (isCodec(v)) codecs.set(v.typeName, v);
      else if (isExtension(v)) extensions.push(v);
    }
  } catch (error) {
    const p = manifest.protos.find((e) => e.module === file.split(path.sep).join("/"));
    const why = `generated ${file} does not load: ${error instanceof Error ? (error.stack ?? error.message) : error}`;
    if (p) broken.push({ package: p.package, error: why });
    else process.stderr.write(`testee: ${why}\n`);
  }
}
const registry = createRegistry(...codecs.values(), ...extensions);

/** JSON text to what `fromJson` reads: duplicate keys and lone surrogates refused, 64-bit integers exact. */
const parseJson = parseJsonText;

function lookup(typeName: string): MessageCodec<unknown> | string {
  const codec = codecs.get(typeName);
  if (codec) return codec;
  // The longest package that holds the type: editions.proto2 before editions.
  const owner = broken.filter((b) => typeName.startsWith(b.package + ".")).sort((a, b) => b.package.length - a.package.length)[0];
  return owner ? `cannot test ${typeName}: ${owner.error}` : `no generated message type ${typeName}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A codec's own refusal (StreampathError) or malformed JSON text (SyntaxError
 * from JSON.parse) is the verdict the request asks for; anything else thrown
 * is a bug in the codec, answered as runtime_error so it can never pass as a
 * correctly refused input.
 */
function refusal(kind: "parseError" | "serializeError", error: unknown): Result {
  if (error instanceof StreampathError || (kind === "parseError" && error instanceof SyntaxError)) return { case: kind, value: describe(error) };
  return { case: "runtimeError", value: `${kind === "parseError" ? "parsing" : "serializing"} crashed: ${error instanceof Error ? error.stack : error}` };
}

function answer(request: Request): Result {
  if (request.messageType === FailureSet.typeName) {
    // The runner's first question: which tests this testee expects to fail. None here:
    // run.ts passes conformance/failing_tests.txt with --failure_list instead.
    return { case: "protobufPayload", value: FailureSet.encode(FailureSet.create()) };
  }
  const payload = request.payload;
  const output = request.requestedOutputFormat;
  // Text format and JSPB are not streampath formats: skipped as protobuf-es skips them, and
  // before the type is looked up, since no codec would change that.
  if (payload.case === "textPayload" || payload.case === "jspbPayload") {
    return { case: "skipped", value: `${payload.case} input is not supported` };
  }
  if (output === WireFormat.TEXT_FORMAT || output === WireFormat.JSPB) {
    return { case: "skipped", value: `output format ${WireFormat[output]} is not supported` };
  }
  const codec = lookup(request.messageType);
  if (typeof codec === "string") return { case: "runtimeError", value: codec };
  let message: unknown;
  try {
    if (payload.case === "protobufPayload") {
      message = codec.decode(payload.value as Uint8Array);
    } else if (payload.case === "jsonPayload") {
      const options: JsonOptions = {
        registry,
        ignoreUnknownFields: request.testCategory === TestCategory.JSON_IGNORE_UNKNOWN_PARSING_TEST,
      };
      message = codec.fromJson(parseJson(payload.value as string), options);
    } else {
      return { case: "runtimeError", value: `request without a payload (${payload.case})` };
    }
  } catch (error) {
    return refusal("parseError", error);
  }
  try {
    switch (output) {
      case WireFormat.PROTOBUF:
        return { case: "protobufPayload", value: codec.encode(message) };
      case WireFormat.JSON:
        return { case: "jsonPayload", value: JSON.stringify(codec.toJson(message, { registry })) };
      default:
        return { case: "runtimeError", value: `unknown requested output format ${output}` };
    }
  } catch (error) {
    return refusal("serializeError", error);
  }
}

/** Requests answered, by "<package> <payload> -> <output>" and then by answer; written for run.ts. */
const stats: Record<string, Record<string, number>> = {};
function count(request: Request, result: Result): void {
  const type = request.messageType;
  const pkg = type.slice(0, type.lastIndexOf("."));
  const key = `${pkg} ${request.payload.case ?? "none"} -> ${WireFormat[request.requestedOutputFormat] ?? "?"}`;
  const byResult = (stats[key] ??= {});
  byResult[result.case ?? "none"] = (byResult[result.case ?? "none"] ?? 0) + 1;
}

/**
 * The payload of the runner's UnknownOrdering test (field 666: "abc", 123,
 * "def", 456). Runner 33.2 aborts the whole run (ABSL_LOG(FATAL) in
 * ParseResponse) when that one test gets anything but a payload back, so an
 * error answer to it becomes an empty message instead: the runner then
 * records the test as failed (unknown fields missing), which an empty message
 * can never pass.
 */
const UNKNOWN_ORDERING = Buffer.from("d22903616263d0297bd22903646566d029c803", "hex");
function survivable(request: Request, result: Result): Result {
  const p = request.payload;
  if (result.case?.endsWith("Error") && p.case === "protobufPayload" && UNKNOWN_ORDERING.equals(p.value as Uint8Array)) {
    return { case: "protobufPayload", value: new Uint8Array(0) };
  }
  return result;
}

function respond(bytes: Uint8Array): void {
  let result: Result;
  let request: Request | undefined;
  try {
    request = ConformanceRequest.decode(bytes);
    result = survivable(request, answer(request));
  } catch (error) {
    result = { case: "runtimeError", value: `testee failed: ${error instanceof Error ? error.stack : error}` };
  }
  if (request && request.messageType !== FailureSet.typeName) count(request, result);
  const body = ConformanceResponse.encode({ result } as { result: Result });
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.set(body, 4);
  process.stdout.write(frame);
}

let pending: Buffer = Buffer.alloc(0);
process.stdin.on("data", (chunk: Buffer) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  let at = 0;
  while (pending.length - at >= 4) {
    const size = pending.readUInt32LE(at);
    if (pending.length - at - 4 < size) break;
    respond(pending.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  pending = pending.subarray(at);
});
process.stdin.on("end", () => {
  if (statsFile) writeFileSync(statsFile, JSON.stringify({ done: true, requests: stats }));
  if (pending.length) process.stderr.write(`testee: stdin ended inside a request (${pending.length} bytes left)\n`);
  process.exitCode = pending.length ? 1 : 0;
});
