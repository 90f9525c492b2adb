import { readFileSync } from "node:fs";

// package.json sits one level above generator/ and two above dist/generator/.
const packageJson = new URL(import.meta.url.includes("/dist/") ? "../../package.json" : "../package.json", import.meta.url);

/** The package version, stamped into every generated header. */
export const VERSION: string = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
