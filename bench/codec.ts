// Encode/decode throughput of streampath against its peers on the same
// messages, in one run. Normally started by `npm run bench:codec`, which runs
// prepare.ts first to (re)generate every codec into bench/gen/.
//
// Environment knobs (defaults keep the run well under two minutes):
//   BENCH_ROUNDS=7 BENCH_ROUND_MS=300 BENCH_WARMUP_MS=300
//   BENCH_DECODE_INPUT=uint8array|buffer  (what decoders are given; see README)
//   BENCH_BASELINE=<git rev>  (adds a `streampath @<rev>` row, prepared by
//     prepare.ts, and the ratio streampath ÷ that row per column; see README)
import { loadProtobufEs } from "./codecs/protobuf-es.js";
import {
  loadProtobufjsReflection,
  loadProtobufjsStatic,
} from "./codecs/protobufjs.js";
import { loadStreampath } from "./codecs/streampath.js";
import {
  baselineComparison,
  baselineGenDirOf,
  baselineLabel,
  baselineRev,
  baselineTreeOf,
  checkRuntime,
} from "./lib/baseline.js";
import { repoRoot } from "./lib/paths.js";
import { loadTsProto } from "./codecs/ts-proto.js";
import type { Codec, MessageCodec } from "./codecs/codec.js";
import {
  EXPECTED_LARGE_BYTES,
  EXPECTED_SMALL_BYTES,
  probeField,
} from "./fixtures.js";
import { assertEquivalent } from "./lib/equivalence.js";
import {
  measureRoundRobin,
  sinkValue,
  type Measurement,
  type Task,
} from "./lib/measure.js";
import {
  describeMachine,
  formatInteger,
  formatRatio,
  formatTable,
  installedVersion,
  loud,
} from "./lib/report.js";

type MessageKind = "small" | "large";
const MESSAGE_KINDS: readonly MessageKind[] = ["small", "large"];
const EXPECTED_BYTES: Record<MessageKind, number> = {
  small: EXPECTED_SMALL_BYTES,
  large: EXPECTED_LARGE_BYTES,
};
const COLUMNS = [
  "small encode",
  "small decode",
  "large encode",
  "large decode",
] as const;
const STREAMPATH = "streampath";
/** streampath or an earlier revision of it (`streampath @<rev>`): not peers. */
const isStreampath = (name: string): boolean =>
  name === STREAMPATH || name.startsWith(`${STREAMPATH} @`);

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/**
 * The bytes every decoder is timed on: protobufjs's encoding, copied into the
 * input type chosen by BENCH_DECODE_INPUT. A plain Uint8Array (default) is
 * what every codec declares; a Buffer lets protobufjs use its Buffer-only
 * string fast path, as it would for bytes read from a socket or file.
 */
function decodeInput(reference: Uint8Array): Uint8Array {
  return process.env.BENCH_DECODE_INPUT === "buffer"
    ? Buffer.from(reference)
    : Uint8Array.from(reference);
}

/**
 * Proves before timing that every codec does the same work: its encoding of
 * its own fixture has the expected size, and it decodes the reference bytes
 * (and its own bytes) back to exactly its fixture. Throws on any mismatch.
 */
function validate(
  codec: Codec,
  kind: MessageKind,
  reference: Uint8Array,
): { size: number; identical: boolean } {
  const { message, encode, decode }: MessageCodec = codec[kind];
  const encoded = encode(message);
  const label = `${codec.name} ${kind}`;
  if (encoded.length !== EXPECTED_BYTES[kind]) {
    throw new Error(
      `${label}: encoded to ${encoded.length} bytes, expected ${EXPECTED_BYTES[kind]}`,
    );
  }
  assertEquivalent(
    `${label} decoding the protobufjs bytes`,
    decode(decodeInput(reference)),
    message,
  );
  assertEquivalent(`${label} decoding its own bytes`, decode(encoded), message);
  return {
    size: encoded.length,
    identical:
      Buffer.compare(Buffer.from(encoded), Buffer.from(reference)) === 0,
  };
}

function tasksFor(
  codec: Codec,
  references: Record<MessageKind, Uint8Array>,
): Task[] {
  return MESSAGE_KINDS.flatMap((kind) => {
    const { message, encode, decode } = codec[kind];
    const bytes = decodeInput(references[kind]);
    const probe = probeField[kind];
    return [
      {
        codec: codec.name,
        column: `${kind} encode`,
        operation: () => encode(message).length,
      },
      {
        codec: codec.name,
        column: `${kind} decode`,
        operation: () =>
          ((decode(bytes) as Record<string, string>)[probe] ?? "").length,
      },
    ];
  });
}

const opsOf =
  (measurements: readonly Measurement[]) =>
  (codec: string, column: string): number =>
    measurements.find((m) => m.task.codec === codec && m.task.column === column)
      ?.opsPerSecond ?? NaN;

/**
 * One row per codec: ops/s per column, each followed by a ratio. On peer rows
 * (and a baseline's) the ratio is row ÷ streampath; on the streampath row it
 * is streampath ÷ the best peer of that column. Without streampath, rows are
 * compared to the best peer instead.
 */
function resultTable(
  codecs: readonly Codec[],
  measurements: readonly Measurement[],
): string {
  const ops = opsOf(measurements);
  const peers = codecs
    .map((codec) => codec.name)
    .filter((name) => !isStreampath(name));
  const hasStreampath = codecs.some((codec) => codec.name === STREAMPATH);
  const bestPeer = (column: string): number =>
    Math.max(...peers.map((peer) => ops(peer, column)));

  const rows = codecs.map((codec) => [
    codec.name,
    ...COLUMNS.flatMap((column) => {
      const value = ops(codec.name, column);
      const ratio =
        codec.name === STREAMPATH
          ? value / bestPeer(column)
          : value /
            (hasStreampath ? ops(STREAMPATH, column) : bestPeer(column));
      return [formatInteger(value), formatRatio(ratio)];
    }),
  ]);
  const ratioHeader = hasStreampath ? "÷ sp" : "÷ best";
  const header = [
    "ops/s (median)",
    ...COLUMNS.flatMap((column) => [column, ratioHeader]),
  ];
  const legend = hasStreampath
    ? "÷ sp on peer rows: peer ops/s ÷ streampath ops/s (below 1.00× = streampath is faster).\n" +
      "÷ sp on the streampath row: streampath ÷ best peer of the column (above 1.00× = streampath wins)." +
      (codecs.some((c) => c.name !== STREAMPATH && isStreampath(c.name))
        ? "\n÷ sp on a streampath @<rev> row: that revision ÷ the working tree (below 1.00× = the working tree is faster)."
        : "")
    : "÷ best: codec ops/s ÷ best peer ops/s in that column (streampath skipped).";
  return `${formatTable(header, rows)}\n${legend}`;
}

async function main(): Promise<void> {
  const rev = baselineRev();
  console.log(
    `codec benchmark — streampath vs. peers${rev ? ` and ${baselineLabel(rev)}` : ""}\n`,
  );
  console.log(describeMachine());
  const versions = ["protobufjs", "@bufbuild/protobuf", "ts-proto"].map(
    (name) => `${name} ${installedVersion(name)}`,
  );
  console.log(
    `${versions.join(", ")}; decoders read ${process.env.BENCH_DECODE_INPUT === "buffer" ? "Buffer" : "Uint8Array"}\n`,
  );

  const streampath = await loadStreampath();
  // protobufjs reflection, the most widely used peer, encodes the reference
  // bytes that every codec must decode and that every decoder is timed on.
  const reflection = loadProtobufjsReflection();
  const codecs: Codec[] = [
    reflection,
    await loadProtobufjsStatic(),
    await loadProtobufEs(),
    await loadTsProto(),
  ];
  if ("unavailable" in streampath)
    loud(`streampath generator not available: ${streampath.unavailable}`);
  else codecs.unshift(streampath);
  if (rev !== undefined) {
    if ("unavailable" in streampath)
      throw new Error(`BENCH_BASELINE=${rev}: no streampath row to compare`);
    const baseline = await loadStreampath({
      name: baselineLabel(rev),
      dir: baselineGenDirOf(rev),
    });
    if ("unavailable" in baseline)
      throw new Error(`${baselineLabel(rev)}: ${baseline.unavailable}`);
    codecs.splice(1, 0, baseline);
    // Each row's generated code must run on its own revision's runtime.
    for (const [codec, root] of [
      [streampath, repoRoot],
      [baseline, baselineTreeOf(rev)],
    ] as const)
      console.log(
        `${codec.name} runtime: ${checkRuntime(codec.name, codec.runtime, root)}`,
      );
    console.log();
  }

  const references = {
    small: reflection.small.encode(reflection.small.message),
    large: reflection.large.encode(reflection.large.message),
  };
  const sizeRows = codecs.map((codec) => {
    const small = validate(codec, "small", references.small);
    const large = validate(codec, "large", references.large);
    const same =
      small.identical && large.identical
        ? "yes"
        : `small ${small.identical ? "yes" : "no"}, large ${large.identical ? "yes" : "no"}`;
    return [codec.name, String(small.size), String(large.size), same];
  });
  console.log(
    "encoded sizes (all codecs decode the protobufjs bytes to their own fixture: verified)",
  );
  console.log(
    `${formatTable(["codec", "small bytes", "large bytes", "same bytes as protobufjs"], sizeRows)}\n`,
  );

  const options = {
    rounds: envNumber("BENCH_ROUNDS", 7),
    roundMs: envNumber("BENCH_ROUND_MS", 300),
    warmupMs: envNumber("BENCH_WARMUP_MS", 300),
  };
  const tasks = codecs.flatMap((codec) => tasksFor(codec, references));
  const estimateS =
    (tasks.length * (options.warmupMs + options.rounds * options.roundMs)) /
    1000;
  console.log(
    `timing ${tasks.length} tasks: warm-up ${options.warmupMs} ms, ${options.rounds} rounds × ${options.roundMs} ms each, round-robin (≈ ${Math.round(estimateS)} s)`,
  );
  const measurements = measureRoundRobin(tasks, options, (message) =>
    process.stdout.write(`  ${message}\n`),
  );

  console.log(`\n${resultTable(codecs, measurements)}`);
  if (rev !== undefined)
    console.log(
      `\n${baselineComparison(COLUMNS, opsOf(measurements), STREAMPATH, baselineLabel(rev))}`,
    );
  const noisiest = measurements.reduce((worst, m) =>
    m.spread > worst.spread ? m : worst,
  );
  console.log(
    `largest round-to-round spread: ${(noisiest.spread * 100).toFixed(1)}% (${noisiest.task.codec}, ${noisiest.task.column})`,
  );
  console.log(`sink: ${sinkValue()}`);
  if ("unavailable" in streampath)
    loud(`streampath generator not available: ${streampath.unavailable}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
