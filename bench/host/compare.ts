// The "streampath vs base" table of a run with BENCH_HOST_BASE (base.ts):
// current ÷ base on every row of the main table, and the spread that tells
// a change from noise.
import { median } from "../lib/measure.js";
import { formatRatio, formatTable } from "../lib/report.js";
import type { ServerStats } from "./server.js";

type WorkloadName = "small" | "large";

/** What the driver measured of one peer (a subset of its PeerState). */
export interface Measured {
  readonly counts: Partial<Record<WorkloadName, number>>;
  readonly samples: Record<
    WorkloadName,
    readonly {
      readonly perSecond: number;
      readonly serverCpuUs: number;
      readonly clientCpuUs: number;
    }[]
  >;
  readonly pings?: readonly number[];
  readonly idle?: ServerStats;
  readonly final?: ServerStats;
}

interface Row {
  readonly name: string;
  readonly format: (value: number) => string;
  readonly current: number;
  readonly base: number;
  /** Ratios current ÷ base of comparable parts of the run (rounds, halves). */
  readonly parts: readonly number[];
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? NaN;
};
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const latency = (ms: number): string =>
  ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`;

/**
 * Rows of the table. Throughput and CPU rows pair the two peers' runs of
 * the same round (seconds apart, so a slow phase of the machine hits both);
 * ping-pong is one run each, so its parts are its two halves.
 */
function rows(
  current: Measured,
  base: Measured,
  largePayloadBytes: number,
): Row[] {
  const result: Row[] = [];
  const paired = (
    name: string,
    workload: WorkloadName,
    format: (value: number) => string,
    value: (
      sample: Measured["samples"][WorkloadName][number],
      count: number,
    ) => number,
  ) => {
    const of = (m: Measured) =>
      m.samples[workload].map((s) => value(s, m.counts[workload] ?? NaN));
    const [c, b] = [of(current), of(base)];
    result.push({
      name,
      format,
      current: median(c),
      base: median(b),
      parts: c.slice(0, b.length).map((x, i) => x / b[i]!),
    });
  };
  paired(
    "64 B msgs/s",
    "small",
    (v) => Math.round(v).toLocaleString("en-US"),
    (s) => s.perSecond,
  );
  paired(
    "64 KiB MB/s",
    "large",
    (v) => v.toFixed(0),
    (s) => (s.perSecond * largePayloadBytes) / 1e6,
  );
  for (const [q, label] of [
    [0.5, "p50"],
    [0.99, "p99"],
  ] as const) {
    const whole = (m: Measured) => percentile(m.pings ?? [], q);
    const half = (m: Measured, second: boolean) => {
      const pings = m.pings ?? [];
      const middle = pings.length >> 1;
      return percentile(
        second ? pings.slice(middle) : pings.slice(0, middle),
        q,
      );
    };
    result.push({
      name: `ping-pong ${label}`,
      format: latency,
      current: whole(current),
      base: whole(base),
      parts: [false, true].map(
        (second) => half(current, second) / half(base, second),
      ),
    });
  }
  const stat = (
    name: string,
    value: (s: { final: ServerStats; idle: ServerStats }) => number,
  ) => {
    const of = (m: Measured) =>
      m.final && m.idle ? value({ final: m.final, idle: m.idle }) : NaN;
    result.push({
      name,
      format: mib,
      current: of(current),
      base: of(base),
      parts: [],
    });
  };
  stat("server RSS at end", (s) => s.final.rss);
  stat("server RSS peak", (s) => s.final.maxRss);
  stat("server RSS peak − idle", (s) => s.final.maxRss - s.idle.rss);
  const us = (v: number) => v.toFixed(2);
  paired("server µs/event 64 B", "small", us, (s, n) => s.serverCpuUs / n);
  paired("client µs/event 64 B", "small", us, (s, n) => s.clientCpuUs / n);
  paired("server µs/event 64 KiB", "large", us, (s, n) => s.serverCpuUs / n);
  paired("client µs/event 64 KiB", "large", us, (s, n) => s.clientCpuUs / n);
  return result;
}

/** The table and its note on noise, ready to print. */
export function formatBaseComparison(
  current: Measured,
  base: Measured,
  options: {
    readonly baseLabel: string;
    readonly rounds: number;
    readonly largePayloadBytes: number;
  },
): string {
  const table = rows(current, base, options.largePayloadBytes).map((row) => {
    const ratio = row.current / row.base;
    const parts = row.parts.filter(Number.isFinite);
    const [low, high] = [Math.min(...parts), Math.max(...parts)];
    const range =
      parts.length === 0
        ? "–"
        : parts.length === 1
          ? formatRatio(low)
          : `${formatRatio(low)}–${formatRatio(high)}`;
    // A change is measurable only if every part agrees on its direction.
    const verdict =
      parts.length < 2 || !Number.isFinite(ratio)
        ? "–"
        : low <= 1 && high >= 1
          ? "within noise"
          : high < 1
            ? "lower"
            : "higher";
    return [
      row.name,
      Number.isFinite(row.current) ? row.format(row.current) : "–",
      Number.isFinite(row.base) ? row.format(row.base) : "–",
      Number.isFinite(ratio) ? formatRatio(ratio) : "–",
      range,
      verdict,
    ];
  });
  return [
    `\nstreampath vs ${options.baseLabel} (current ÷ base; above 1.00× = current is higher: faster for msgs/s and MB/s, slower or bigger for latency, µs/event and RSS)\n`,
    formatTable(
      ["row", "streampath", "base", "current ÷ base", "parts", "current is"],
      table,
    ),
    `noise: "parts" is the range of current ÷ base over the ${options.rounds} round(s) (the two peers' runs` +
      ` of a round are seconds apart) and, for ping-pong, over the first and second half of the round trips;` +
      ` a row is "within noise" when its parts straddle 1.00×, "lower"/"higher" only when every part agrees` +
      ` (needs ≥ 3 rounds to mean much). RSS is one reading each: node + tsx alone take most of it.`,
  ].join("\n");
}
