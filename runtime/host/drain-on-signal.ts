/**
 * What a process manager expects of an instance: on SIGTERM (Kubernetes,
 * systemd, a rolling deploy) drain, then exit. A second signal exits at once.
 */
import type { DrainOptions, Host } from "./server.js";

export interface DrainOnSignalOptions extends DrainOptions {
  /** Default ["SIGTERM", "SIGINT"]. */
  signals?: NodeJS.Signals[];
  /** Told when a signal starts the drain. */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Exit the process (code 0) once drained. Default true. */
  exit?: boolean;
}

/** Drains `hosts` when one of `signals` arrives; returns a function that stops listening for them. */
export function drainOnSignal(hosts: Host | Host[], options: DrainOnSignalOptions = {}): () => void {
  const all = Array.isArray(hosts) ? hosts : [hosts];
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) process.exit(1); // asked twice: the operator will not wait
    draining = true;
    options.onSignal?.(signal);
    void Promise.allSettled(all.map((host) => host.drain(options))).then(() => {
      if (options.exit ?? true) process.exit(0);
    });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
