// Held-out metrics of binary "fake" scores: accuracy at a threshold, average precision and
// cross-entropy. The same definitions as the trainer's (provenance_train/metrics.py), so the
// numbers the trainer reports and the ones the app measures can be compared.

/** Share of items whose (score >= threshold) matches (label is fake); null for no items. */
export function accuracy(scores: number[], fake: boolean[], threshold: number): number | null {
  if (scores.length === 0) return null;
  let right = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold === fake[i]) right += 1;
  return right / scores.length;
}

/**
 * Area under the precision–recall curve as scikit-learn computes it: over distinct thresholds
 * from the highest score down, Σ (recall step) × precision. Null when there are no fakes.
 */
export function averagePrecision(scores: number[], fake: boolean[]): number | null {
  const positives = fake.filter(Boolean).length;
  if (positives === 0) return null;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let ap = 0;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    // Tied scores form one threshold.
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      if (fake[order[j]]) tp += 1;
      else fp += 1;
      j += 1;
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    i = j;
  }
  return ap;
}

/** Mean binary cross-entropy of probabilities (clamped away from 0 and 1). */
export function crossEntropy(scores: number[], fake: boolean[]): number | null {
  if (scores.length === 0) return null;
  const eps = 1e-7;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, scores[i]));
    sum -= fake[i] ? Math.log(p) : Math.log(1 - p);
  }
  return sum / scores.length;
}
