/**
 * What `npm start` runs after generating the sample: one board change built
 * with the generated code, through the binary and JSON codecs and back.
 * (The live sample app — hosts, worker and window — comes with the runtime.)
 */
import { Change, Lane } from "./gen/board/v1/board_pb.js";
import { Timestamp } from "./gen/google/protobuf/timestamp_pb.js";

const now = Date.now();
const change = Change.create({
  changeId: "c-1",
  author: { id: "u-7", displayName: "Ada", color: "#3a7" },
  at: Timestamp.create({ seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 }),
  kind: { case: "moved", value: { cardId: "card-42", toLane: Lane.LANE_DOING, rank: 1.5 } },
});

const bytes = Change.encode(change);
const decoded = Change.decode(bytes);
const json = Change.toJson(decoded);
const again = Change.fromJson(JSON.parse(JSON.stringify(json)));

console.log(`board.v1.Change: ${bytes.length} bytes on the wire`);
console.log(JSON.stringify(json, null, 2));
const same = Buffer.from(Change.encode(again)).equals(Buffer.from(bytes));
console.log(same ? "binary → JSON → binary: identical" : "binary → JSON → binary: DIFFERENT");
process.exitCode = same ? 0 : 1;
