import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { DecodedImage } from '../../src/main/ingest/decoded';
import { Detector } from '../../src/main/inference/detector';
import type { ModelManifest } from '../../src/main/inference/manifest';
import { loadModelRegistry, type RegisteredModel } from '../../src/main/inference/registry';
import { testPictures } from './images';

const MODELS_DIR = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const pictures = testPictures();
let texture: RegisteredModel & { status: 'ok' };
let ela: RegisteredModel & { status: 'ok' };
let images: DecodedImage[];

before(async () => {
  const registry = await loadModelRegistry(MODELS_DIR);
  const get = (id: string) => {
    const m = registry.find((r) => r.id === id);
    assert.ok(m && m.status === 'ok', `${id} missing or invalid: ${m?.problem}`);
    return m;
  };
  texture = get('fixture-texture-cnn');
  ela = get('fixture-ela-cnn');
  // 20 pictures of assorted sizes, some smaller than the 64×64 crop, smooth to noisy.
  const sizes = [[64, 64], [80, 60], [40, 30], [120, 90], [63, 65], [200, 100], [33, 77], [96, 96], [64, 20], [150, 150]];
  images = await Promise.all(
    Array.from({ length: 20 }, (_, i) => {
      const [w, h] = sizes[i % sizes.length];
      return pictures.make(`img${i}`, w, h, 100 + i, (i * 7) % 60, i % 3 === 0 ? 'png' : 'jpeg', 70 + i);
    }),
  );
});
after(() => pictures.cleanup());

function withPre(model: RegisteredModel & { status: 'ok' }, pre: Partial<ModelManifest['preprocessing']>, extra: Partial<ModelManifest> = {}) {
  return { ...model, manifest: { ...model.manifest, ...extra, preprocessing: { ...model.manifest.preprocessing, ...pre } } };
}

test('batched scoring of 20 images of different sizes equals scoring them one by one', async () => {
  const detector = await Detector.open(texture, { provider: 'cpu', maxBatch: 6 });
  try {
    const batched = await detector.score(images);
    assert.equal(batched.length, 20);
    for (let i = 0; i < images.length; i++) {
      const [single] = await detector.score([images[i]]);
      assert.ok(Math.abs(single.score - batched[i].score) < 1e-6, `image ${i}: batched ${batched[i].score} vs single ${single.score}`);
    }
    // The fixture is not constant: texture moves its score.
    const scores = batched.map((s) => s.score);
    assert.ok(Math.max(...scores) - Math.min(...scores) > 0.2, `scores spread too little: ${scores.join(', ')}`);
  } finally {
    await detector.close();
  }
});

test('scores carry model identity, provider, threshold decision and the fixture flag', async () => {
  const detector = await Detector.open(texture, { provider: 'cpu', threads: 1 });
  const [s] = await detector.score([images[3]]);
  await detector.close();
  assert.equal(s.modelId, 'fixture-texture-cnn');
  assert.equal(s.modelVersion, texture.manifest.version);
  assert.equal(s.modelSha256, texture.manifest.sha256);
  assert.equal(s.task, 'generated');
  assert.equal(s.provider, 'cpu');
  assert.equal(s.fixture, true);
  assert.equal(s.threshold, 0.5);
  assert.equal(s.flagged, s.score >= 0.5);
  assert.deepEqual(s.cropScores, [s.score]);
  assert.ok(s.score > 0 && s.score < 1);
});

test('multi-crop: ten crops per image, max aggregation ≥ mean aggregation, batched across images', async () => {
  const mean = await Detector.open(withPre(texture, { mode: 'multi-crop', cropCount: 10, aggregate: 'mean' }), { provider: 'cpu', maxBatch: 7 });
  const max = await Detector.open(withPre(texture, { mode: 'multi-crop', cropCount: 10, aggregate: 'max' }), { provider: 'cpu', maxBatch: 16 });
  try {
    const picked = images.slice(0, 6);
    const [a, b] = [await mean.score(picked), await max.score(picked)];
    for (let i = 0; i < picked.length; i++) {
      assert.equal(a[i].cropScores.length, 10);
      a[i].cropScores.forEach((v, k) => assert.ok(Math.abs(v - b[i].cropScores[k]) < 1e-6, 'same crops, same scores'));
      const avg = a[i].cropScores.reduce((x, y) => x + y, 0) / 10;
      assert.ok(Math.abs(a[i].score - avg) < 1e-12);
      assert.equal(b[i].score, Math.max(...b[i].cropScores));
      assert.ok(b[i].score >= a[i].score);
    }
    // A 200×100 image has distinct crops, so the crop scores are not all equal.
    assert.ok(new Set(a[5].cropScores).size > 1);
  } finally {
    await mean.close();
    await max.close();
  }
});

test('a logit model gets a sigmoid; threshold applies to the probability', async () => {
  const prob = await Detector.open(texture, { provider: 'cpu' });
  const logit = await Detector.open(withPre(texture, {}, { scoreMeaning: 'logit_fake', defaultThreshold: 0.6 }), { provider: 'cpu' });
  try {
    const [p] = await prob.score([images[1]]);
    const [l] = await logit.score([images[1]]);
    assert.ok(Math.abs(l.score - 1 / (1 + Math.exp(-p.score))) < 1e-9);
    assert.equal(l.threshold, 0.6);
    assert.equal(l.flagged, l.score >= 0.6);
  } finally {
    await prob.close();
    await logit.close();
  }
});

test('features: one 16-value embedding per image, equal batched and single', async () => {
  const detector = await Detector.open(texture, { provider: 'cpu', maxBatch: 4 });
  try {
    const batched = await detector.features(images.slice(0, 9));
    assert.equal(batched.length, 9);
    for (const f of batched) assert.equal(f.length, 16);
    const [single] = await detector.features([images[8]]);
    single.forEach((v, i) => assert.ok(Math.abs(v - batched[8][i]) < 1e-6));
    assert.notDeepEqual(batched[0], batched[1]);
  } finally {
    await detector.close();
  }
});

test('concurrent score calls on one detector are queued and give the same results', async () => {
  const detector = await Detector.open(texture, { provider: 'cpu', maxBatch: 3 });
  try {
    const [a, b, c] = await Promise.all([detector.score(images.slice(0, 10)), detector.score(images.slice(10)), detector.score(images.slice(0, 10))]);
    assert.deepEqual(a.map((s) => s.score), c.map((s) => s.score));
    const all = await detector.score(images);
    assert.deepEqual([...a, ...b].map((s) => s.score), all.map((s) => s.score));
  } finally {
    await detector.close();
  }
});

test('ELA fixture scores manipulated-task images through the ELA transform', async () => {
  const detector = await Detector.open(ela, { provider: 'cpu' });
  try {
    const scores = await detector.score(images.slice(0, 5));
    for (const s of scores) {
      assert.equal(s.task, 'manipulated');
      assert.equal(s.fixture, true);
      assert.ok(s.score >= 0 && s.score <= 1);
    }
    const [single] = await detector.score([images[2]]);
    assert.ok(Math.abs(single.score - scores[2].score) < 1e-6);
  } finally {
    await detector.close();
  }
});

test('a manifest naming an output the ONNX file lacks fails at open, a closed detector refuses work', async () => {
  await assert.rejects(
    Detector.open({ ...texture, manifest: { ...texture.manifest, outputs: { score: 'probability' } } }, { provider: 'cpu' }),
    /manifest output "probability" is not in the ONNX file \(outputs: score, features\)/,
  );
  await assert.rejects(
    Detector.open({ ...texture, manifest: { ...texture.manifest, input: { ...texture.manifest.input, width: 128 } } }, { provider: 'cpu' }),
    /ONNX input shape \[N, 3, 64, 64\] does not match the manifest's \[N, 3, 64, 128\]/,
  );
  const detector = await Detector.open(texture, { provider: 'cpu' });
  await detector.close();
  await assert.rejects(detector.score(images.slice(0, 1)), /is closed/);
});

test('sessions run in the inference worker: same scores as in-process, and the calling thread stays free during a run', async () => {
  const { inProcessHost } = await import('../../src/main/inference/inferenceHost');
  const big = withPre(texture, { mode: 'multi-crop', cropCount: 16, aggregate: 'mean' });
  const remote = await Detector.open(big, { provider: 'cpu', maxBatch: 64 });
  const local = await Detector.open(big, { provider: 'cpu', maxBatch: 64, host: inProcessHost });
  try {
    assert.equal(remote.runsIn, 'worker');
    assert.equal(local.runsIn, 'in-process');
    const picked = images.slice(0, 4);
    const [a, b] = [await remote.score(picked), await local.score(picked)];
    a.forEach((s, i) => assert.ok(Math.abs(s.score - b[i].score) < 1e-6, `image ${i}: worker ${s.score} vs in-process ${b[i].score}`));
    // Prepared inputs score the same as images.
    const { preprocess } = await import('../../src/main/inference/preprocess');
    const inputs = await Promise.all(picked.map((img) => preprocess(img, big.manifest)));
    const sizes = picked.map((img) => ({ width: img.width, height: img.height }));
    const c = await remote.scoreInputs(inputs, sizes);
    c.forEach((s, i) => assert.ok(Math.abs(s.score - a[i].score) < 1e-6));

    // While the worker runs 64 crops in one session run, this thread keeps turning its event loop.
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    await remote.scoreInputs(inputs, sizes);
    spinning = false;
    assert.ok(turns >= 20, `the event loop turned only ${turns} times during inference`);
  } finally {
    await remote.close();
    await local.close();
  }
});

test('a calibrated manifest puts its threshold and the false-positive rate measured there next to every score', async () => {
  const calibration = { rule: 'lowest threshold with FPR <= 5% on validation', targetFpr: 0.05, split: 'validation', real: 40, fake: 50, fpr: 0.05, fnr: 0.3 };
  const validationOnly = await Detector.open(withPre(texture, {}, { defaultThreshold: 0.42, calibration }), { provider: 'cpu' });
  const [a] = await validationOnly.score([images[3]]);
  await validationOnly.close();
  assert.equal(a.threshold, 0.42);
  assert.equal(a.flagged, a.score >= 0.42);
  assert.deepEqual(a.operatingPoint, { fpr: 0.05, fnr: 0.3, measuredOn: 'validation split, 40 real / 50 fake' });
  // A held-out evaluation at the same threshold is what the card reports: it wins.
  const evaluation = { split: 'test', scoredBy: 'provenance evaluate', real: 100, fake: 120, threshold: 0.42, accuracy: 0.8, precision: 0.8, recall: 0.7, f1: 0.75, ap: 0.85, fpr: 0.08, fnr: 0.3 };
  const withTest = await Detector.open(withPre(texture, {}, { defaultThreshold: 0.42, calibration, evaluation }), { provider: 'cpu' });
  const [b] = await withTest.score([images[3]]);
  await withTest.close();
  assert.deepEqual(b.operatingPoint, { fpr: 0.08, fnr: 0.3, measuredOn: 'test split, 100 real / 120 fake' });
  // Fixtures record nothing: no rate is invented.
  const plain = await Detector.open(texture, { provider: 'cpu' });
  const [c] = await plain.score([images[3]]);
  await plain.close();
  assert.equal(c.operatingPoint, undefined);
});
