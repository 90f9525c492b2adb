/**
 * A window's bundle carries none of the worker's runtime: the sample app's
 * window imports its views' generated code, which imports the worker
 * services' clients from their `_guest.ts`, yet esbuild leaves out the
 * gateway, the pair and serveBridge (nothing there runs on import).
 */
import test from "ava";
import { fileURLToPath } from "node:url";
import { bundleWorker } from "./helpers/browser.js";

const main = fileURLToPath(
  new URL("../generated-sample/app/main.ts", import.meta.url),
);

test("the sample window's bundle has the bridge's window side and no guest runtime", async (t) => {
  // The tests' worker bundler does what an app's build does for its window too: esbuild, "source" condition.
  const text = await bundleWorker(main);
  t.true(
    text.includes("function connectWorker("),
    "the window side of the bridge is there",
  );
  // What esbuild prints for them: the worker's own bundle has each of these.
  for (const name of [
    "function connectGateway(",
    "GuestPair = class",
    "function serveBridge(",
    "function serveWorker(",
  ]) {
    t.false(text.includes(name), `${name} is not in the window's bundle`);
  }
});
