// The least any host can spend per message when its handler is the per-message
// AsyncIterable API users write (`for await (const e of requests) yield e`):
// the same handler as the streampath peer's, fed by the cheapest possible
// source (an iterator whose next() is an already-resolved promise) and pulled
// by an awaiting consumer, in one process, with no decoding, encoding or I/O.
// It bounds what batching inside the runtime can reach, whatever the transport.

const COUNT = 1_000_000;

function resolvedSource(count: number): AsyncIterable<number> {
  let i = 0;
  const iterator: AsyncIterator<number> = {
    next: () =>
      Promise.resolve(
        i < count
          ? { done: false as const, value: i++ }
          : { done: true as const, value: undefined },
      ),
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

async function* handler(
  requests: AsyncIterable<number>,
): AsyncGenerator<number> {
  for await (const event of requests) yield event;
}

/** Median messages per second over `rounds` runs of COUNT messages. */
export async function handlerCeiling(rounds = 5): Promise<number> {
  const rates: number[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    const started = performance.now();
    let seen = 0;
    for await (const event of handler(resolvedSource(COUNT))) seen += event & 1;
    const ms = performance.now() - started;
    if (seen !== COUNT / 2)
      throw new Error(`handler ceiling: saw ${seen} odd events`);
    if (round > 0) rates.push((COUNT / ms) * 1000); // round 0 warms the JIT up
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}
