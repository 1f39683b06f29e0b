// End to end: a labelled CNNDetection-style set of real JPEGs (two generators, noisier fakes),
// the fixture ONNX models on the CPU, and every number of the result checked against the
// per-image scores it returns.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EvaluationResult, Label } from '../../src/contract/evaluation';
import { loadLabelledSet, type LabelledSet } from '../../src/main/evaluation/dataset';
import { evaluate, robustnessSweep } from '../../src/main/evaluation/evaluate';
import { averagePrecision, rocAuc, thresholdMetrics } from '../../src/shared/metrics';
import { EvaluationCancelledError } from '../../src/main/evaluation/scoring';
import type { Detector } from '../../src/main/inference';
import type { JobProgress } from '../../src/main/jobs/progress';
import { testCatalogue } from '../config';
import { makeCnnDetectionSet, removeDir, tempDir } from './datasets';

const TEXTURE = 'fixture-texture-cnn';
const ELA = 'fixture-ela-cnn';
// Between the real images' scores and the noisiest fakes': both false positives and false
// negatives occur, so the FP/FN lists and every metric are non-trivial.
const THRESHOLD = 0.35;

let root: string;
let set: LabelledSet;
let detectors: Detector[];
let result: EvaluationResult;
const progress: JobProgress[] = [];

before(async () => {
  root = await makeCnnDetectionSet(tempDir('pl-evaluate-'), { generators: ['biggan', 'stylegan'], perClass: 10 });
  fs.writeFileSync(path.join(root, 'stylegan', '1_fake', 'broken.jpg'), 'this is not a JPEG');
  set = await loadLabelledSet(root);
  ({ detectors } = await testCatalogue({ provider: 'cpu' }).openDetectors({ ids: [TEXTURE, ELA] }));
  const thumbs = `${root}-thumbs`;
  fs.mkdirSync(thumbs);
  result = await evaluate(set, detectors, {
    threshold: THRESHOLD,
    targetFpr: 0.1,
    bootstrap: 200,
    seed: 7,
    now: () => new Date('2025-05-01T12:00:00Z'),
    thumbnailDir: thumbs,
    onProgress: (p) => progress.push(p),
  });
});

after(async () => {
  await Promise.all((detectors ?? []).map((d) => d.close()));
  removeDir(root);
  if (result?.thumbnailDir) removeDir(result.thumbnailDir);
});

function scoresOf(modelId: string): { labels: Label[]; scores: number[] } {
  const scored = result.items.filter((i) => i.scores[modelId] !== null);
  return { labels: scored.map((i) => i.label), scores: scored.map((i) => i.scores[modelId]!) };
}

describe('evaluate', () => {
  it('scores every readable image with both models and lists the unreadable one without failing', () => {
    assert.equal(set.items.length, 41);
    assert.equal(result.items.length, 40);
    assert.deepEqual(result.unreadable.map((u) => [path.relative(root, u.path), u.label, u.source, u.code]), [[path.join('stylegan', '1_fake', 'broken.jpg'), 1, 'stylegan', 'NOT_AN_IMAGE']]);
    assert.match(result.unreadable[0].message, /not an image/);
    assert.deepEqual(result.models.map((m) => [m.id, m.provider, m.fixture]), [[TEXTURE, 'cpu', true], [ELA, 'cpu', true]]);
    assert.equal(result.models[0].sha256, detectors[0].model.manifest.sha256);
    for (const item of result.items) {
      assert.match(item.sha256, /^[0-9a-f]{64}$/);
      assert.ok(item.scores[TEXTURE]! > 0 && item.scores[TEXTURE]! < 1);
      assert.ok(item.scores[ELA]! > 0 && item.scores[ELA]! < 1);
    }
    assert.equal(result.createdAt, '2025-05-01T12:00:00.000Z');
    // Gallery thumbnails for the FP/FN views, named by SHA-256, made from the decoded pixels.
    for (const item of result.items) assert.ok(fs.statSync(path.join(result.thumbnailDir!, `${item.sha256}.jpg`)).size > 0);
    assert.deepEqual(result.selection, { split: null, limit: null, seed: 7, items: 41, real: 20, fake: 21 });
    assert.ok(result.notes.some((n) => /1 of 41 images could not be read/.test(n)));
    assert.ok(result.notes.some((n) => n.includes(`${TEXTURE} is a TEST FIXTURE`)));
  });

  it('reports metrics that agree with the per-image scores it returns', () => {
    for (const [i, model] of result.models.entries()) {
      const e = result.perModel[i];
      assert.equal(e.modelId, model.id);
      const { labels, scores } = scoresOf(model.id);
      const m = e.metrics!;
      const expected = thresholdMetrics(labels, scores, THRESHOLD);
      assert.deepEqual(
        { n: m.n, real: m.real, fake: m.fake, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, confusion: m.confusion },
        { n: 40, real: 20, fake: 20, accuracy: expected.accuracy, precision: expected.precision, recall: expected.recall, f1: expected.f1, confusion: expected.confusion },
      );
      // Accuracy recomputed by hand from the scores.
      const right = result.items.filter((it) => (it.scores[model.id]! >= THRESHOLD) === (it.label === 1)).length;
      assert.equal(m.accuracy, right / 40);
      assert.equal(m.ap, averagePrecision(labels, scores));
      assert.equal(m.auc, rocAuc(labels, scores));
      assert.ok(m.ci!.accuracy!.low <= m.accuracy && m.accuracy <= m.ci!.accuracy!.high);
      assert.equal(m.ci!.ap!.requested, 200);
      assert.deepEqual(m.notes, []);
    }
    // The fixture texture model separates the noisier fakes well but not perfectly.
    const texture = result.perModel[0].metrics!;
    assert.ok(texture.ap! > 0.8 && texture.ap! < 1, `AP ${texture.ap}`);
    assert.ok(texture.accuracy > 0.6 && texture.accuracy < 1, `accuracy ${texture.accuracy}`);
    assert.ok(texture.confusion.fp > 0 && texture.confusion.fn > 0, JSON.stringify(texture.confusion));
  });

  it('gives the threshold reaching the target FPR, consistent with the scores', () => {
    const { labels, scores } = scoresOf(TEXTURE);
    const t = result.perModel[0].metrics!.thresholdAtFpr!;
    assert.equal(t.targetFpr, 0.1);
    assert.ok(t.threshold !== null);
    const at = thresholdMetrics(labels, scores, t.threshold);
    assert.equal(at.confusion.fp / 20, t.fpr);
    assert.equal(at.confusion.tp / 20, t.tpr);
    assert.ok(t.fpr <= 0.1);
    // Any lower score as threshold would exceed the target.
    const lower = Math.max(...scores.filter((s) => s < t.threshold!));
    assert.ok(thresholdMetrics(labels, scores, lower).confusion.fp / 20 > 0.1);
  });

  it('builds the per-generator table with a mean row from the same scores', () => {
    const table = result.perModel[0].table!;
    assert.deepEqual(table.rows.map((r) => [r.source, r.n, r.real, r.fake]), [['biggan', 20, 10, 10], ['stylegan', 20, 10, 10]]);
    for (const row of table.rows) {
      const mine = result.items.filter((i) => i.source === row.source);
      const labels = mine.map((i) => i.label);
      const scores = mine.map((i) => i.scores[TEXTURE]!);
      assert.equal(row.accuracy, thresholdMetrics(labels, scores, THRESHOLD).accuracy);
      assert.equal(row.ap, averagePrecision(labels, scores));
    }
    assert.equal(table.mean.accuracy, (table.rows[0].accuracy + table.rows[1].accuracy) / 2);
    assert.equal(table.mean.ap, (table.rows[0].ap! + table.rows[1].ap!) / 2);
  });

  it('lists false positives and false negatives, most confident mistakes first, pointing at items', () => {
    const e = result.perModel[0];
    const fps = result.items.filter((i) => i.label === 0 && i.scores[TEXTURE]! >= THRESHOLD);
    const fns = result.items.filter((i) => i.label === 1 && i.scores[TEXTURE]! < THRESHOLD);
    assert.equal(e.falsePositives.length, fps.length);
    assert.equal(e.falseNegatives.length, fns.length);
    assert.equal(e.falsePositives.length, e.metrics!.confusion.fp);
    assert.equal(e.falseNegatives.length, e.metrics!.confusion.fn);
    for (let k = 1; k < e.falsePositives.length; k++) assert.ok(e.falsePositives[k - 1].score >= e.falsePositives[k].score);
    for (let k = 1; k < e.falseNegatives.length; k++) assert.ok(e.falseNegatives[k - 1].score <= e.falseNegatives[k].score);
    for (const pick of [...e.falsePositives, ...e.falseNegatives]) {
      const item = result.items[pick.item];
      assert.equal(item.path, pick.path);
      assert.equal(item.scores[TEXTURE], pick.score);
      assert.equal(item.source, pick.source);
    }
  });

  it('returns ROC and PR curves for plotting and stays plain JSON', () => {
    for (const e of result.perModel) {
      assert.ok(e.roc.length >= 2 && e.roc.length <= 200);
      assert.deepEqual(e.roc[0], { fpr: 0, tpr: 0, threshold: null });
      assert.deepEqual({ fpr: e.roc.at(-1)!.fpr, tpr: e.roc.at(-1)!.tpr }, { fpr: 1, tpr: 1 });
      assert.deepEqual(e.pr[0], { recall: 0, precision: 1, threshold: null });
      assert.equal(e.pr.at(-1)!.recall, 1);
    }
    // Undefined fields, NaN or Infinity would not survive a JSON round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
    assert.equal(result.throughput.images, 41);
    assert.equal(result.throughput.passesPerImage, 1);
    assert.ok(result.throughput.imagesPerSecond > 0);
    assert.deepEqual(result.throughput.providers, { [TEXTURE]: 'cpu', [ELA]: 'cpu' });
  });

  it('reports progress in the job shape, ending with every image accounted for', () => {
    const last = progress.at(-1)!;
    assert.equal(last.total, 41);
    assert.equal(last.done, 40);
    assert.equal(last.failed, 1);
    for (let k = 1; k < progress.length; k++) assert.ok(progress[k].done + progress[k].failed >= progress[k - 1].done + progress[k - 1].failed);
  });

  it('sweeps robustness levels: one point per level per model, identity levels equal the clean scores', async () => {
    const levels = { jpeg: [90, 50], blur: [0, 2], downscale: [1, 0.5] };
    const sweep = await robustnessSweep({ ...set, items: set.items.filter((i) => !i.path.endsWith('broken.jpg')) }, detectors, { threshold: THRESHOLD, levels });
    assert.deepEqual(sweep.levels, levels);
    assert.deepEqual(sweep.curves.map((c) => [c.modelId, c.kind, c.parameter, c.points.map((p) => p.value)]), [
      [TEXTURE, 'jpeg', 'quality', [90, 50]],
      [TEXTURE, 'blur', 'sigma', [0, 2]],
      [TEXTURE, 'downscale', 'factor', [1, 0.5]],
      [ELA, 'jpeg', 'quality', [90, 50]],
      [ELA, 'blur', 'sigma', [0, 2]],
      [ELA, 'downscale', 'factor', [1, 0.5]],
    ]);
    for (const curve of sweep.curves) {
      for (const p of curve.points) {
        assert.equal(p.n, 40);
        assert.ok(p.ap !== null && p.ap > 0 && p.ap <= 1);
        assert.ok(p.accuracy !== null);
      }
    }
    const clean = result.perModel[0].metrics!;
    const blur = sweep.curves.find((c) => c.modelId === TEXTURE && c.kind === 'blur')!;
    assert.equal(blur.points[0].ap, clean.ap, 'σ 0 is the clean pass');
    assert.equal(blur.points[0].accuracy, clean.accuracy);
    // Blur removes the noise that marks the fakes: the detector loses them.
    assert.ok(blur.points[1].ap! < clean.ap!, `AP ${blur.points[1].ap} after blur vs ${clean.ap}`);
  });

  it('stops on cancel with an error instead of metrics over a partial set', async () => {
    const controller = new AbortController();
    await assert.rejects(
      evaluate(set, detectors, {
        bootstrap: 0,
        concurrency: 1,
        batchSize: 2,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 2) controller.abort();
        },
      }),
      (err: unknown) => err instanceof EvaluationCancelledError && /cancelled after \d+ of 41 images/.test(err.message),
    );
  });

  it('refuses an empty selection and a set where no image can be read', async () => {
    await assert.rejects(evaluate({ ...set, items: [] }, detectors), /nothing to evaluate/);
    const broken = set.items.filter((i) => i.path.endsWith('broken.jpg'));
    await assert.rejects(evaluate({ ...set, items: broken }, detectors, { bootstrap: 0 }), /none of the 1 images could be read \(.*broken\.jpg: .*not an image/);
    await assert.rejects(evaluate(set, detectors, { threshold: 2 }), /threshold must be in 0\.\.1/);
  });
});
