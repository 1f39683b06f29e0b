// The "format-only" leakage baseline: how well the file's container alone — format, size in
// bytes, pixel count, bits per pixel, estimated JPEG quality — separates the classes of an
// evaluation set. A logistic regression on those features is scored by grouped k-fold
// cross-validation on the set itself (out-of-fold scores, groups never split), so the number
// says how much a detector could learn from the files without looking at any pixel. Near chance
// (AP ≈ share of fakes, AUC ≈ 0.5) means the set does not leak through its container; well above
// it means detector scores on this set must be read next to this number.
//
// Cross-validation on data without signal gives AUCs somewhat below 0.5 (held-out items pull the
// training folds' class means away from themselves), so "chance" is measured, not assumed: the
// same procedure on label permutations gives the null distribution the AUC is compared with.
import { createHash } from 'node:crypto';
import type { FormatOnlyBaseline, ItemFileFacts, Label } from '../../contract/evaluation';
import { seededRandom } from '../random';
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

/** Out-of-fold scores of the classifier, folds by group. */
function outOfFold(x: number[][], labels: readonly Label[], foldOf: (i: number) => number, k: number, notes?: string[]): number[] {
  const scores = new Array<number>(labels.length).fill(0.5);
  for (let f = 0; f < k; f++) {
    const train = labels.map((_, i) => i).filter((i) => foldOf(i) !== f);
    const y = train.map((i) => labels[i] === 1);
    if (!y.includes(true) || !y.includes(false)) {
      notes?.push(`fold ${f + 1} of ${k} has one class only in its training part; its images keep score 0.5`);
      continue;
    }
    const fit = fitLogistic(train.map((i) => x[i]), y, { l2: 1e-2 });
    labels.forEach((_, i) => {
      if (foldOf(i) !== f) return;
      let z = fit.bias;
      for (let j = 0; j < x[i].length; j++) z += fit.weight[j] * x[i][j];
      scores[i] = sigmoid(z);
    });
  }
  return scores;
}

/** The format-only classifier scored by grouped k-fold cross-validation, with its permutation null. */
export function formatBaseline(items: readonly { label: Label; group: string; facts: FileFacts }[], folds = 5, seed = 1, permutations = 49): FormatOnlyBaseline {
  const notes: string[] = [];
  const groups = [...new Set(items.map((i) => i.group))].sort((a, b) => {
    const ha = createHash('sha256').update(`${seed}:${a}`).digest('hex');
    const hb = createHash('sha256').update(`${seed}:${b}`).digest('hex');
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  });
  const k = Math.max(2, Math.min(folds, groups.length));
  const foldOfGroup = new Map(groups.map((g, i) => [g, i % k]));
  const foldOf = (i: number) => foldOfGroup.get(items[i].group)!;
  const x = items.map((i) => formatFeatures(i.facts));
  const labels = items.map((i) => i.label);
  const scores = outOfFold(x, labels, foldOf, k, notes);

  // Null distribution: the same procedure (same grouped folds) with the labels shuffled across
  // images. Groups can hold both classes (a video's real and fake frames), so labels move one
  // by one, not group by group.
  const rand = seededRandom(seed);
  const nullAucs: number[] = [];
  for (let p = 0; p < permutations; p++) {
    const permuted = [...labels];
    for (let i = permuted.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [permuted[i], permuted[j]] = [permuted[j], permuted[i]];
    }
    const auc = rocAuc(permuted, outOfFold(x, permuted, foldOf, k));
    if (auc !== null) nullAucs.push(auc);
  }
  nullAucs.sort((a, b) => a - b);
  const q = (t: number) => nullAucs[Math.min(nullAucs.length - 1, Math.max(0, Math.round(t * (nullAucs.length - 1))))];

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
    nullAuc: nullAucs.length ? { permutations: nullAucs.length, mean: nullAucs.reduce((a, b) => a + b, 0) / nullAucs.length, low: q(0.025), high: q(0.975) } : null,
    formats: Object.fromEntries(
      (['real', 'fake'] as const).map((name, label) => {
        const counts: Record<string, number> = {};
        for (const i of items) if (i.label === label) counts[i.facts.format] = (counts[i.facts.format] ?? 0) + 1;
        return [name, counts];
      }),
    ) as FormatOnlyBaseline['formats'],
    notes,
  };
}
