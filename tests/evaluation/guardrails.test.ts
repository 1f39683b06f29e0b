// Evaluation guardrails with real images and the real fixture detectors: a dataset whose real
// images are JPEGs and whose fakes are PNGs leaks its labels through the format (a baseline that
// sees only the format reaches ROC-AUC 1), a dataset saved the same way for both classes does
// not, and a detector of manipulations evaluated on generated images is called out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { EvaluatedItem } from '../../src/contract/evaluation';
import { evaluate, formatLeakage, loadLabelledSet, taskMismatches } from '../../src/main/evaluation';
import { bucketBaselineAuc } from '../../src/main/evaluation/guardrails';
import type { Detector } from '../../src/main/inference';
import { testCatalogue } from '../config';
import { makeScene, noiseFor, removeDir, tempDir } from './datasets';

describe('evaluation guardrails', () => {
  let root: string;
  let detectors: Detector[];

  before(async () => {
    root = tempDir('pl-guard-');
    ({ detectors } = await testCatalogue({ provider: 'cpu' }).openDetectors({}));
  });
  after(async () => {
    await Promise.all(detectors.map((d) => d.close()));
    removeDir(root);
  });

  /** <root>/<name>/progan/0_real/*.jpg and 1_fake/* (PNG when `fakePng`). */
  async function dataset(name: string, fakePng: boolean): Promise<string> {
    const base = path.join(root, name, 'progan');
    for (let i = 0; i < 8; i++) {
      await makeScene(path.join(base, '0_real', `${i}.jpg`), { seed: i + 1, noise: noiseFor(0, i, 8), quality: 90 });
      const fake = await makeScene(path.join(base, '1_fake', `${i}.jpg`), { seed: 100 + i, noise: noiseFor(1, i, 8), quality: 90 });
      if (fakePng) {
        fs.writeFileSync(fake.replace(/\.jpg$/, '.png'), await sharp(fake).png().toBuffer());
        fs.rmSync(fake);
      }
    }
    return path.join(root, name);
  }

  test('real JPEGs against fake PNGs: the format alone separates them, and the result says so before its metrics', async () => {
    const set = await loadLabelledSet(await dataset('leaky', true));
    assert.equal(set.summary.task, 'generated', 'CNNDetection fakes are generated images');
    const result = await evaluate(set, detectors, { bootstrap: 0 });
    const leakage = result.guardrails!.leakage!;
    assert.equal(leakage.leaks, true);
    const [real, fake] = leakage.classes;
    assert.deepEqual(real.formats.map((f) => [f.format, f.share]), [['jpeg', 1]]);
    assert.deepEqual(fake.formats.map((f) => [f.format, f.share]), [['png', 1]]);
    assert.ok(real.jpegQuality && real.jpegQuality.min === 90 && real.jpegQuality.max === 90, 'the JPEG quality is estimated from the files');
    assert.equal(fake.jpegQuality, null);
    assert.equal(leakage.baselines.find((b) => b.feature === 'format')?.auc, 1);
    assert.ok(leakage.warnings.some((w) => /JPEG is 100 % of the real images but 0 % of the fakes/.test(w)), leakage.warnings.join(' | '));
    assert.ok(leakage.warnings.some((w) => /File properties alone separate real from fake: ROC-AUC 1\.000 knowing only the file format alone/.test(w)), leakage.warnings.join(' | '));
    // fixture-ela-cnn detects manipulations: evaluating it on generated images is a mismatch.
    assert.deepEqual(result.guardrails!.taskMismatches.map((m) => [m.modelId, m.modelTask, m.datasetTask]), [['fixture-ela-cnn', 'manipulated', 'generated']]);
  });

  test('both classes saved the same way: no leakage, file baselines near chance', async () => {
    const set = await loadLabelledSet(await dataset('clean', false));
    const result = await evaluate(set, detectors, { bootstrap: 0 });
    const leakage = result.guardrails!.leakage!;
    assert.equal(leakage.leaks, false, leakage.warnings.join(' | '));
    assert.deepEqual(leakage.warnings, []);
    const format = leakage.baselines.find((b) => b.feature === 'format')!.auc!;
    assert.ok(format <= 0.5, `one format for everything tells nothing (AUC ${format})`);
  });

  test('the leave-one-out baseline does not score a bucket of one item from itself', () => {
    // Every item in its own bucket: memorising would give AUC 1; leave-one-out gives chance.
    const labels = [0, 0, 0, 1, 1, 1] as const;
    assert.equal(bucketBaselineAuc([...labels], ['a', 'b', 'c', 'd', 'e', 'f']), 0.5);
    assert.equal(bucketBaselineAuc([...labels], ['x', 'x', 'x', 'y', 'y', 'y']), 1);
  });

  test('task of the dataset: none said, mixed, or matching the model', () => {
    const model = { id: 'm', name: 'M', version: '1', sha256: '', provider: 'cpu' as const, task: 'generated' as const, fixture: false, defaultThreshold: 0.5 };
    assert.deepEqual(taskMismatches([model], null), []);
    assert.deepEqual(taskMismatches([model], 'generated'), []);
    assert.match(taskMismatches([model], 'mixed')[0].message, /mixes generated and manipulated/);
    assert.match(taskMismatches([model], 'manipulated')[0].message, /fakes of this dataset are manipulated/);
    const noFacts: EvaluatedItem[] = [{ path: '/a', label: 0, source: 's', group: 'g', sha256: 'x', scores: {} }];
    assert.equal(formatLeakage(noFacts), null, 'evaluations saved before the check have nothing to profile');
  });
});
