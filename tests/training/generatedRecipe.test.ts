// The generated-image detector's training path end to end, on a miniature shared folder written
// here (the real ../shared is not needed): the "generated" preparation recipe (format
// normalisation, group split with a test split, split files), the NPR network on multi-crop
// inputs, the threshold calibrated on validation, the test evaluation, ONNX parity, and the
// app's own inference path agreeing with the trainer on the same crops.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { TrainingEvent, TrainingJobSpec } from '../../src/contract/training';
import { checkManifest } from '../../src/main/inference/manifest';
import { runTrainingJob } from '../../src/main/training/trainingJob';
import { pixels } from '../inference/images';
import { SCRIPTS_DIR, testCatalogue } from '../config';
import { pythonForTests } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-generated-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** datasets/generated/gangen-began: smooth "real" PNGs and nearest-neighbour up-sampled "fake" ones. */
async function writeShared(root: string, perClass: number): Promise<void> {
  const folder = join(root, 'datasets', 'generated', 'gangen-began');
  const sums: string[] = [];
  for (const [dir, fake] of [['0_real', false], ['1_fake', true]] as const) {
    mkdirSync(join(folder, dir), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const name = `${dir}_${String(i).padStart(2, '0')}.png`;
      const image = fake
        ? sharp(pixels(24, 24, 500 + i, 50), { raw: { width: 24, height: 24, channels: 3 } }).resize(48, 48, { kernel: 'nearest' })
        : sharp(pixels(48, 48, i + 1, 3), { raw: { width: 48, height: 48, channels: 3 } });
      const bytes = await image.png().toBuffer();
      writeFileSync(join(folder, dir, name), bytes);
      sums.push(`${createHash('sha256').update(bytes).digest('hex')}  ${dir}/${name}`);
    }
  }
  writeFileSync(join(folder, 'SHA256SUMS'), `${sums.join('\n')}\n`);
}

test('recipe → NPR on multi-crops → calibrated threshold → test evaluation → the app scores the same', { timeout: 600_000 }, async (t) => {
  const found = await pythonForTests();
  if ('skip' in found) return t.skip(found.skip);
  const shared = join(tmp, 'shared');
  await writeShared(shared, 16);
  const runs = join(tmp, 'runs');
  const job: TrainingJobSpec = {
    version: 1,
    modelId: 'generated-test',
    data: { prepare: { recipe: 'generated', sharedDir: shared, sources: ['gangen-began'], valFraction: 0.25, testFraction: 0.25 } },
    model: { arch: 'npr_resnet', inputSize: 16 },
    inference: { mode: 'multi-crop', cropCount: 4 },
    calibration: { targetFpr: 0.25 },
    epochs: 2,
    batchSize: 8,
    lr: { backbone: 1e-3, head: 1e-3 },
    augment: { blur: { p: 0 }, jpeg: { p: 0 } },
    earlyStopping: { patience: 0 },
    device: 'cpu',
  };
  const events: TrainingEvent[] = [];
  const result = await runTrainingJob(job, { workdir: join(runs, 'run'), trainingRoot: runs, userModelsDir: join(tmp, 'models'), scriptsDir: SCRIPTS_DIR, catalogue: testCatalogue({ userModelsDir: join(tmp, 'models') }), environment: found.env, provider: 'cpu', onEvent: (e) => events.push(e) });
  assert.equal(result.status, 'completed', result.error);

  // The preparation: cached in the training folder, split files with their hashes, a test split.
  const data = events.find((e) => e.type === 'data') as Extract<TrainingEvent, { type: 'data' }>;
  assert.ok(data.preparedDir && data.preparedDir.startsWith(join(runs, 'datasets')), data.preparedDir);
  assert.ok(data.test && data.test.count > 0 && data.test.real > 0 && data.test.fake > 0, JSON.stringify(data.test));
  assert.equal(data.train.count + data.val.count + data.test.count, 32);
  const summary = JSON.parse(readFileSync(join(data.preparedDir!, 'summary.json'), 'utf8'));
  const testCsv = readFileSync(join(data.preparedDir!, summary.splitFiles.test.file));
  assert.equal(createHash('sha256').update(testCsv).digest('hex'), summary.splitFiles.test.sha256);
  assert.ok(events.some((e) => e.type === 'prepare'));

  // Calibration and test evaluation: in the event, evaluation.json and the manifest.
  const evaluation = events.find((e) => e.type === 'evaluation') as Extract<TrainingEvent, { type: 'evaluation' }>;
  assert.ok(evaluation.test && evaluation.test.n === data.test.count);
  assert.ok(evaluation.validation.fpr !== null && evaluation.validation.fpr <= 0.25, JSON.stringify(evaluation.validation));
  const report = JSON.parse(readFileSync(evaluation.file, 'utf8'));
  assert.equal(report.test.items.length, data.test.count);
  const v = result.version!;
  const manifest = JSON.parse(readFileSync(join(v.dir, 'manifest.json'), 'utf8'));
  const check = checkManifest(manifest);
  assert.ok(check.ok, JSON.stringify(check));
  assert.equal(manifest.defaultThreshold, evaluation.threshold);
  assert.deepEqual(manifest.preprocessing.normalization, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  assert.equal(manifest.preprocessing.mode, 'multi-crop');
  assert.equal(manifest.preprocessing.cropCount, 4);
  assert.equal(manifest.calibration.targetFpr, 0.25);
  assert.equal(manifest.evaluation.split, 'test');
  assert.equal(manifest.evaluation.perSource[0].source, 'gangen-began');

  // ONNX (Slice + nearest Resize for the NPR residual) matches PyTorch, and the app's
  // preprocessing takes the same four crops: the validation loss agrees.
  assert.ok(v.parity!.ok, JSON.stringify(v.parity));
  assert.ok(Math.abs(v.metrics.trainer!.valLoss! - v.metrics.detector!.loss!) < 1e-3, `trainer ${v.metrics.trainer!.valLoss} vs app ${v.metrics.detector!.loss}`);
  assert.equal(v.metrics.detector!.threshold, manifest.defaultThreshold, 'the app measures at the calibrated threshold');
  assert.ok(existsSync(join(runs, 'run', 'checkpoint.json')));
});
