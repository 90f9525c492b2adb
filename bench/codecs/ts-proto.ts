// ts-proto, generated with the options in prepare.ts (bigint, `{ $case,
// value }` oneofs, Timestamp as a message). Its encoders write through
// @bufbuild/protobuf/wire's BinaryWriter.
import { join } from "node:path";
import { largeFixture, smallFixture, type SmallData } from "../fixtures.js";
import { genDirOf } from "../lib/paths.js";
import {
  exported,
  importGenerated,
  type Codec,
  type MessageCodec,
} from "./codec.js";

/** The static object ts-proto emits next to each message interface. */
interface TsProtoMessageFns {
  fromPartial(object: object): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
}

/** ts-proto spells the oneof discriminator `$case` instead of `case`. */
function smallToTsProto({ payload, ...fields }: SmallData): object {
  return {
    ...fields,
    payload:
      payload.case === undefined
        ? undefined
        : { $case: payload.case, value: payload.value },
  };
}

function messageCodec(fns: TsProtoMessageFns, object: object): MessageCodec {
  return {
    message: fns.fromPartial(object),
    encode: (message) => fns.encode(message).finish(),
    decode: (bytes) => fns.decode(bytes),
  };
}

export async function loadTsProto(): Promise<Codec> {
  const file = join(genDirOf("ts-proto"), "bench.ts");
  const generated = await importGenerated(file);
  return {
    name: "ts-proto",
    small: messageCodec(
      exported<TsProtoMessageFns>(generated, "Small", file),
      smallToTsProto(smallFixture),
    ),
    large: messageCodec(
      exported<TsProtoMessageFns>(generated, "Large", file),
      largeFixture,
    ),
  };
}
