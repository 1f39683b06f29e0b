// In-process head training on a separable generated set: the fixture texture CNN scores
// noisy pictures high, so a set where the noisy pictures are the REAL ones fools its original
// head completely, while its embedding still separates the classes. A new head must fix that.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Detector } from '../../src/main/inference/detector';
import { loadModelRegistry, type RegisteredModel } from '../../src/main/inference/registry';
import { decodeFile } from '../../src/main/training/evaluate';
import { trainHead, type HeadTrainingResult } from '../../src/main/training/headTraining';
import { findHead } from '../../src/main/training/onnxHead';
import { decodeOnnx } from '../../src/main/training/onnxProto';
import { loadVersionModel } from '../../src/main/training/versions';
import { runCli } from '../cli/run';
import { makeLabelledFolder } from './helpers';

const MODELS = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const tmp = mkdtempSync(join(tmpdir(), 'provenance-head-'));
const data = join(tmp, 'data');
let texture: RegisteredModel;
after(() => rmSync(tmp, { recursive: true, force: true }));
before(async () => {
  // Real pictures carry sensor-like noise, the "fakes" are clean: the opposite of what the
  // fixture's head was built to flag.
  await makeLabelledFolder(data, { perLabel: 20, size: 64, realNoise: 40, fakeNoise: 0, seed: 5 });
  texture = (await loadModelRegistry(MODELS)).find((m) => m.id === 'fixture-texture-cnn')!;
});

test('a new head improves validation accuracy over the original head and is registered as a version', async () => {
  const stages: string[] = [];
  const result: HeadTrainingResult = await trainHead({
    model: texture,
    data: { folder: data, valFraction: 0.3 },
    userModelsDir: join(tmp, 'user-models'),
    provider: 'cpu',
    seed: 11,
    onEvent: (e) => {
      if (e.type === 'stage') stages.push(e.stage);
    },
  });
  assert.deepEqual(stages, ['hash', 'embed', 'fit', 'write', 'verify', 'evaluate', 'register']);
  assert.equal(result.before.count, 12);
  assert.ok(result.before.accuracy! <= 0.5, `original head on validation: ${result.before.accuracy}`);
  assert.ok(result.after.accuracy! >= 0.9, `new head on validation: ${result.after.accuracy}`);
  assert.ok(result.after.accuracy! > result.before.accuracy!);
  assert.ok(result.fit.converged, `L-BFGS converged in ${result.fit.iterations} iterations`);
  // The backbone is untouched and the score is exactly the head fitted here.
  assert.equal(result.verification.featuresMaxAbsDiff, 0);
  assert.ok(result.verification.scoreMaxAbsDiff < 1e-5, `score vs σ(w·f+b): ${result.verification.scoreMaxAbsDiff}`);

  const v = result.version;
  assert.equal(v.modelId, 'fixture-texture-cnn');
  assert.equal(v.version, 'r1');
  assert.equal(v.status, 'candidate');
  assert.equal(v.source, 'head');
  assert.deepEqual(v.parent, { modelId: 'fixture-texture-cnn', version: null, sha256: texture.manifest!.sha256 });
  assert.deepEqual(v.baseline?.metrics, result.before);
  assert.equal(v.data.train.count + v.data.val.count, 40);

  // The written model loads through the registry path and scores like any other.
  const model = await loadVersionModel(join(tmp, 'user-models'), 'fixture-texture-cnn', 'r1');
  assert.equal(model.status, 'ok', model.problem);
  const detector = await Detector.open(model, { provider: 'cpu' });
  try {
    const [fake, real] = await Promise.all([join(data, 'fake', 'fake-000.png'), join(data, 'real', 'real-000.png')].map(decodeFile));
    const [sFake, sReal] = await detector.score([fake, real]);
    assert.equal(sFake.modelVersion, 'r1');
    assert.ok(sFake.score > sReal.score, `fake ${sFake.score} > real ${sReal.score}`);
  } finally {
    await detector.close();
  }

  // Only the head changed: same graph, same initializers except the two head tensors.
  const before = new Uint8Array(readFileSync(texture.modelPath));
  const afterBytes = new Uint8Array(readFileSync(model.modelPath));
  const a = decodeOnnx(before);
  const b = decodeOnnx(afterBytes);
  assert.deepEqual(b.nodes.map((n) => [n.opType, n.inputs, n.outputs]), a.nodes.map((n) => [n.opType, n.inputs, n.outputs]));
  const head = findHead(afterBytes, model.manifest!);
  for (const name of a.initializerNames) {
    const same = Buffer.from(a.initializer(name)!.values!.buffer).equals(Buffer.from(b.initializer(name)!.values!.buffer));
    assert.equal(same, name !== head.weightName && name !== head.biasName, `initializer ${name}`);
  }
});

test('the same data and seed give the same head (deterministic)', async () => {
  const run = (dir: string) => trainHead({ model: texture, data: { folder: data, valFraction: 0.3 }, userModelsDir: join(tmp, dir), provider: 'cpu', seed: 11 });
  const [x, y] = [await run('det-a'), await run('det-b')];
  assert.equal(x.version.sha256, y.version.sha256, 'byte-identical ONNX files');
  assert.deepEqual(x.after, y.after);
});

test('a model without a features output is refused before any work', async () => {
  const broken = { ...texture, manifest: { ...texture.manifest!, outputs: { score: 'score' } } } as RegisteredModel;
  await assert.rejects(trainHead({ model: broken, data: { folder: data }, userModelsDir: join(tmp, 'none') }), /declares no features output/);
});

test('provenance train --head runs the same from the command line', () => {
  const r = runCli(['train', '--head', '--model', 'fixture-texture-cnn', '--data', data, '--val-fraction', '0.3', '--seed', '11', '--ep', 'cpu', '--user-models', join(tmp, 'cli-models'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as HeadTrainingResult;
  assert.equal(out.version.version, 'r1');
  assert.ok(out.after.accuracy! > out.before.accuracy!);
});
