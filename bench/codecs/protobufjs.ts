// protobufjs, in its two modes: reflection (`loadSync` + `Type`, the encoder
// and decoder are generated at run time) and static code from `pbjs -t
// static-module` (generated ahead of time by prepare.ts).
import { join } from "node:path";
import protobuf from "protobufjs";
import { largeFixture, smallFixture, type SmallData } from "../fixtures.js";
import { benchProto, genDirOf } from "../lib/paths.js";
import {
  exported,
  importGenerated,
  type Codec,
  type MessageCodec,
} from "./codec.js";

/** The part of a protobufjs message class (reflected or static) we use. */
interface ProtobufjsType {
  fromObject(object: Record<string, unknown>): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
}

/**
 * protobufjs has no oneof wrapper object: the selected member is set as a
 * plain field and the oneof name is a virtual property. 64-bit bigints are
 * converted to `Long` by `fromObject`. (Passing a bigint straight to `encode`
 * silently writes 0, hence `fromObject` rather than `create`.)
 */
function smallToObject({
  payload,
  ...fields
}: SmallData): Record<string, unknown> {
  return payload.case === undefined
    ? fields
    : { ...fields, [payload.case]: payload.value };
}

function messageCodec(
  type: ProtobufjsType,
  object: Record<string, unknown>,
): MessageCodec {
  return {
    message: type.fromObject(object),
    encode: (message) => type.encode(message).finish(),
    decode: (bytes) => type.decode(bytes),
  };
}

function codecFromTypes(
  name: string,
  small: ProtobufjsType,
  large: ProtobufjsType,
): Codec {
  return {
    name,
    small: messageCodec(small, smallToObject(smallFixture)),
    large: messageCodec(large, { ...largeFixture }),
  };
}

export function loadProtobufjsReflection(): Codec {
  const root = protobuf.loadSync(benchProto);
  return codecFromTypes(
    "protobufjs (reflection)",
    root.lookupType("bench.Small") as unknown as ProtobufjsType,
    root.lookupType("bench.Large") as unknown as ProtobufjsType,
  );
}

export async function loadProtobufjsStatic(): Promise<Codec> {
  const file = join(genDirOf("protobufjs-static"), "bench.js");
  const benchNamespace = exported<Record<string, ProtobufjsType>>(
    await importGenerated(file),
    "bench",
    file,
  );
  return codecFromTypes(
    "protobufjs (static)",
    benchNamespace.Small!,
    benchNamespace.Large!,
  );
}
