/**
 * The connection-state test's window: connects to the worker
 * (test/browser/connection-state.worker.ts) and records every state its
 * WorkerConnection reports, as a view showing it would, in
 * `window.connectionStates`; `brokenWorkerState()` connects to a worker
 * whose script is missing and reports the state that leaves.
 */
import { connectWorker, type ConnectionState } from "streampath/runtime/view";

export interface Recorded {
  kind: ConnectionState["kind"];
  attempt?: number;
  message?: string;
  /** performance.now() in the page. */
  at: number;
}

const record = (state: ConnectionState): Recorded => ({
  kind: state.kind,
  ...(state.kind === "reconnecting" && { attempt: state.attempt }),
  ...((state.kind === "reconnecting" || state.kind === "offline") && { message: state.error.message }),
  at: performance.now(),
});

const connection = connectWorker(new Worker("/worker.js", { type: "module" }));
const states: Recorded[] = [record(connection.state)];
connection.subscribe((state) => states.push(record(state)));

async function brokenWorkerState(): Promise<Recorded> {
  const broken = connectWorker(new Worker("/no-such-worker.js", { type: "module" }));
  await new Promise<void>((resolve) => {
    const off = broken.subscribe((state) => state.kind === "offline" && (off(), resolve()));
  });
  return record(broken.state);
}

Object.assign(window, { connectionStates: states, brokenWorkerState });
