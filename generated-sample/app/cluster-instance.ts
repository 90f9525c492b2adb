/**
 * One board host of `npm run start:cluster`, as a process of its own (so
 * `kill PID` is a real crash): h2c on 127.0.0.1 behind haproxy, the board
 * on NATS, the other instances as its cluster, the page from the bundle the
 * parent made. SIGTERM or SIGINT drains it (running calls get 2 s), then it
 * exits. Configured by the parent through the environment:
 * INSTANCE, PORT, NATS (host:port), MEMBERS (JSON name → URL), BUNDLE (a JSON file).
 */
import { readFileSync } from "node:fs";
import { drainOnSignal, staticMembership } from "streampath/runtime/host";
import { boardLog } from "./app.js";
import { startBoardHost } from "./board-host.js";
import { openNatsStore } from "./board-store.js";
import type { AppBundle } from "./bundle.js";
import { staticFiles } from "./static-files.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`cluster-instance: ${name} is not set (npm run start:cluster starts these)`);
    process.exit(2);
  }
  return value;
}

const name = env("INSTANCE");
const port = Number(env("PORT"));
const members = JSON.parse(env("MEMBERS")) as Record<string, string>;
const bundle = JSON.parse(readFileSync(env("BUNDLE"), "utf8")) as AppBundle;

const store = await openNatsStore(env("NATS"), name);
// Every instance applies every change: the console gets refusals and trouble, not each change three times.
const { onRefused, onProblem } = boardLog((line) => console.log(line), name);
const server = await startBoardHost({
  store,
  h2c: true,
  port,
  cluster: { instanceId: name, membership: staticMembership(members) },
  fallback: staticFiles(bundle),
  onRefused,
  onProblem,
});
drainOnSignal(server.host, { graceMs: 2000, reason: `${name} is stopping`, onSignal: (signal) => console.log(`${name}: ${signal}: draining`) });
const { board } = server.replica.feed;
console.log(`${name}: serving on ${server.host.url} (pid ${process.pid}); the board is at revision ${board.revision}, log position ${server.replica.position}`);
