// Plain-text tables and the machine description printed by both benchmarks.
import { readFileSync } from "node:fs";
import { cpus, platform, release, totalmem, arch } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/** Node version, V8, OS and CPU: numbers mean little without them. */
export function describeMachine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? "unknown cpu";
  return [
    `node ${process.version} (V8 ${process.versions.v8}), ${platform()} ${release()} ${arch()}`,
    `cpu ${model} × ${cores.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  ].join("\n");
}

/** Installed version of a package, read from node_modules. */
export function installedVersion(packageName: string): string {
  try {
    const manifest = join(
      repoRoot,
      "node_modules",
      packageName,
      "package.json",
    );
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string })
      .version;
  } catch {
    return "not installed";
  }
}

/** Renders rows as a left-aligned first column and right-aligned others. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 0
          ? cell.padEnd(widths[column]!)
          : cell.padStart(widths[column]!),
      )
      .join("  ");
  return [
    line(header),
    widths.map((width) => "─".repeat(width)).join("  "),
    ...rows.map(line),
  ].join("\n");
}

/** 1234567 → "1,234,567". */
export const formatInteger = (value: number): string =>
  Math.round(value).toLocaleString("en-US");

/** 0.8731 → "0.87×". */
export const formatRatio = (value: number): string => `${value.toFixed(2)}×`;

/** Milliseconds with a precision that suits their magnitude. */
export const formatMs = (ms: number): string =>
  ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;

/** Prints a banner that is hard to miss in a long log. */
export function loud(message: string): void {
  console.error(`\n!!! ${message}\n`);
}
