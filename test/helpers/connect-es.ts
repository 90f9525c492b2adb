/**
 * The echo fixture (test/fixtures/host/echo.proto) for the stock Connect-ES
 * clients (@connectrpc/connect-node, @connectrpc/connect-web): its
 * @bufbuild/protobuf descriptors, built at test time with protobufjs (no
 * protoc needed). protobufjs writes a FileDescriptorSet; @bufbuild/protobuf
 * reads it into a registry.
 *
 * protobufjs writes `json_name` only where it differs from the field's name,
 * but @bufbuild/protobuf takes the descriptor's `json_name` as is (protoc
 * always sets it): without it JSON would name `text` "". It is filled in here
 * as protoc would.
 */
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { createFileRegistry, fromBinary, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ECHO_PROTO } from "./host.js";

interface MessageDescriptor {
  field: { name: string; jsonName?: string }[];
  nestedType: MessageDescriptor[];
}

let bytes: Uint8Array | undefined;

/** echo.proto as FileDescriptorSet bytes, every field with its `json_name`. */
export function echoDescriptorSetBytes(): Uint8Array {
  if (bytes) return bytes;
  const root = protobuf.loadSync(ECHO_PROTO);
  const set = (root as unknown as { toDescriptor(syntax: string): { file: { messageType: MessageDescriptor[] }[] } }).toDescriptor("proto3");
  const fill = (message: MessageDescriptor): void => {
    for (const field of message.field) field.jsonName ||= field.name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    message.nestedType.forEach(fill);
  };
  set.file.forEach((file) => file.messageType.forEach(fill));
  bytes = (descriptor as unknown as { FileDescriptorSet: { encode(m: object): { finish(): Uint8Array } } }).FileDescriptorSet.encode(set).finish();
  return bytes;
}

/** The `test.echo.Echo` service, for Connect-ES's createClient(). */
export function echoService(): DescService {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, echoDescriptorSetBytes()));
  const service = registry.getService("test.echo.Echo");
  if (!service) throw new Error("test.echo.Echo is missing from the descriptor set");
  return service;
}
