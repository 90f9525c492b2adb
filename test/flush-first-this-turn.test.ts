/**
 * The schedule of the host's writes (runtime/core/batch.ts `firstThisTurn`):
 * the first flush of an event-loop turn runs on a microtask, so a lone
 * message (a ping, an answer) is written at once; any later flush of the
 * same turn waits for the next task, so a burst still goes out in one more
 * write, not one a message. Serial: the turn is the process's, not a test's.
 */
import test from "ava";
import { firstThisTurn } from "../runtime/core/batch.js";
import { EnvelopeBatch, EnvelopeDecoder, Flusher } from "../runtime/core/index.js";

const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup() {
  const batch = new EnvelopeBatch();
  const writes: number[][] = [];
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 100 });
  const flusher = new Flusher(
    () => {
      const chunk = batch.take();
      if (chunk !== undefined) writes.push(decoder.decode(chunk).map((e) => e.data[0]!));
    },
    { maxBytes: 1 << 20, pending: () => batch.bytes, schedule: firstThisTurn },
  );
  const send = (n: number) => {
    batch.add(0, Uint8Array.of(n));
    flusher.notify();
  };
  return { writes, send };
}

/** Starts a fresh turn: whatever an earlier test scheduled has run. */
async function freshTurn(): Promise<void> {
  await nextTask();
  await nextTask();
}

test.serial("a lone message is written on a microtask, not a task later", async (t) => {
  await freshTurn();
  const { writes, send } = setup();
  send(1);
  t.deepEqual(writes, [], "nothing written synchronously");
  await Promise.resolve();
  t.deepEqual(writes, [[1]], "written before any task ran");
});

test.serial("a burst goes out as its first message, then the rest of the turn in one write", async (t) => {
  await freshTurn();
  const { writes, send } = setup();
  send(0);
  await Promise.resolve();
  for (let i = 1; i < 100; i++) {
    send(i);
    await Promise.resolve(); // a producer that awaits between messages, as an async generator does
  }
  t.deepEqual(writes, [[0]], "the rest waits for the next task");
  await nextTask();
  t.is(writes.length, 2);
  t.deepEqual(writes[1], Array.from({ length: 99 }, (_, i) => i + 1), "the other 99 in one write, in order");
});

test.serial("each turn's first flush is on a microtask again", async (t) => {
  await freshTurn();
  const { writes, send } = setup();
  for (let turn = 0; turn < 3; turn++) {
    send(turn);
    await Promise.resolve();
    t.is(writes.length, turn + 1, `turn ${turn}: written at once`);
    await nextTask();
    await nextTask();
  }
  t.deepEqual(writes, [[0], [1], [2]]);
});
