/**
 * A window's bundle carries none of the worker's runtime: the sample app's
 * window imports its views' generated code, which imports the worker
 * services' clients from their `_guest.ts`, yet esbuild leaves out the
 * gateway, the pair and serveBridge (nothing there runs on import).
 */
import test from "ava";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../generated-sample/app/main.ts", import.meta.url));

test("the sample window's bundle has the bridge's window side and no guest runtime", async (t) => {
  const result = await build({
    entryPoints: [main],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    conditions: ["source"],
    logLevel: "silent",
  });
  const text = result.outputFiles[0]!.text;
  t.true(text.includes("function connectWorker("), "the window side of the bridge is there");
  // What esbuild prints for them: the worker's own bundle has each of these.
  for (const name of ["function connectGateway(", "GuestPair = class", "function serveBridge(", "function serveWorker("]) {
    t.false(text.includes(name), `${name} is not in the window's bundle`);
  }
});
