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
const calibration = { rule: 'target-fpr', targetFpr: 0.05, threshold: 0.42, falsePositiveRate: 0.049, falseNegativeRate: 0.2, data: 'validation split', real: 100, fake: 120 };

test('a face model: task face with face-crop preprocessing and its face settings', () => {
  const ok = edited((m) => {
    m.task = 'face';
    m.preprocessing = { ...m.preprocessing, mode: 'face-crop', aggregate: 'max', inputTransform: 'none', face };
  });
  assert.deepEqual(problems(ok), []);
  const noFace = edited((m) => {
    m.task = 'face';
    m.preprocessing = { ...m.preprocessing, mode: 'face-crop', inputTransform: 'none' };
  });
  assert.match(problems(noFace).join('\n'), /"preprocessing.face" must be an object/);
  const wrongTask = edited((m) => (m.preprocessing = { ...m.preprocessing, mode: 'face-crop', inputTransform: 'none', face }));
  assert.match(problems(wrongTask).join('\n'), /"face-crop" is for task "face"/);
  const badMargin = edited((m) => {
    m.task = 'face';
    m.preprocessing = { ...m.preprocessing, mode: 'face-crop', inputTransform: 'none', face: { ...face, margin: 0.5 } };
  });
  assert.match(problems(badMargin).join('\n'), /"preprocessing.face.margin" must be a number in 1..4/);
});

test('rgb+noise inputs have six channels and a noise scale, and only they do', () => {
  const ok = edited((m) => {
    m.input.channels = 6;
    m.preprocessing = { ...m.preprocessing, inputTransform: 'rgb+noise', noiseScale: 8 };
  });
  assert.deepEqual(problems(ok), []);
  assert.match(problems(edited((m) => (m.input.channels = 6))).join('\n'), /must be 6 exactly when/);
  assert.match(problems(edited((m) => (m.preprocessing = { ...m.preprocessing, inputTransform: 'rgb+noise', noiseScale: 8 }))).join('\n'), /must be 6 exactly when/);
  const noScale = edited((m) => {
    m.input.channels = 6;
    m.preprocessing = { ...m.preprocessing, inputTransform: 'rgb+noise' };
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

test('the calibration record agrees with the threshold it explains', () => {
  assert.deepEqual(problems(edited((m) => ((m.defaultThreshold = 0.42), (m.calibration = calibration)))), []);
  assert.match(problems(edited((m) => ((m.defaultThreshold = 0.5), (m.calibration = calibration)))).join('\n'), /must equal "defaultThreshold"/);
  assert.match(
    problems(edited((m) => ((m.defaultThreshold = 0.42), (m.calibration = { ...calibration, rule: 'eyeballed', falsePositiveRate: 2 })))).join('\n'),
    /"calibration.rule" must be one of "target-fpr"[\s\S]*"calibration.falsePositiveRate" must be a number in 0..1/,
  );
});
