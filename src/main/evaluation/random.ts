// Seeded randomness for splits, samples and bootstrap: the same seed gives the same numbers on
// every platform and Node version (Math.random cannot be seeded), so a split or a confidence
// interval quoted in a report can be reproduced exactly.

/** mulberry32: a small, fast 32-bit PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
