// The optional manifest fields of the trained detectors: face models (task 'face', face-crop
// preprocessing), six-channel RGB + noise inputs, a localisation heatmap output and the
// threshold calibration. Each is checked with the rule a model author would break.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { checkManifest } from '../../src/main/inference/manifest';

const MODELS_DIR = resolve(import.meta.dirname, '..', '..', 'resources', 'models');
const base = JSON.parse(readFileSync(join(MODELS_DIR, 'fixture-ela-cnn', 'manifest.json'), 'utf8'));

/** The base's preprocessing without its ELA settings (the strict check refuses them on other inputs). */
function noEla(pre: Record<string, unknown>): Record<string, unknown> {
  const { elaQuality: _quality, elaScale: _scale, ...rest } = pre;
  return rest;
}

function edited(edit: (m: Record<string, any>) => void): unknown {
  const m = structuredClone(base);
  edit(m);
  return m;
}

function problems(json: unknown): string[] {
  const r = checkManifest(json);
  return r.ok ? [] : r.problems;
}

const face = { detector: 'ultraface-rfb-320', minScore: 0.7, nmsIou: 0.3, margin: 1.3, maxFaces: 8 };
const calibration = { rule: 'lowest threshold with a false-positive rate <= 5% on the validation split', targetFpr: 0.05, split: 'validation', real: 100, fake: 120, fpr: 0.049, fnr: 0.2 };
const evaluation = { split: 'test', scoredBy: 'provenance evaluate (onnxruntime)', real: 150, fake: 260, threshold: 0.42, accuracy: 0.8, precision: 0.9, recall: 0.7, f1: 0.79, ap: 0.88, fpr: 0.06, fnr: 0.3 };

test('a face model: task face with face-crop preprocessing and its face settings', () => {
  const ok = edited((m) => {
    m.task = 'face';
    m.preprocessing = { ...noEla(m.preprocessing), mode: 'face-crop', aggregate: 'max', inputTransform: 'none', face };
  });
  assert.deepEqual(problems(ok), []);
  const noFace = edited((m) => {
    m.task = 'face';
    m.preprocessing = { ...noEla(m.preprocessing), mode: 'face-crop', inputTransform: 'none' };
  });
  assert.match(problems(noFace).join('\n'), /"preprocessing.face" must be an object/);
  const wrongTask = edited((m) => (m.preprocessing = { ...noEla(m.preprocessing), mode: 'face-crop', inputTransform: 'none', face }));
  assert.match(problems(wrongTask).join('\n'), /"face-crop" is for task "face"/);
  const badMargin = edited((m) => {
    m.task = 'face';
    m.preprocessing = { ...noEla(m.preprocessing), mode: 'face-crop', inputTransform: 'none', face: { ...face, margin: 0.5 } };
  });
  assert.match(problems(badMargin).join('\n'), /"preprocessing.face.margin" must be a number in 1..4/);
});

test('rgb+noise inputs have six channels and a noise scale, and only they do', () => {
  const ok = edited((m) => {
    m.input.channels = 6;
    m.preprocessing = { ...noEla(m.preprocessing), inputTransform: 'rgb+noise', noiseScale: 8 };
  });
  assert.deepEqual(problems(ok), []);
  assert.match(problems(edited((m) => (m.input.channels = 6))).join('\n'), /must be 6 exactly when/);
  assert.match(problems(edited((m) => (m.preprocessing = { ...noEla(m.preprocessing), inputTransform: 'rgb+noise', noiseScale: 8 }))).join('\n'), /must be 6 exactly when/);
  const noScale = edited((m) => {
    m.input.channels = 6;
    m.preprocessing = { ...noEla(m.preprocessing), inputTransform: 'rgb+noise' };
  });
  assert.match(problems(noScale).join('\n'), /"preprocessing.noiseScale" must be a number > 0/);
});

test('a heatmap output needs one input per image (resize or centre crop)', () => {
  assert.deepEqual(problems(edited((m) => (m.outputs.heatmap = 'heatmap'))), []);
  const multi = edited((m) => {
    m.outputs.heatmap = 'heatmap';
    m.preprocessing = { ...m.preprocessing, mode: 'multi-crop', cropCount: 5 };
  });
  assert.match(problems(multi).join('\n'), /"outputs.heatmap" needs "preprocessing.mode" "resize" or "center-crop"/);
});

test('calibration and held-out evaluation records are checked, and the score shows the held-out rate', async () => {
  const { operatingPointOf } = await import('../../src/main/inference/manifest');
  const ok = edited((m) => ((m.defaultThreshold = 0.42), (m.calibration = calibration), (m.evaluation = evaluation)));
  assert.deepEqual(problems(ok), []);
  const r = checkManifest(ok);
  assert.ok(r.ok);
  // The held-out evaluation at the manifest threshold is what the card reports: it wins.
  assert.deepEqual(operatingPointOf(r.manifest), { fpr: 0.06, fnr: 0.3, measuredOn: 'test split, 150 real / 260 fake' });
  const calOnly = checkManifest(edited((m) => ((m.defaultThreshold = 0.42), (m.calibration = calibration))));
  assert.ok(calOnly.ok);
  assert.equal(operatingPointOf(calOnly.manifest)?.fpr, 0.049);
  assert.match(problems(edited((m) => (m.calibration = { ...calibration, fpr: 2, split: '' }))).join('\n'), /"calibration.split" must be a non-empty string[\s\S]*"calibration.fpr" must be a number in 0..1/);
  assert.match(problems(edited((m) => (m.evaluation = { ...evaluation, scoredBy: undefined }))).join('\n'), /"evaluation.scoredBy" must be a non-empty string/);
});
