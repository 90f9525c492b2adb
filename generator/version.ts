import { readFileSync } from "node:fs";

/** The package version, stamped into every generated header. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url.includes("/dist/") ? new URL("../", import.meta.url) : import.meta.url), "utf8")) as { version: string }
).version;
