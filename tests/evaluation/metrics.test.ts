// Metrics against values computed by hand (scikit-learn's definitions, written out step by step
// in the comments; scikit-learn itself is not installed on the test machine).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapIntervals, percentile } from '../../src/main/evaluation/bootstrap';
import {
  averagePrecision,
  confusionAt,
  downsampleCurve,
  MetricsError,
  prCurve,
  rocAuc,
  rocCurve,
  thresholdForFpr,
  thresholdMetrics,
} from '../../src/shared/metrics';
import { metricsSummary } from '../../src/main/evaluation/modelEvaluation';
import { seededRandom } from '../../src/main/evaluation/random';

const close = (actual: number | null, expected: number, message?: string) => {
  assert.ok(actual !== null, message ?? `expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) < 1e-12, `${message ?? ''} expected ${expected}, got ${actual}`);
};

// Eight images, 4 fake (1) and 4 real (0), with two ties: 0.7 (two fakes) and 0.4 (fake + real).
const LABELS = [1, 0, 1, 1, 0, 0, 1, 0];
const SCORES = [0.9, 0.8, 0.7, 0.7, 0.6, 0.4, 0.4, 0.1];
// Distinct thresholds, highest first, cumulative TP/FP, precision P = TP/(TP+FP), recall R = TP/4:
//   0.9: TP 1 FP 0  P 1    R 0.25
//   0.8: TP 1 FP 1  P 1/2  R 0.25
//   0.7: TP 3 FP 1  P 3/4  R 0.75   (both tied fakes enter together)
//   0.6: TP 3 FP 2  P 3/5  R 0.75
//   0.4: TP 4 FP 3  P 4/7  R 1      (the tied fake and real enter together)
//   0.1: TP 4 FP 4  P 1/2  R 1
// AP = Σ (R_n − R_{n−1}) P_n = 0.25·1 + 0·½ + 0.5·¾ + 0·⅗ + 0.25·4/7 + 0·½ = 0.625 + 1/7
const AP = 0.625 + 1 / 7;
// ROC (FPR = FP/4, TPR = R) from (0,0): (0,.25) (.25,.25) (.25,.75) (.5,.75) (.75,1) (1,1).
// Trapezoids: 0 + .25·.25 + 0 + .25·.75 + .25·(.75+1)/2 + .25·1 = .0625+.1875+.21875+.25 = 0.71875.
// Cross-check by Mann–Whitney: fake .9 beats 4 reals, each fake .7 beats 3, fake .4 beats .1 and
// ties .4 (½): (4 + 3 + 3 + 1.5) / 16 = 0.71875.
const AUC = 0.71875;

describe('threshold metrics', () => {
  it('counts the confusion matrix with score ≥ threshold as fake', () => {
    // At 0.5: predicted fake = .9 .8 .7 .7 .6 → TP 3 (.9 .7 .7), FP 2 (.8 .6); real predicted: .4 .4 .1 → FN 1, TN 2.
    assert.deepEqual(confusionAt(LABELS, SCORES, 0.5), { threshold: 0.5, tp: 3, fp: 2, tn: 2, fn: 1 });
    // A score equal to the threshold counts as fake.
    assert.deepEqual(confusionAt([0, 1], [0.6, 0.6], 0.6), { threshold: 0.6, tp: 1, fp: 1, tn: 0, fn: 0 });
  });

  it('derives accuracy, real/fake accuracy, precision, recall and F1', () => {
    const m = thresholdMetrics(LABELS, SCORES, 0.5);
    assert.equal(m.n, 8);
    assert.equal(m.real, 4);
    assert.equal(m.fake, 4);
    close(m.accuracy, 5 / 8); // (TP 3 + TN 2) / 8
    close(m.realAccuracy, 2 / 4); // TN / real
    close(m.fakeAccuracy, 3 / 4); // TP / fake
    close(m.precision, 3 / 5); // TP / (TP + FP)
    close(m.recall, 3 / 4);
    close(m.f1, 2 / 3); // 2·0.6·0.75 / (0.6 + 0.75) = 0.9 / 1.35
  });

  it('gives null, not NaN, for precision when nothing is predicted fake, and F1 0 when P and R are 0', () => {
    const none = thresholdMetrics([0, 1], [0.1, 0.2], 0.5);
    assert.equal(none.precision, null);
    assert.equal(none.f1, null);
    assert.equal(none.recall, 0);
    const wrong = thresholdMetrics([0, 1], [0.9, 0.1], 0.5); // TP 0, FP 1, FN 1
    assert.equal(wrong.precision, 0);
    assert.equal(wrong.f1, 0);
    assert.equal(wrong.accuracy, 0);
  });
});

describe('average precision (scikit-learn average_precision_score)', () => {
  it('sums (R_n − R_{n−1})·P_n over distinct thresholds, ties entering together', () => {
    close(averagePrecision(LABELS, SCORES), AP);
  });

  it('takes a tie between a fake and a real as one threshold (neither order is favoured)', () => {
    // One threshold 0.5: TP 1 FP 1 → P ½, R 1 → AP ½ (fake-first order would give 1, real-first ½).
    close(averagePrecision([1, 0], [0.5, 0.5]), 0.5);
    // labels [0,1,0,1], scores [.2,.2,.6,.9]: .9 → P 1 R ½; .6 → P ½ R ½; .2 → TP 2 FP 2, P ½ R 1.
    // AP = ½·1 + 0·½ + ½·½ = 0.75
    close(averagePrecision([0, 1, 0, 1], [0.2, 0.2, 0.6, 0.9]), 0.75);
  });

  it('does not depend on the order the images are listed in', () => {
    const order = [7, 2, 5, 0, 3, 6, 1, 4];
    close(averagePrecision(order.map((i) => LABELS[i]), order.map((i) => SCORES[i])), AP);
  });

  it('is 1 for a perfect ranking and all-equal scores give the fake share', () => {
    close(averagePrecision([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), 1);
    close(averagePrecision([1, 0, 1, 0, 0], [0.3, 0.3, 0.3, 0.3, 0.3]), 2 / 5);
  });
});

describe('ROC curve and AUC (roc_curve with drop_intermediate=False, trapezoid)', () => {
  it('lists every distinct threshold from (0, 0)', () => {
    assert.deepEqual(rocCurve(LABELS, SCORES), [
      { fpr: 0, tpr: 0, threshold: null },
      { fpr: 0, tpr: 0.25, threshold: 0.9 },
      { fpr: 0.25, tpr: 0.25, threshold: 0.8 },
      { fpr: 0.25, tpr: 0.75, threshold: 0.7 },
      { fpr: 0.5, tpr: 0.75, threshold: 0.6 },
      { fpr: 0.75, tpr: 1, threshold: 0.4 },
      { fpr: 1, tpr: 1, threshold: 0.1 },
    ]);
  });

  it('integrates by trapezoids, so a tie between classes counts half', () => {
    close(rocAuc(LABELS, SCORES), AUC);
    // labels [0,1,0,1], scores [.2,.2,.6,.9]: fake .9 beats both reals (2), fake .2 ties real .2 (½) → 2.5/4.
    close(rocAuc([0, 1, 0, 1], [0.2, 0.2, 0.6, 0.9]), 0.625);
    close(rocAuc([1, 0], [0.5, 0.5]), 0.5);
  });

  it('gives the PR points highest threshold first, from (recall 0, precision 1)', () => {
    const pr = prCurve(LABELS, SCORES)!;
    assert.deepEqual(pr.map((p) => p.threshold), [null, 0.9, 0.8, 0.7, 0.6, 0.4, 0.1]);
    assert.deepEqual(pr.map((p) => p.recall), [0, 0.25, 0.25, 0.75, 0.75, 1, 1]);
    const precision = [1, 1, 1 / 2, 3 / 4, 3 / 5, 4 / 7, 1 / 2];
    pr.forEach((p, i) => close(p.precision, precision[i]));
  });
});

describe('threshold for a target false-positive rate', () => {
  it('is the lowest threshold whose FPR stays within the target', () => {
    // FPR ≤ .25 holds at .9 (0), .8 (.25) and .7 (.25): .7 catches the most fakes (TPR .75).
    assert.deepEqual(thresholdForFpr(LABELS, SCORES, 0.25), { targetFpr: 0.25, threshold: 0.7, fpr: 0.25, tpr: 0.75 });
    // FPR ≤ .1 only at .9.
    assert.deepEqual(thresholdForFpr(LABELS, SCORES, 0.1), { targetFpr: 0.1, threshold: 0.9, fpr: 0, tpr: 0.25 });
    assert.deepEqual(thresholdForFpr(LABELS, SCORES, 1), { targetFpr: 1, threshold: 0.1, fpr: 1, tpr: 1 });
  });

  it('is null (flag nothing) when the highest score is a real image and the target is 0', () => {
    assert.deepEqual(thresholdForFpr([0, 1], [0.9, 0.1], 0), { targetFpr: 0, threshold: null, fpr: 0, tpr: 0 });
  });
});

describe('edge cases', () => {
  it('one class only: AP and AUC are null with a clear note, never NaN', () => {
    for (const labels of [[1, 1, 1], [0, 0, 0]]) {
      const scores = [0.2, 0.5, 0.9];
      assert.equal(averagePrecision(labels, scores), null);
      assert.equal(rocAuc(labels, scores), null);
      assert.equal(rocCurve(labels, scores), null);
      assert.equal(thresholdForFpr(labels, scores, 0.05), null);
      const s = metricsSummary(labels as (0 | 1)[], scores, { threshold: 0.5, targetFpr: 0.05, bootstrap: { replicates: 50, seed: 3 } });
      assert.equal(s.ap, null);
      assert.equal(s.auc, null);
      assert.equal(s.ci?.ap, null);
      assert.ok(s.ci?.accuracy, 'accuracy still has an interval');
      close(s.accuracy, labels[0] === 1 ? 2 / 3 : 1 / 3);
      const only = labels[0] === 1 ? 'fake' : 'real';
      assert.ok(s.notes.some((n) => /AP and ROC-AUC are undefined/.test(n) && n.includes(`are ${only}`)), s.notes.join(' | '));
      assert.ok(!JSON.stringify(s).includes('NaN'));
      assert.ok(!Object.values(s).some((v) => typeof v === 'number' && !Number.isFinite(v)));
    }
  });

  it('an empty set, mismatched lengths, bad labels and non-finite scores are errors', () => {
    assert.throws(() => averagePrecision([], []), (e: unknown) => e instanceof MetricsError && /no scored images/.test(e.message));
    assert.throws(() => thresholdMetrics([], [], 0.5), MetricsError);
    assert.throws(() => rocAuc([1, 0], [0.5]), /2 labels but 1 scores/);
    assert.throws(() => rocAuc([1, 2], [0.5, 0.4]), /expected 0 \(real\) or 1 \(fake\)/);
    assert.throws(() => rocAuc([1, 0], [Number.NaN, 0.4]), /finite/);
  });
});

describe('curve downsampling', () => {
  it('keeps at most the asked points, the first and the last, in order', () => {
    const rnd = seededRandom(5);
    const labels = Array.from({ length: 3000 }, () => (rnd() < 0.5 ? 1 : 0));
    const scores = labels.map((l) => rnd() * 0.7 + l * 0.3);
    const roc = rocCurve(labels, scores)!;
    assert.ok(roc.length > 1000);
    const small = downsampleCurve(roc, 200, (p) => [p.fpr, p.tpr]);
    assert.ok(small.length <= 200 && small.length >= 100, `${small.length} points`);
    assert.deepEqual(small[0], roc[0]);
    assert.deepEqual(small[small.length - 1], roc[roc.length - 1]);
    for (let i = 1; i < small.length; i++) assert.ok(small[i].fpr >= small[i - 1].fpr && small[i].tpr >= small[i - 1].tpr);
  });

  it('drops points collinear with their neighbours first', () => {
    const line = Array.from({ length: 500 }, (_, i) => ({ x: i / 499, y: i / 499 }));
    assert.deepEqual(downsampleCurve(line, 10, (p) => [p.x, p.y]), [line[0], line[499]]);
  });
});

describe('bootstrap confidence intervals', () => {
  it('uses numpy.percentile\'s linear interpolation', () => {
    // h = (n − 1)·q/100: 3·0.025 = 0.075 → 1 + 0.075·(2 − 1); 3·0.975 = 2.925 → 3 + 0.925·(4 − 3).
    close(percentile([1, 2, 3, 4], 2.5), 1.075);
    close(percentile([1, 2, 3, 4], 97.5), 3.925);
    close(percentile([5], 50), 5);
  });

  it('matches resampling the images and recomputing each metric directly', () => {
    const rnd = seededRandom(11);
    const labels = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    // Scores on a coarse grid so resamples are full of ties.
    const scores = labels.map((l) => Math.round((rnd() * 0.6 + l * 0.3) * 10) / 10);
    const replicates = 300;
    const seed = 42;
    const ci = bootstrapIntervals(labels, scores, 0.5, { replicates, seed });

    // The same draws as the implementation: n indices per replicate from the seeded generator.
    const draw = seededRandom(seed);
    const accs: number[] = [];
    const aps: number[] = [];
    for (let r = 0; r < replicates; r++) {
      const idx = Array.from({ length: labels.length }, () => Math.floor(draw() * labels.length));
      const l = idx.map((i) => labels[i]);
      const s = idx.map((i) => scores[i]);
      accs.push(thresholdMetrics(l, s, 0.5).accuracy);
      const ap = averagePrecision(l, s);
      if (ap !== null) aps.push(ap);
    }
    accs.sort((a, b) => a - b);
    aps.sort((a, b) => a - b);
    close(ci.accuracy!.low, percentile(accs, 2.5));
    close(ci.accuracy!.high, percentile(accs, 97.5));
    assert.equal(ci.ap!.replicates, aps.length);
    assert.ok(Math.abs(ci.ap!.low - percentile(aps, 2.5)) < 1e-9);
    assert.ok(Math.abs(ci.ap!.high - percentile(aps, 97.5)) < 1e-9);
  });

  it('is reproducible with a seed, brackets the estimate, and counts replicates without both classes', () => {
    const rnd = seededRandom(2);
    const labels = Array.from({ length: 200 }, (_, i) => (i < 100 ? 1 : 0));
    const scores = labels.map((l) => rnd() * 0.8 + l * 0.2);
    const a = bootstrapIntervals(labels, scores, 0.5, { replicates: 400, seed: 9 });
    assert.deepEqual(a, bootstrapIntervals(labels, scores, 0.5, { replicates: 400, seed: 9 }));
    assert.notDeepEqual(a, bootstrapIntervals(labels, scores, 0.5, { replicates: 400, seed: 10 }));
    const ap = averagePrecision(labels, scores)!;
    const acc = thresholdMetrics(labels, scores, 0.5).accuracy;
    assert.ok(a.ap!.low < ap && ap < a.ap!.high, `${a.ap!.low} < ${ap} < ${a.ap!.high}`);
    assert.ok(a.accuracy!.low < acc && acc < a.accuracy!.high);
    assert.equal(a.ap!.replicates, 400);

    const perfect = bootstrapIntervals([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 0.5, { replicates: 100, seed: 1 });
    assert.equal(perfect.accuracy!.low, 1);
    assert.equal(perfect.ap!.low, 1);
    assert.equal(perfect.ap!.high, 1);

    // One fake among ten: (9/10)^10 ≈ 35% of resamples draw no fake and have no AP.
    const rare = bootstrapIntervals([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.05], 0.5, { replicates: 500, seed: 4 });
    assert.ok(rare.ap!.replicates < 400 && rare.ap!.replicates > 250, `${rare.ap!.replicates} replicates with AP`);
    assert.equal(rare.ap!.requested, 500);
  });
});
