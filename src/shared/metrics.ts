// Detection metrics exactly as the published evaluations compute them. Label 1 is fake, label 0
// real; a score is "probability fake"; an image is predicted fake when score ≥ threshold (the
// same rule as ModelScore.flagged and scikit-learn's curves). Pure functions without Node
// imports (src/shared: code the engine and the renderer share), so the renderer reuses them to
// move the threshold live.
//
// Ranking metrics follow scikit-learn:
//   - the curve's thresholds are the distinct scores, highest first; tied scores enter together;
//   - average precision = Σ_n (R_n − R_{n−1}) · P_n over those thresholds, R_0 = 0
//     (average_precision_score: a step function, no interpolation);
//   - ROC-AUC = trapezoid area under (FPR, TPR) over every threshold, starting at (0, 0)
//     (roc_curve with drop_intermediate=False, then auc), so a tie between a real and a fake
//     image counts half, as in the Mann–Whitney statistic.
// With one class only, AP and AUC are undefined: they come back null with a note, never NaN.

import type { ConfusionMatrix, FprThreshold, PrPoint, RocPoint, ThresholdMetrics } from '../contract/evaluation';

export type Labels = ArrayLike<number>;
export type Scores = ArrayLike<number>;

/** Inputs metrics cannot be computed from (empty, mismatched, non-finite, labels not 0/1). */
export class MetricsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsError';
  }
}

export function checkInputs(labels: Labels, scores: Scores): void {
  if (labels.length !== scores.length) {
    throw new MetricsError(`${labels.length} labels but ${scores.length} scores: every image needs one of each`);
  }
  if (labels.length === 0) throw new MetricsError('no scored images: metrics need at least one');
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new MetricsError(`label ${i} is ${labels[i]}, expected 0 (real) or 1 (fake)`);
    if (!Number.isFinite(scores[i])) throw new MetricsError(`score ${i} is ${scores[i]}, expected a finite number`);
  }
}

export function countClasses(labels: Labels): { real: number; fake: number } {
  let fake = 0;
  for (let i = 0; i < labels.length; i++) fake += labels[i];
  return { real: labels.length - fake, fake };
}

/** The sentence that explains a null AP/AUC, or null when both classes are present. */
export function oneClassNote(real: number, fake: number): string | null {
  if (real > 0 && fake > 0) return null;
  const only = real === 0 ? 'fake' : 'real';
  const missing = real === 0 ? 'real' : 'fake';
  return `AP and ROC-AUC are undefined: all ${real + fake} scored images are ${only} (no ${missing} image to rank against)`;
}

export function confusionAt(labels: Labels, scores: Scores, threshold: number): ConfusionMatrix {
  checkInputs(labels, scores);
  const c: ConfusionMatrix = { threshold, tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const predictedFake = scores[i] >= threshold;
    if (labels[i] === 1) predictedFake ? c.tp++ : c.fn++;
    else predictedFake ? c.fp++ : c.tn++;
  }
  return c;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

export function thresholdMetrics(labels: Labels, scores: Scores, threshold: number): ThresholdMetrics {
  const confusion = confusionAt(labels, scores, threshold);
  const { tp, fp, tn, fn } = confusion;
  const n = tp + fp + tn + fn;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    n,
    real: tn + fp,
    fake: tp + fn,
    accuracy: (tp + tn) / n,
    realAccuracy: ratio(tn, tn + fp),
    fakeAccuracy: recall,
    precision,
    recall,
    f1,
    confusion,
  };
}

/** Sentences for each null in threshold metrics, so the UI never shows a bare blank. */
export function thresholdNotes(m: ThresholdMetrics): string[] {
  const notes: string[] = [];
  if (m.real === 0) notes.push('real accuracy is undefined: no real images');
  if (m.fake === 0) notes.push('fake accuracy, recall and F1 are undefined: no fake images');
  if (m.precision === null) notes.push(`precision and F1 are undefined: no image scored at or above the threshold ${m.confusion.threshold}`);
  return notes;
}

/** Cumulative true/false positives at each distinct score, highest score first. */
export interface RankCurve {
  thresholds: number[];
  tps: number[];
  fps: number[];
  positives: number;
  negatives: number;
}

/** Indices of `scores` from highest to lowest (ties in index order). */
export function descendingOrder(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

export function rankCurve(labels: Labels, scores: Scores): RankCurve {
  checkInputs(labels, scores);
  const order = descendingOrder(scores);
  const curve: RankCurve = { thresholds: [], tps: [], fps: [], positives: 0, negatives: 0 };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (labels[i] === 1) tp++;
    else fp++;
    // Close a threshold only after the last of the images tied at this score.
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[i]) {
      curve.thresholds.push(scores[i]);
      curve.tps.push(tp);
      curve.fps.push(fp);
    }
  }
  curve.positives = tp;
  curve.negatives = fp;
  return curve;
}

/** scikit-learn's average_precision_score; null with one class only (see oneClassNote). */
export function averagePrecision(labels: Labels, scores: Scores): number | null {
  return averagePrecisionOf(rankCurve(labels, scores));
}

export function averagePrecisionOf(curve: RankCurve): number | null {
  if (curve.positives === 0 || curve.negatives === 0) return null;
  let ap = 0;
  let previousRecall = 0;
  for (let k = 0; k < curve.thresholds.length; k++) {
    const recall = curve.tps[k] / curve.positives;
    const precision = curve.tps[k] / (curve.tps[k] + curve.fps[k]);
    ap += (recall - previousRecall) * precision;
    previousRecall = recall;
  }
  return ap;
}

/** Every ROC point from (0, 0) to (1, 1); null with one class only. */
export function rocCurve(labels: Labels, scores: Scores): RocPoint[] | null {
  return rocCurveOf(rankCurve(labels, scores));
}

export function rocCurveOf(curve: RankCurve): RocPoint[] | null {
  if (curve.positives === 0 || curve.negatives === 0) return null;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: null }];
  for (let k = 0; k < curve.thresholds.length; k++) {
    points.push({ fpr: curve.fps[k] / curve.negatives, tpr: curve.tps[k] / curve.positives, threshold: curve.thresholds[k] });
  }
  return points;
}

/** Trapezoid area under a curve given in increasing x. */
export function trapezoid(points: readonly { x: number; y: number }[]): number {
  let area = 0;
  for (let k = 1; k < points.length; k++) area += ((points[k].x - points[k - 1].x) * (points[k].y + points[k - 1].y)) / 2;
  return area;
}

export function rocAuc(labels: Labels, scores: Scores): number | null {
  return rocAucOf(rocCurve(labels, scores));
}

export function rocAucOf(roc: RocPoint[] | null): number | null {
  return roc ? trapezoid(roc.map((p) => ({ x: p.fpr, y: p.tpr }))) : null;
}

/**
 * Precision–recall points, highest threshold first, starting at (recall 0, precision 1) as
 * scikit-learn's curve ends; every distinct threshold is kept. Null with one class only.
 */
export function prCurve(labels: Labels, scores: Scores): PrPoint[] | null {
  return prCurveOf(rankCurve(labels, scores));
}

export function prCurveOf(curve: RankCurve): PrPoint[] | null {
  if (curve.positives === 0 || curve.negatives === 0) return null;
  const points: PrPoint[] = [{ recall: 0, precision: 1, threshold: null }];
  for (let k = 0; k < curve.thresholds.length; k++) {
    points.push({
      recall: curve.tps[k] / curve.positives,
      precision: curve.tps[k] / (curve.tps[k] + curve.fps[k]),
      threshold: curve.thresholds[k],
    });
  }
  return points;
}

/**
 * The threshold that catches the most fakes while flagging at most `targetFpr` of the real
 * images: the lowest distinct score whose FPR is still ≤ target. When even the highest score
 * belongs to a real image and the target is below 1/real, only flagging nothing reaches the
 * target: threshold null at (0, 0). Null without real images (FPR undefined) or without fakes.
 */
export function thresholdForFpr(labels: Labels, scores: Scores, targetFpr: number): FprThreshold | null {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new MetricsError(`target false-positive rate must be in 0..1, got ${targetFpr}`);
  const roc = rocCurve(labels, scores);
  if (!roc) return null;
  let best = roc[0];
  for (const p of roc) if (p.fpr <= targetFpr) best = p;
  return { targetFpr, threshold: best.threshold, fpr: best.fpr, tpr: best.tpr };
}

/**
 * At most `max` points of a curve for plotting. Points collinear with their neighbours are
 * dropped first (they change nothing on screen, as scikit-learn's drop_intermediate), then
 * evenly spaced points are kept, always with the first and the last.
 */
export function downsampleCurve<T>(points: readonly T[], max: number, xy: (p: T) => [number, number]): T[] {
  if (max < 2) throw new RangeError(`a curve needs at least 2 points, got max ${max}`);
  if (points.length <= max) return points.slice();
  const kept: T[] = [points[0]];
  for (let k = 1; k < points.length - 1; k++) {
    const [x0, y0] = xy(kept[kept.length - 1]);
    const [x1, y1] = xy(points[k]);
    const [x2, y2] = xy(points[k + 1]);
    const cross = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    if (Math.abs(cross) > 1e-12) kept.push(points[k]);
  }
  kept.push(points[points.length - 1]);
  if (kept.length <= max) return kept;
  return Array.from({ length: max }, (_, i) => kept[Math.round((i * (kept.length - 1)) / (max - 1))]);
}
