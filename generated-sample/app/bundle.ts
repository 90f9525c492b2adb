/**
 * The browser half of the app, bundled in memory with esbuild: the window
 * (main.ts → /main.js) and the worker (worker.ts → /worker.js). The
 * "source" condition resolves `streampath/runtime/...` to this repository's
 * TypeScript, so `npm start` needs no build of the runtime for the browser.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const APP = fileURLToPath(new URL(".", import.meta.url));

export interface AppBundle {
  /** By URL path: `/main.js`, `/worker.js`. */
  [path: string]: string;
}

export async function bundleApp(): Promise<AppBundle> {
  const result = await build({
    entryPoints: { main: APP + "main.ts", worker: APP + "worker.ts" },
    outdir: "/",
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    conditions: ["source"],
    sourcemap: "inline",
    logLevel: "silent",
  });
  const bundle: AppBundle = {};
  for (const file of result.outputFiles) bundle["/" + file.path.split("/").pop()!] = file.text;
  return bundle;
}
