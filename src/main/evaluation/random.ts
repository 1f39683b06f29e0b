// No Node imports: the renderer imports this module to recompute results live.
// Seeded randomness for splits, samples and bootstrap: the same seed gives the same numbers on
// every platform and Node version (Math.random cannot be seeded), so a split or a confidence
// interval quoted in a report can be reproduced exactly.

export { seededRandom } from '../random';
import { seededRandom } from '../random';

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(values: readonly T[], random: () => number): T[] {
  const out = values.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** At most `limit` of `values`, chosen at random with `seed`, kept in their original order. */
export function seededSample<T>(values: readonly T[], limit: number, seed: number): T[] {
  if (limit >= values.length) return values.slice();
  const picked = shuffled(values.map((_, i) => i), seededRandom(seed)).slice(0, limit).sort((a, b) => a - b);
  return picked.map((i) => values[i]);
}
