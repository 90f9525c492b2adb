// protobuf-es v2: generated schemas (`SmallSchema`) plus the generic
// `create` / `toBinary` / `fromBinary` functions of @bufbuild/protobuf.
import { join } from "node:path";
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
} from "@bufbuild/protobuf";
import { largeFixture, smallFixture } from "../fixtures.js";
import { genDirOf } from "../lib/paths.js";
import {
  exported,
  importGenerated,
  type Codec,
  type MessageCodec,
} from "./codec.js";

function messageCodec(schema: DescMessage, init: object): MessageCodec {
  return {
    // protobuf-es uses the same shapes as our fixtures (bigint, `{ case,
    // value }` oneofs, plain-object maps, Timestamp as a message), so the
    // fixture is a valid init object as is. The cast only widens the static
    // type: the schemas are loaded at run time, so TypeScript cannot know them.
    message: create(schema, init as Record<string, unknown>),
    encode: (message) => toBinary(schema, message as ReturnType<typeof create>),
    decode: (bytes) => fromBinary(schema, bytes),
  };
}

export async function loadProtobufEs(): Promise<Codec> {
  const file = join(genDirOf("protobuf-es"), "bench_pb.ts");
  const generated = await importGenerated(file);
  return {
    name: "protobuf-es",
    small: messageCodec(
      exported<DescMessage>(generated, "SmallSchema", file),
      smallFixture,
    ),
    large: messageCodec(
      exported<DescMessage>(generated, "LargeSchema", file),
      largeFixture,
    ),
  };
}
