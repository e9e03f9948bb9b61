/** "Did you mean" for misspelled property names. */

/** Edit distance where insert, delete, substitute and swapping two adjacent characters cost 1. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

const MAX_DISTANCE = 3;

/**
 * The known key an unknown one most likely meant, or undefined.
 * 1. The closest key within edit distance 3 (ties: the first in `known` order).
 * 2. Otherwise a key with the same dotted segments except one, where that segment is close
 *    (distance at most half its length): `alluxio.master.jornal.folderr` -> `...journal.folder`
 *    is caught by 1, `alluxio.worker.tieredstore.level0.dirs.quotas.size` is not.
 * 3. Otherwise a key that extends the unknown one by whole segments, or that the unknown one
 *    extends (`alluxio.master.journal` -> `alluxio.master.journal.type`): the shortest such.
 */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = MAX_DISTANCE + 1;
  for (const k of known) {
    const d = editDistance(unknown, k, bestD - 1);
    if (d < bestD) { best = k; bestD = d; if (d === 0) break; }
  }
  if (best !== undefined) return best;

  const segs = unknown.split('.');
  for (const k of known) {
    const ks = k.split('.');
    if (ks.length !== segs.length) continue;
    let differing = -1;
    let ok = true;
    for (let i = 0; i < ks.length; i++) {
      if (ks[i] === segs[i]) continue;
      if (differing >= 0) { ok = false; break; }
      differing = i;
    }
    if (!ok || differing < 0) continue;
    const a = segs[differing]!;
    const b = ks[differing]!;
    if (editDistance(a, b) <= Math.floor(Math.max(a.length, b.length) / 2)) return k;
  }

  let prefixBest: string | undefined;
  for (const k of known) {
    if (k.startsWith(unknown + '.') || unknown.startsWith(k + '.')) {
      if (prefixBest === undefined || k.length < prefixBest.length) prefixBest = k;
    }
  }
  return prefixBest;
}

/** ` (did you mean "<key>"?)` or the empty string. */
export function didYouMean(unknown: string, known: readonly string[]): string {
  const k = closestKey(unknown, known);
  return k === undefined ? '' : ` (did you mean "${k}"?)`;
}
