/**
 * A method's messages in the format a call chose: protobuf binary, or
 * ProtoJSON as UTF-8 text (`+json` content types, Connect's `json`). The
 * binary one delegates to the generated codec; JSON goes through the
 * codec's toJson/fromJson and the strict `parseJsonText`.
 */
import { encodeUtf8Into, decodeUtf8 } from "../core/bytes.js";
import { Code, StreampathError } from "../core/error.js";
import type { JsonOptions } from "../core/json.js";
import { parseJsonText } from "../core/json-text.js";
import { type MessageCodec, decodeAt } from "../core/message.js";
import type { BinaryWriter } from "../core/writer.js";
import type { Format } from "./protocol.js";

export interface Serialization<T> {
  readonly typeName: string;
  /** Writes the message's bytes at the writer's position (for MessageBatch). */
  write(message: T, w: BinaryWriter): void;
  encode(message: T): Uint8Array;
  /** Reads `bytes[start, end)`; a malformed message is InvalidArgument. `owned`: see `decodeAt`. */
  decode(bytes: Uint8Array, start: number, end: number, owned?: boolean): T;
}

const binary = new WeakMap<MessageCodec<any>, Serialization<any>>();

function binarySerialization<T>(codec: MessageCodec<T>): Serialization<T> {
  let s = binary.get(codec) as Serialization<T> | undefined;
  if (!s) {
    s = {
      typeName: codec.typeName,
      write: (message, w) => codec.write(message, w),
      encode: (message) => codec.encode(message),
      decode: (bytes, start, end, owned) => {
        try {
          return decodeAt(codec, bytes, start, end, owned);
        } catch (error) {
          throw new StreampathError(Code.InvalidArgument, `cannot decode ${codec.typeName}: ${(error as Error).message}`);
        }
      },
    };
    binary.set(codec, s);
  }
  return s;
}

const encoder = new TextEncoder();

function jsonSerialization<T>(codec: MessageCodec<T>, options: JsonOptions): Serialization<T> {
  const text = (message: T) => JSON.stringify(codec.toJson(message, options));
  return {
    typeName: codec.typeName,
    write: (message, w) => {
      const s = text(message);
      w.ensure(s.length * 3);
      w.pos += encodeUtf8Into(w.buf, w.pos, s);
    },
    encode: (message) => encoder.encode(text(message)),
    decode: (bytes, start, end) => {
      try {
        return codec.fromJson(parseJsonText(decodeUtf8(bytes, start, end)), options);
      } catch (error) {
        throw new StreampathError(Code.InvalidArgument, `cannot decode ${codec.typeName} from JSON: ${(error as Error).message}`);
      }
    },
  };
}

/**
 * JSON requests ignore fields the schema does not know, as binary decoding
 * keeps them: a client built from a newer schema still gets through.
 */
export function serialization<T>(codec: MessageCodec<T>, format: Format, json: JsonOptions = {}): Serialization<T> {
  return format === "proto" ? binarySerialization(codec) : jsonSerialization(codec, { ignoreUnknownFields: true, ...json });
}
