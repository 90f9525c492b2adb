/**
 * The window's connection state over the bridge, on a MessageChannel in
 * Node: connecting until the worker serves; then the host state the worker
 * relays (serveBridge's `connection`), errors crossing as code and message,
 * or live if it relays none; offline once either side closes.
 */
import test from "ava";
import { Code, ConnectionCell, type ConnectionState, StreampathError } from "../runtime/core/index.js";
import { type BridgeEndpoint, type BridgeRegistry, serveBridge } from "../runtime/guest/index.js";
import { connectWorker } from "../runtime/view/index.js";
import { waitFor } from "./helpers/host.js";

const registry: BridgeRegistry = {
  call: () => {
    throw new StreampathError(Code.Unimplemented, "no calls here");
  },
};

function channel(t: import("ava").ExecutionContext) {
  const { port1, port2 } = new MessageChannel();
  t.teardown(() => (port1.close(), port2.close()));
  return { worker: port1 as unknown as BridgeEndpoint, window: port2 };
}

test("connecting until the worker serves, then the host state it relays, with every change and its error", async (t) => {
  const { worker, window } = channel(t);
  const connection = connectWorker(window);
  const seen: ConnectionState[] = [];
  connection.subscribe((state) => seen.push(state));
  t.is(connection.state.kind, "connecting");

  const host = new ConnectionCell();
  host.set({ kind: "reconnecting", attempt: 2, error: new StreampathError(Code.Unavailable, "fetch failed: connect ECONNREFUSED"), since: 1234 });
  const server = serveBridge(registry, worker, { connection: host });
  t.teardown(() => server.close());
  await waitFor(() => connection.state.kind === "reconnecting", 2000, "the relayed state");
  const state = connection.state as Extract<ConnectionState, { kind: "reconnecting" }>;
  t.is(state.attempt, 2);
  t.is(state.since, 1234);
  t.true(state.error instanceof StreampathError);
  t.is(state.error.code, Code.Unavailable);
  t.is(state.error.message, "fetch failed: connect ECONNREFUSED");
  t.deepEqual(seen.map((s) => s.kind), ["reconnecting"], "never live before the host state is known");

  const live = connection.whenLive();
  host.set({ kind: "live" });
  await live;
  host.set({ kind: "offline", error: new StreampathError(Code.Unavailable, "gone"), since: 5678 });
  await waitFor(() => connection.state.kind === "offline", 2000, "offline");
  t.is((connection.state as { error: Error }).error.message, "gone");
  t.deepEqual(seen.map((s) => s.kind), ["reconnecting", "live", "offline"]);

  server.close(new StreampathError(Code.Unavailable, "the worker is going away"));
  await waitFor(() => connection.state.kind === "offline" && connection.state.error.message === "the worker is going away", 2000, "the bridge's close");
});

test("a worker that relays no host state is live once it serves; close() is offline for good", async (t) => {
  const { worker, window } = channel(t);
  const connection = connectWorker(window);
  const server = serveBridge(registry, worker);
  t.teardown(() => server.close());
  await connection.whenLive();
  t.is(connection.state.kind, "live");
  connection.close();
  t.is(connection.state.kind, "offline");
  t.is((connection.state as { error: Error }).error.message, "the worker connection is closed");
  await t.throwsAsync(connection.whenLive(), { message: "the worker connection is closed" });
});

test("a relayed state that is not one is ignored", async (t) => {
  const { worker, window } = channel(t);
  const connection = connectWorker(window);
  const host = new ConnectionCell({ kind: "live" });
  const server = serveBridge(registry, worker, { connection: host });
  t.teardown(() => server.close());
  await connection.whenLive();
  for (const state of [null, { kind: "sleeping" }, { kind: "reconnecting", attempt: 0, error: { code: 14, message: "x" }, since: 1 }, { kind: "offline" }]) {
    worker.postMessage({ "streampath-bridge": "state", state }, []);
  }
  host.set({ kind: "connecting" });
  await waitFor(() => connection.state.kind === "connecting", 2000, "the next good state");
  t.pass();
});
