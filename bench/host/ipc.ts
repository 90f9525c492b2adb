// Request/response over the IPC channel between bench/host-echo.ts and the
// server and client processes it forks (one of each per peer).
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A command sent to a child; `id` pairs it with its reply. */
export interface Command {
  readonly id: number;
  readonly cmd: string;
  readonly [key: string]: unknown;
}

type Reply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };

/** The first message of a child: it is ready (servers say where they listen). */
export interface Ready {
  readonly ready: true;
  readonly port?: number;
}

/** The parent's handle on one child process. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private exitError: Error | undefined;
  readonly ready: Promise<Ready>;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    this.ready = new Promise<Ready>((resolve, reject) => {
      process.once("message", (message) => resolve(message as Ready));
      process.once("exit", (code) =>
        reject(new Error(`${name} exited with ${code} before it was ready`)),
      );
    });
    this.ready.catch(() => undefined);
    process.on("message", (message: Reply | Ready) => {
      if (!("id" in message)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if ("error" in message)
        waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    this.exited = new Promise((resolve) =>
      process.once("exit", (code, signal) => {
        this.exitError = new Error(
          `${name} exited (code ${code}, signal ${signal})`,
        );
        for (const waiter of this.pending.values())
          waiter.reject(this.exitError);
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  /**
   * Forks `script` (a .ts file, run through tsx) with `args`. Its stdout and
   * stderr go to ours, so a crash is visible.
   */
  static start(
    name: string,
    script: URL,
    args: readonly string[],
    execArgv: readonly string[] = [],
  ): Child {
    const child = fork(fileURLToPath(script), [...args], {
      execArgv: ["--import", "tsx", ...execArgv],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Child(name, child);
  }

  /**
   * Binds the process and all its threads to one CPU (util-linux `taskset`).
   * Returns why not, if it could not.
   */
  pin(cpu: number): string | undefined {
    const pid = this.process.pid;
    if (pid === undefined) return `${this.name} has no pid`;
    const result = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { encoding: "utf8" });
    if (result.error) return `taskset: ${result.error.message}`;
    if (result.status !== 0) return `taskset exited ${result.status}: ${result.stderr.trim()}`;
    return undefined;
  }

  request<T>(cmd: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.process.send({ ...params, id, cmd } satisfies Command);
    });
  }

  /** Asks the child to finish (`close` command), then waits for it to exit. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.exitError) return;
    const timer = setTimeout(() => this.process.kill("SIGKILL"), timeoutMs);
    try {
      await this.request("close").catch(() => undefined);
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * In a child: answers the parent's commands with `handlers`, one at a time
 * (commands never overlap, so a measurement is never disturbed by another).
 * `close` runs `onClose` and exits the process.
 */
export function serveCommands(
  handlers: Record<string, (command: Command) => Promise<unknown>>,
  onClose: () => Promise<void>,
  ready: Omit<Ready, "ready"> = {},
): void {
  const send = (message: unknown) =>
    new Promise<void>((resolve) => process.send!(message, () => resolve()));
  let queue = Promise.resolve();
  process.on("message", (command: Command) => {
    queue = queue.then(async () => {
      if (command.cmd === "close") {
        try {
          await onClose();
        } catch (error) {
          console.error(error);
        }
        await send({ id: command.id, result: null });
        process.exit(0);
      }
      const handler = handlers[command.cmd];
      try {
        if (!handler) throw new Error(`unknown command ${command.cmd}`);
        await send({ id: command.id, result: await handler(command) });
      } catch (error) {
        await send({
          id: command.id,
          error:
            error instanceof Error
              ? (error.stack ?? error.message)
              : String(error),
        });
      }
    });
  });
  // If the parent dies, do not linger.
  process.on("disconnect", () => process.exit(1));
  void send({ ready: true, ...ready });
}
