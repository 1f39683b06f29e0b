// The "format-only" leakage baseline: how well the file's container alone — format, size in
// bytes, pixel count, bits per pixel, estimated JPEG quality — separates the classes of an
// evaluation set. A logistic regression on those features is scored by grouped k-fold
// cross-validation on the set itself (out-of-fold scores, groups never split), so the number
// says how much a detector could learn from the files without looking at any pixel. Near chance
// (AP ≈ share of fakes, AUC ≈ 0.5) means the set does not leak through its container; well above
// it means detector scores on this set must be read next to this number.
import { createHash } from 'node:crypto';
import type { FormatBaseline, ItemFileFacts, Label } from '../../contract/evaluation';
import { fitLogistic } from '../training/logistic';
import { averagePrecision, rocAuc, thresholdMetrics } from '../../shared/metrics';

export const FORMAT_FEATURES = ['jpeg', 'png', 'tiff', 'other format', 'log bytes', 'log pixels', 'bits per pixel', 'JPEG quality'] as const;

/** What the baseline sees of a file (the facts every scored item records). */
export type FileFacts = ItemFileFacts;

export function formatFeatures(f: FileFacts): number[] {
  const pixels = Math.max(1, f.width * f.height);
  return [
    f.format === 'jpeg' ? 1 : 0,
    f.format === 'png' ? 1 : 0,
    f.format === 'tiff' ? 1 : 0,
    f.format === 'jpeg' || f.format === 'png' || f.format === 'tiff' ? 0 : 1,
    Math.log(Math.max(1, f.bytes)),
    Math.log(pixels),
    (8 * f.bytes) / pixels,
    f.jpegQuality ? f.jpegQuality / 100 : 0,
  ];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Out-of-fold scores of the format-only classifier, folds by group (seeded). */
export function formatBaseline(items: readonly { label: Label; group: string; facts: FileFacts }[], folds = 5, seed = 1): FormatBaseline {
  const notes: string[] = [];
  const groups = [...new Set(items.map((i) => i.group))].sort((a, b) => {
    const ha = createHash('sha256').update(`${seed}:${a}`).digest('hex');
    const hb = createHash('sha256').update(`${seed}:${b}`).digest('hex');
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  });
  const k = Math.max(2, Math.min(folds, groups.length));
  const foldOf = new Map(groups.map((g, i) => [g, i % k]));
  const x = items.map((i) => formatFeatures(i.facts));
  const scores = new Array<number>(items.length).fill(0.5);
  for (let f = 0; f < k; f++) {
    const train = items.map((_, i) => i).filter((i) => foldOf.get(items[i].group) !== f);
    const labels = train.map((i) => items[i].label === 1);
    if (!labels.includes(true) || !labels.includes(false)) {
      notes.push(`fold ${f + 1} of ${k} has one class only in its training part; its images keep score 0.5`);
      continue;
    }
    const fit = fitLogistic(train.map((i) => x[i]), labels, { l2: 1e-2 });
    items.forEach((item, i) => {
      if (foldOf.get(item.group) !== f) return;
      let z = fit.bias;
      for (let j = 0; j < x[i].length; j++) z += fit.weight[j] * x[i][j];
      scores[i] = sigmoid(z);
    });
  }
  const labels = items.map((i) => i.label);
  const fake = labels.filter((l) => l === 1).length;
  return {
    features: [...FORMAT_FEATURES],
    folds: k,
    seed,
    n: items.length,
    ap: averagePrecision(labels, scores),
    auc: rocAuc(labels, scores),
    accuracy: items.length ? thresholdMetrics(labels, scores, 0.5).accuracy : null,
    chanceAp: items.length ? fake / items.length : null,
    formats: Object.fromEntries(
      (['real', 'fake'] as const).map((name, label) => {
        const counts: Record<string, number> = {};
        for (const i of items) if (i.label === label) counts[i.facts.format] = (counts[i.facts.format] ?? 0) + 1;
        return [name, counts];
      }),
    ) as FormatBaseline['formats'],
    notes,
  };
}
