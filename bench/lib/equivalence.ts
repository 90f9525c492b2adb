// Structural comparison of decoded messages across very different runtime
// representations, used before timing to prove all codecs do the same work.

/**
 * Maps a message to plain, comparable data:
 * - bigint and protobufjs `Long` both become `"<decimal>n"` strings;
 * - Uint8Array and Buffer both become `"bytes:<hex>"`;
 * - keys starting with `$` (protobuf-es `$typeName`, protobufjs
 *   `$unknowns`) and keys whose value is undefined are dropped;
 * - prototypes are ignored, object keys are sorted.
 */
export function canonicalize(value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value)) {
    return `bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
  }
  if (Array.isArray(value)) return value.map(canonicalize);
  if (isLong(value)) return `${longToBigInt(value)}n`;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (key.startsWith("$") || field === undefined) continue;
    result[key] = canonicalize(field);
  }
  return result;
}

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

function isLong(value: object): value is LongLike {
  return (
    "low" in value &&
    "high" in value &&
    "unsigned" in value &&
    typeof (value as LongLike).low === "number"
  );
}

function longToBigInt({ low, high, unsigned }: LongLike): bigint {
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

/**
 * Throws with the path of the first difference, e.g.
 * `items[2].unitPrice.units: expected "449n", got "0n"`.
 */
export function assertEquivalent(
  label: string,
  actual: unknown,
  expected: unknown,
): void {
  const difference = firstDifference(
    canonicalize(actual),
    canonicalize(expected),
    "",
  );
  if (difference) throw new Error(`${label}: ${difference}`);
}

function firstDifference(
  actual: unknown,
  expected: unknown,
  path: string,
): string | undefined {
  const where = path || "(message)";
  if (
    typeof actual !== "object" ||
    typeof expected !== "object" ||
    actual === null ||
    expected === null
  ) {
    return Object.is(actual, expected)
      ? undefined
      : `${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(actual) !== Array.isArray(expected))
    return `${where}: array vs. object`;
  const actualRecord = actual as Record<string, unknown>;
  const expectedRecord = expected as Record<string, unknown>;
  const keys = new Set([
    ...Object.keys(actualRecord),
    ...Object.keys(expectedRecord),
  ]);
  for (const key of keys) {
    const childPath = Array.isArray(actual)
      ? `${path}[${key}]`
      : path
        ? `${path}.${key}`
        : key;
    if (!(key in actualRecord)) return `${childPath}: missing`;
    if (!(key in expectedRecord))
      return `${childPath}: unexpected (${JSON.stringify(actualRecord[key])})`;
    const difference = firstDifference(
      actualRecord[key],
      expectedRecord[key],
      childPath,
    );
    if (difference) return difference;
  }
  return undefined;
}
