// Seeded randomness used wherever a result must be reproducible from a seed (splits, samples,
// bootstrap intervals, generated fixture models and test images): Math.random cannot be seeded.
// No Node imports: the renderer uses it too.

/** mulberry32: a small, fast 32-bit PRNG returning floats in [0, 1); integer arithmetic only, so
 * the same seed gives the same sequence on every platform and Node version. */
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
