// Seeded pseudo-random numbers, so synthetic inputs are identical on every run.

/** mulberry32: tiny, fast, and good enough to vary a schema reproducibly. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (probability: number): boolean => next() < probability,
    int: (min: number, max: number): number =>
      min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T =>
      items[Math.floor(next() * items.length)]!,
    /** Picks a value with probability proportional to its weight. */
    weighted: <T>(choices: readonly (readonly [T, number])[]): T => {
      let ticket = next() * choices.reduce((sum, [, w]) => sum + w, 0);
      for (const [value, weight] of choices)
        if ((ticket -= weight) < 0) return value;
      return choices[choices.length - 1]![0];
    },
  };
}
export type Random = ReturnType<typeof createRandom>;
