// Throughput measurement: calibrated batches, a warm-up, then several timed
// rounds visiting every task round-robin, reporting the median ops/s.

/** One thing to time, e.g. "protobuf-es × small × decode". */
export interface Task {
  readonly codec: string;
  readonly column: string;
  /** One operation; returns a number that is added to the sink. */
  readonly operation: () => number;
}

export interface Measurement {
  readonly task: Task;
  /** Median over the rounds, in operations per second. */
  readonly opsPerSecond: number;
  /** (max − min) / median over the rounds; a rough noise indicator. */
  readonly spread: number;
}

export interface MeasureOptions {
  readonly warmupMs: number;
  readonly rounds: number;
  readonly roundMs: number;
}

/**
 * Everything the timed operations return is added here and printed at the
 * end, so no result is unused and the JIT cannot drop an operation.
 */
let sink = 0;
export const sinkValue = (): number => sink;

/**
 * Runs `operation` `count` times. All tasks share this loop, so its call site
 * is megamorphic for every codec alike; the indirect call costs a few ns,
 * small next to encoding or decoding a message.
 */
function runBatch(operation: () => number, count: number): void {
  let total = 0;
  for (let i = 0; i < count; i++) total += operation();
  sink += total;
}

/** Smallest power-of-two batch that takes at least `targetMs`. */
function calibrate(operation: () => number, targetMs: number): number {
  for (let count = 1; ; count *= 2) {
    const started = performance.now();
    runBatch(operation, count);
    if (performance.now() - started >= targetMs || count >= 1 << 24)
      return count;
  }
}

/** Runs whole batches until `durationMs` has passed; returns ops/s. */
function timeFor(
  operation: () => number,
  batch: number,
  durationMs: number,
): number {
  let operations = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    runBatch(operation, batch);
    operations += batch;
    elapsed = performance.now() - started;
  } while (elapsed < durationMs);
  return (operations * 1000) / elapsed;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Warms every task up, then runs `rounds` rounds; in each round every task
 * runs once for `roundMs`. Within a round tasks are grouped by column and the
 * codec order rotates from round to round, so slow phases of the machine
 * (thermal, other processes, GC debt left by the previous task) are spread
 * over all codecs instead of landing on one.
 */
export function measureRoundRobin(
  tasks: readonly Task[],
  options: MeasureOptions,
  onProgress: (message: string) => void = () => {},
): Measurement[] {
  const batches = new Map<Task, number>();
  for (const task of tasks) {
    const batch = calibrate(task.operation, 5);
    batches.set(task, batch);
    timeFor(task.operation, batch, options.warmupMs);
  }
  onProgress("warm-up done");

  const columns = [...new Set(tasks.map((task) => task.column))];
  const samples = new Map<Task, number[]>(tasks.map((task) => [task, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const column of columns) {
      const inColumn = tasks.filter((task) => task.column === column);
      for (let i = 0; i < inColumn.length; i++) {
        const task = inColumn[(i + round) % inColumn.length]!;
        samples
          .get(task)!
          .push(timeFor(task.operation, batches.get(task)!, options.roundMs));
      }
    }
    onProgress(`round ${round + 1}/${options.rounds} done`);
  }

  return tasks.map((task) => {
    const values = samples.get(task)!;
    const middle = median(values);
    return {
      task,
      opsPerSecond: middle,
      spread: (Math.max(...values) - Math.min(...values)) / middle,
    };
  });
}

/**
 * Times one codec operation in a process of its own (bench:codec:ab and
 * bench:codec:floor run one per child): 300 ms of warm-up, then batches of
 * 100 for `ms`. Decoders read the codec's own encoding as a plain Uint8Array.
 */
export function timeAlone(
  codec: {
    message: object;
    encode(m: object): Uint8Array;
    decode(b: Uint8Array): object;
  },
  op: string,
  ms: number,
): { opsPerSec: number; sink: number } {
  const bytes = new Uint8Array(codec.encode(codec.message));
  let sink = 0;
  const batch = (): void => {
    for (let i = 0; i < 100; i++)
      sink +=
        op === "encode"
          ? codec.encode(codec.message).length
          : codec.decode(bytes)
            ? 1
            : 0;
  };
  const warm = performance.now();
  while (performance.now() - warm < 300) batch();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    batch();
    n += 100;
  }
  return { opsPerSec: (n / (performance.now() - start)) * 1000, sink };
}
