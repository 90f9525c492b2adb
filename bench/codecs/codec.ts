// The common shape every codec adapter exposes to the harness.
import { pathToFileURL } from "node:url";

/** One benchmark message as seen through one library. */
export interface MessageCodec {
  /** The fixture converted once into this library's own representation. */
  readonly message: object;
  encode(message: object): Uint8Array;
  decode(bytes: Uint8Array): object;
}

export interface Codec {
  /** Row label in the result tables. */
  readonly name: string;
  /** streampath rows: where each `streampath/...` import resolved (URLs). */
  readonly runtime?: Record<string, string>;
  readonly small: MessageCodec;
  readonly large: MessageCodec;
}

/**
 * Imports generated code by absolute path. The specifier is computed at run
 * time on purpose: `tsc` must not try to resolve bench/gen/ (it only exists
 * after prepare.ts ran), and our generator's output may not exist at all.
 */
export async function importGenerated(
  path: string,
): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/** Reads a named export and fails with a message naming the file and export. */
export function exported<T>(
  module: Record<string, unknown>,
  name: string,
  from: string,
): T {
  const value = module[name];
  if (value === undefined)
    throw new Error(`${from} has no export named ${name}`);
  return value as T;
}
