// How close the generated codec is to the best JavaScript can do on the
// Small message, against the best peer: streampath's generated code, code
// written by hand for Small alone (codecs/small-by-hand.ts) and both
// protobufjs codecs, each in processes of their own, taking turns.
//
//   npm run bench:codec          (prepares bench/gen/ once)
//   npx tsx bench/codec-floor.ts   [ROUNDS=9 FLOOR_MS=700]
//
// Per round every side runs once per column, in an order that rotates, and
// the round's ratios are taken; the medians and ranges over the rounds are
// printed. Encoding: if the hand-written floor were below a target, no
// generated encoder with this message representation could meet it; where
// it is above, `streampath ÷ by hand` is what the generated code leaves.
// Decoding: the hand-written decoder is a reference, not a floor (see
// codecs/small-by-hand.ts).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { smallFixture } from "./fixtures.js";
import { decodeSmall, encodeSmall } from "./codecs/small-by-hand.js";
import type { MessageCodec } from "./codecs/codec.js";
import {
  loadProtobufjsReflection,
  loadProtobufjsStatic,
} from "./codecs/protobufjs.js";
import { CURRENT_STREAMPATH, loadStreampath } from "./codecs/streampath.js";
import { assertEquivalent } from "./lib/equivalence.js";
import { timeAlone } from "./lib/measure.js";
import { formatTable } from "./lib/report.js";

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const MS = Number(process.env.FLOOR_MS ?? 700);
const SIDES = [
  "streampath",
  "by hand",
  "protobufjs (static)",
  "protobufjs (reflection)",
] as const;
type Side = (typeof SIDES)[number];

async function load(side: Side): Promise<MessageCodec> {
  if (side === "by hand")
    return {
      message: smallFixture,
      encode: (m) => encodeSmall(m as typeof smallFixture),
      decode: decodeSmall,
    };
  if (side === "streampath") {
    const codec = await loadStreampath(CURRENT_STREAMPATH);
    if ("unavailable" in codec) throw new Error(codec.unavailable);
    return codec.small;
  }
  return (
    side === "protobufjs (static)"
      ? await loadProtobufjsStatic()
      : loadProtobufjsReflection()
  ).small;
}

if (process.argv[2] === "--child") {
  const side = process.argv[3] as Side;
  const op = process.argv[4];
  const c = await load(side);
  console.log(JSON.stringify(timeAlone(c, op, MS)));
  process.exit(0);
}

// The floor must do the same work: the same bytes out, the same message back.
const generated = await load("streampath");
const reference = generated.encode(generated.message);
const byHand = encodeSmall(smallFixture);
if (Buffer.compare(Buffer.from(reference), Buffer.from(byHand)) !== 0)
  throw new Error(
    "the hand-written encoder's bytes differ from the generated codec's",
  );
assertEquivalent(
  "hand-written decode",
  decodeSmall(reference),
  generated.decode(reference),
);

const self = fileURLToPath(import.meta.url);
const opsPerSec = (side: Side, op: string): number =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ["--import", "tsx", self, "--child", side, op],
      { encoding: "utf8" },
    ),
  ).opsPerSec;

const spread = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[sorted.length >> 1]!.toFixed(3)}× (${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)})`;
};
const rows: string[][] = [];
for (const op of ["encode", "decode"]) {
  const ratios = {
    spToPeer: [] as number[],
    handToPeer: [] as number[],
    spToHand: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const ops = new Map<Side, number>();
    for (let i = 0; i < SIDES.length; i++) {
      const side = SIDES[(i + round) % SIDES.length]!;
      ops.set(side, opsPerSec(side, op));
    }
    const peer = Math.max(
      ops.get("protobufjs (static)")!,
      ops.get("protobufjs (reflection)")!,
    );
    ratios.spToPeer.push(ops.get("streampath")! / peer);
    ratios.handToPeer.push(ops.get("by hand")! / peer);
    ratios.spToHand.push(ops.get("streampath")! / ops.get("by hand")!);
    process.stderr.write(
      `  small ${op} round ${round + 1}/${ROUNDS}: ${[...ops].map(([s, n]) => `${s} ${Math.round(n)}`).join(", ")}\n`,
    );
  }
  rows.push([
    `small ${op}`,
    spread(ratios.spToPeer),
    spread(ratios.handToPeer),
    spread(ratios.spToHand),
  ]);
}
console.log(
  `ops/s ratios, median (range) over ${ROUNDS} rounds of one ${MS} ms process per side`,
);
console.log(
  formatTable(
    [
      "",
      "streampath ÷ best peer",
      "by hand ÷ best peer",
      "streampath ÷ by hand",
    ],
    rows,
  ),
);
