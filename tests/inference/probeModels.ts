// Tiny hand-written ONNX models for testing what detectors return besides a score: a
// localisation model whose heatmap marks bright 8×8 cells, and a face model that scores the
// brightness of each face crop. Written with the project's ONNX writer into a temporary models
// folder; they are probes of the plumbing, not detectors.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../../src/main/inference/manifest';
import { DataType, GraphBuilder, encodeModel } from '../../scripts/onnxWriter';

export const PROBE_SIZE = 32;
const GAIN = 20;

function graph(id: string, withHeatmap: boolean): Uint8Array {
  const g = new GraphBuilder();
  // One logit per 8×8 cell: GAIN × (mean brightness − 0.5) on inputs in 0..1.
  const cell = 8;
  const weight = new Float32Array(3 * cell * cell).fill(GAIN / (3 * cell * cell));
  const logits = g.conv('input', { name: 'cells', weight, bias: Float32Array.of(-0.5 * GAIN), inChannels: 3, outChannels: 1, kernel: cell, stride: cell });
  if (withHeatmap) g.sigmoid(logits, 'heatmap');
  const pooled = g.flatten(g.globalAveragePool(logits), 1, 'features');
  g.sigmoid(g.gemm(pooled, { name: 'head', weight: Float32Array.of(1), bias: Float32Array.of(0), inFeatures: 1, outFeatures: 1 }), 'score');
  const side = PROBE_SIZE / cell;
  const outputs = [
    { name: 'score', elemType: DataType.FLOAT, shape: ['N', 1] as (string | number)[] },
    { name: 'features', elemType: DataType.FLOAT, shape: ['N', 1] as (string | number)[] },
  ];
  if (withHeatmap) outputs.push({ name: 'heatmap', elemType: DataType.FLOAT, shape: ['N', 1, side, side] });
  return encodeModel({
    graph: g.build(id, [{ name: 'input', elemType: DataType.FLOAT, shape: ['N', 3, PROBE_SIZE, PROBE_SIZE] }], outputs),
    modelVersion: 1,
    docString: 'test probe',
    metadata: { fixture: 'true' },
  });
}

const common = {
  version: '1',
  fixture: true,
  input: { name: 'input', width: PROBE_SIZE, height: PROBE_SIZE, channels: 3 as const, layout: 'NCHW' as const },
  scoreMeaning: 'probability_fake' as const,
  defaultThreshold: 0.5,
  provenance: { source: 'tests/inference/probeModels.ts', licence: 'test' },
  calibration: undefined,
};

export const PROBE_MANIFESTS: Record<'probe-loc' | 'probe-face', Omit<ModelManifest, 'sha256'>> = {
  'probe-loc': {
    ...common,
    id: 'probe-loc',
    name: 'localisation probe',
    task: 'manipulated',
    description: 'heatmap = bright cells',
    outputs: { score: 'score', features: 'features', heatmap: 'heatmap' },
    preprocessing: { mode: 'resize', resizeFit: 'fill', resizeKernel: 'linear', aggregate: 'mean', inputTransform: 'none', normalization: { mean: [0, 0, 0], std: [1, 1, 1] } },
  },
  'probe-face': {
    ...common,
    id: 'probe-face',
    name: 'face probe',
    task: 'face',
    description: 'score = brightness of the face crop',
    outputs: { score: 'score', features: 'features' },
    preprocessing: {
      mode: 'face-crop',
      aggregate: 'max',
      inputTransform: 'none',
      face: { detector: 'ultraface-rfb-320', minScore: 0.7, nmsIou: 0.3, margin: 1.3, maxFaces: 8 },
      normalization: { mean: [0, 0, 0], std: [1, 1, 1] },
    },
  },
};

/** Writes the probes (with calibration for probe-loc) into <dir>/<id>/ and returns dir. */
export function writeProbeModels(dir: string): string {
  for (const [id, m] of Object.entries(PROBE_MANIFESTS)) {
    const bytes = graph(id, id === 'probe-loc');
    mkdirSync(join(dir, id), { recursive: true });
    writeFileSync(join(dir, id, 'model.onnx'), bytes);
    const manifest: ModelManifest = { ...m, sha256: createHash('sha256').update(bytes).digest('hex') };
    if (id === 'probe-loc') {
      manifest.defaultThreshold = 0.6;
      manifest.calibration = { rule: 'lowest threshold with a false-positive rate <= 5% on the validation split', targetFpr: 0.05, split: 'validation', real: 50, fake: 50, fpr: 0.04, fnr: 0.3 };
    }
    writeFileSync(join(dir, id, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
  return dir;
}
