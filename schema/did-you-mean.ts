/**
 * "Did you mean …?": the nearest of some names to a mistyped one, for type
 * names in schema diagnostics and commands and options on the command line.
 */

/** Edits turning `a` into `b`: insert, delete, replace, or swap two neighbours (`Tood` → `Todo` is one). */
export function editDistance(a: string, b: string): number {
  // Three rows of the optimal-string-alignment table are all it needs.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate `word` was most likely meant to be: one differing only in
 * case, else the only one that `word` begins (`gen` → `generate`), else the
 * nearest within a third of the word's length in edits (one at least, none
 * for words of one or two letters). Undefined when nothing is that close or
 * two candidates are equally close: a wrong guess misleads more than none.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const all = [...new Set(candidates)].filter((c) => c !== word);
  const prefixed = lower.length >= 2 ? all.filter((c) => c.toLowerCase().startsWith(lower)) : [];
  const budget = lower.length <= 2 ? 0 : Math.max(1, Math.floor(lower.length / 3));
  let best: string[] = [];
  let bestDistance = Infinity;
  for (const c of all) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [[c], d];
    else if (d === bestDistance) best.push(c);
  }
  if (bestDistance === 0 && best.length === 1) return best[0];
  if (prefixed.length === 1) return prefixed[0];
  return bestDistance <= budget && best.length === 1 ? best[0] : undefined;
}
