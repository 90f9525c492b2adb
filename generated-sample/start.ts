/**
 * `npm start`: the sample board app. Bundles the window and worker code,
 * makes a development certificate if there is none, starts the board host
 * with the board kept in generated-sample/.data/board (DATA_DIR to choose
 * another), and prints the URL. Ctrl-C (SIGINT) or SIGTERM drains the host
 * (running calls get a second), closes the files and exits 0. PORT (default
 * 8443; 0: any free port) and HOST (default 127.0.0.1) choose where it listens.
 */
import { fileURLToPath } from "node:url";
import { startApp } from "./app/app.js";

const port = Number(process.env.PORT ?? 8443);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0 for any free port), not ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}

const app = await startApp({
  port,
  hostname: process.env.HOST ?? "127.0.0.1",
  certDir: fileURLToPath(new URL("./.cert", import.meta.url)),
  dataDir: process.env.DATA_DIR || fileURLToPath(new URL("./.data/board", import.meta.url)),
  log: (line) => console.log(line),
}).catch((error: NodeJS.ErrnoException) => {
  // The host says what went wrong; here is how to change it for `npm start`.
  if (error.code === "EADDRINUSE" || error.code === "EACCES") {
    console.error(`${error.message}\nTo use another port: PORT=${port === 8443 ? 8444 : 8443} npm start (PORT=0 picks a free one)`);
    process.exit(1);
  }
  throw error;
});
console.log(`\nstreampath board: ${app.url}\n(a self-signed certificate: let the browser proceed; open it in several tabs; Ctrl-C stops)\n`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    console.log(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: draining the board host`);
  // Nothing else should keep the process alive once the host is closed; say so if something does.
  const stuck = setTimeout(() => {
    console.error("still running 5 s after the signal: something holds the process; exiting anyway");
    process.exit(1);
  }, 5000);
  await app.close();
  stuck.unref();
  console.log("stopped");
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
