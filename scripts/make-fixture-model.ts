// Writes the repository's TEST FIXTURE models (npm run models:fixture):
//   resources/models/<id>/model.onnx, manifest.json, MODEL_CARD.md
// They are tiny seeded CNNs, not detectors: they exist so inference, batching and provider
// selection run end to end on a real ONNX file. Their scores say nothing about whether an
// image is fake. The output is byte-for-byte deterministic; tests compare the committed
// files with what this script produces.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModelManifest } from '../src/main/inference/manifest';
import { DataType, GraphBuilder, encodeModel } from './onnxWriter';
import { seededRandom } from '../src/main/random';

export const INPUT_SIZE = 64;
export const CONV1_OUT = 8;
export const CONV2_OUT = 16;

/** Weights of the fixture graph, PyTorch layouts (conv OIHW, linear [out, in]). */
export interface FixtureWeights {
  conv1: { weight: Float32Array; bias: Float32Array };
  conv2: { weight: Float32Array; bias: Float32Array };
  head: { weight: Float32Array; bias: Float32Array };
}

/**
 * The graph, shared by both fixtures:
 *   input [N,3,64,64] → Conv 3→8 k3 (no pad) → Relu → Conv 8→16 k3 s2 p1 → Relu
 *   → GlobalAveragePool → Flatten = features [N,16] → Gemm 16→1 → Sigmoid = score [N,1]
 */
export const ARCHITECTURE = {
  conv1: { kernel: 3, stride: 1, pad: 0 },
  conv2: { kernel: 3, stride: 2, pad: 1 },
} as const;

interface FixtureSpec {
  id: string;
  seed: number;
  /** conv1 output channels with fixed, hand-written kernels; the rest are seeded random. */
  fixedKernels: number[][];
  /** Head weight on each pass-through feature (those of the fixed kernels). */
  headGain: number;
  headBias: number;
  manifest: Omit<ModelManifest, 'sha256'>;
}


/** Roughly normal (Irwin–Hall of 4 uniforms, unit variance) without transcendental functions. */
function gaussian(next: () => number): number {
  return (next() + next() + next() + next() - 2) * Math.sqrt(3);
}

const LAPLACIAN = [0, -1, 0, -1, 4, -1, 0, -1, 0];
const NEG_LAPLACIAN = LAPLACIAN.map((v) => -v);
const SECOND_DIFF_X = [0, 0, 0, -1, 2, -1, 0, 0, 0];
const SECOND_DIFF_Y = [0, -1, 0, 0, 2, 0, 0, -1, 0];
const BOX_MEAN = Array.from({ length: 9 }, () => 1 / 9);

export function fixtureWeights(spec: Pick<FixtureSpec, 'seed' | 'fixedKernels' | 'headGain' | 'headBias'>): FixtureWeights {
  const next = seededRandom(spec.seed);
  const k = 9;
  const fixed = spec.fixedKernels.length;

  // conv1: fixed kernels act on luminance (same kernel on R, G and B, divided by 3), so
  // their responses measure texture/high-frequency energy of the image.
  const w1 = new Float32Array(CONV1_OUT * 3 * k);
  const b1 = new Float32Array(CONV1_OUT);
  for (let o = 0; o < CONV1_OUT; o++) {
    for (let i = 0; i < 3; i++) {
      for (let t = 0; t < k; t++) {
        w1[(o * 3 + i) * k + t] = o < fixed ? spec.fixedKernels[o][t] / 3 : gaussian(next) * 0.25;
      }
    }
    b1[o] = o < fixed ? 0 : gaussian(next) * 0.05;
  }

  // conv2: the first `fixed` outputs copy the fixed channels through (centre tap 1), the
  // rest mix all channels randomly; they end up in the features output as an embedding.
  const w2 = new Float32Array(CONV2_OUT * CONV1_OUT * k);
  const b2 = new Float32Array(CONV2_OUT);
  for (let o = 0; o < CONV2_OUT; o++) {
    for (let i = 0; i < CONV1_OUT; i++) {
      for (let t = 0; t < k; t++) {
        w2[(o * CONV1_OUT + i) * k + t] = o < fixed ? (i === o && t === 4 ? 1 : 0) : gaussian(next) * 0.15;
      }
    }
    b2[o] = o < fixed ? 0 : gaussian(next) * 0.05;
  }

  // head: the score is driven by the fixed (texture) features; random features add a
  // little seeded variation without dominating.
  const wh = new Float32Array(CONV2_OUT);
  for (let i = 0; i < CONV2_OUT; i++) wh[i] = i < fixed ? spec.headGain : gaussian(next) * 0.1;
  const bh = Float32Array.of(spec.headBias);

  return { conv1: { weight: w1, bias: b1 }, conv2: { weight: w2, bias: b2 }, head: { weight: wh, bias: bh } };
}

export function fixtureModelBytes(weights: FixtureWeights, manifest: Omit<ModelManifest, 'sha256'>): Uint8Array {
  const g = new GraphBuilder();
  let x = g.conv(manifest.input.name, { name: 'conv1', ...weights.conv1, inChannels: 3, outChannels: CONV1_OUT, ...ARCHITECTURE.conv1 });
  x = g.relu(x);
  x = g.conv(x, { name: 'conv2', ...weights.conv2, inChannels: CONV1_OUT, outChannels: CONV2_OUT, ...ARCHITECTURE.conv2 });
  x = g.relu(x);
  x = g.globalAveragePool(x);
  const features = g.flatten(x, 1, manifest.outputs.features);
  const logit = g.gemm(features, { name: 'head', ...weights.head, inFeatures: CONV2_OUT, outFeatures: 1 });
  g.sigmoid(logit, manifest.outputs.score);
  const { width, height } = manifest.input;
  const graph = g.build(
    manifest.id,
    [{ name: manifest.input.name, elemType: DataType.FLOAT, shape: ['N', 3, height, width] }],
    [
      { name: manifest.outputs.score, elemType: DataType.FLOAT, shape: ['N', 1] },
      { name: manifest.outputs.features ?? 'features', elemType: DataType.FLOAT, shape: ['N', CONV2_OUT] },
    ],
  );
  return encodeModel({
    graph,
    modelVersion: 1,
    docString: `TEST FIXTURE (${manifest.id}): seeded random CNN for exercising inference, not a detector.`,
    metadata: { fixture: 'true', model_id: manifest.id },
  });
}

const IMAGENET = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

const FIXTURE_NOTE = 'TEST FIXTURE, NOT A DETECTOR: a tiny seeded CNN whose score follows simple texture statistics of its input. It exists to exercise inference, batching and provider selection; its scores mean nothing about whether an image is generated or manipulated.';

const PROVENANCE = {
  licence: 'Same licence as the Provenance Lab repository (generated, no third-party weights).',
};

export const FIXTURES: FixtureSpec[] = [
  {
    id: 'fixture-texture-cnn',
    seed: 20200101,
    fixedKernels: [LAPLACIAN, NEG_LAPLACIAN, SECOND_DIFF_X, SECOND_DIFF_Y],
    headGain: 2.5,
    headBias: -2,
    manifest: {
      id: 'fixture-texture-cnn',
      name: 'Fixture texture CNN (test fixture)',
      shortName: 'Texture fix.',
      version: '1.0.0',
      task: 'generated',
      fixture: true,
      description: `${FIXTURE_NOTE} Preprocessing follows Wang et al. 2020 (centre crop without resize, ImageNet normalization, sigmoid output) at 64×64.`,
      input: { name: 'input', width: INPUT_SIZE, height: INPUT_SIZE, channels: 3, layout: 'NCHW' },
      outputs: { score: 'score', features: 'features' },
      scoreMeaning: 'probability_fake',
      preprocessing: { mode: 'center-crop', aggregate: 'mean', inputTransform: 'none', normalization: IMAGENET },
      defaultThreshold: 0.5,
      provenance: {
        ...PROVENANCE,
        source: 'Generated by scripts/make-fixture-model.ts (seed 20200101); fixed Laplacian/second-difference kernels plus seeded random weights.',
        reference: 'Preprocessing protocol of Wang et al., "CNN-generated images are surprisingly easy to spot... for now", CVPR 2020.',
      },
    },
  },
  {
    id: 'fixture-ela-cnn',
    seed: 20130902,
    fixedKernels: [BOX_MEAN, LAPLACIAN, NEG_LAPLACIAN],
    headGain: 14,
    headBias: -2.6,
    manifest: {
      id: 'fixture-ela-cnn',
      name: 'Fixture ELA CNN (test fixture)',
      shortName: 'ELA fix.',
      version: '1.0.0',
      task: 'manipulated',
      fixture: true,
      description: `${FIXTURE_NOTE} Preprocessing follows the ELA+CNN manipulation detectors trained on CASIA v2 (the error-level difference image, resized, is the network input), at 64×64.`,
      input: { name: 'input', width: INPUT_SIZE, height: INPUT_SIZE, channels: 3, layout: 'NCHW' },
      outputs: { score: 'score', features: 'features' },
      scoreMeaning: 'probability_fake',
      preprocessing: {
        mode: 'resize',
        resizeFit: 'fill',
        resizeKernel: 'linear',
        aggregate: 'mean',
        inputTransform: 'ela',
        elaQuality: 90,
        elaScale: 10,
        normalization: { mean: [0, 0, 0], std: [1, 1, 1] },
      },
      defaultThreshold: 0.5,
      provenance: {
        ...PROVENANCE,
        source: 'Generated by scripts/make-fixture-model.ts (seed 20130902); fixed box-mean/Laplacian kernels plus seeded random weights.',
        reference: 'Input pipeline of ELA+CNN detectors on CASIA v2 (Dong et al., "CASIA Image Tampering Detection Evaluation Database", ChinaSIP 2013).',
      },
    },
  },
];

function modelCard(m: ModelManifest, spec: FixtureSpec): string {
  const p = m.preprocessing;
  const pre = [
    `- mode: ${p.mode}${p.mode === 'resize' ? ` (${p.resizeFit ?? 'fill'}, ${p.resizeKernel ?? 'linear'})` : ''}`,
    `- input transform: ${p.inputTransform}${p.inputTransform === 'ela' ? ` (JPEG quality ${p.elaQuality}, scale ${p.elaScale})` : ''}`,
    `- normalization on 0..1 pixels: mean [${p.normalization.mean.join(', ')}], std [${p.normalization.std.join(', ')}]`,
  ];
  return [
    `# ${m.name}`,
    '',
    '> **TEST FIXTURE — NOT A DETECTOR.** This model was generated by `scripts/make-fixture-model.ts`',
    '> from a fixed seed. It has never been trained. Its score follows the texture energy of the',
    '> input, nothing more; never use it to judge evidence.',
    '',
    '## Purpose',
    '',
    'Exercises the inference layer end to end on a real ONNX file: manifest validation, SHA-256',
    'check, execution-provider selection and fallback, preprocessing, batching and aggregation.',
    '',
    '## Graph',
    '',
    `Input \`${m.input.name}\` float32 [N, 3, ${m.input.height}, ${m.input.width}] →`,
    'Conv 3→8 (3×3) → Relu → Conv 8→16 (3×3, stride 2, pad 1) → Relu → GlobalAveragePool → Flatten',
    `(output \`${m.outputs.features}\` [N, 16], an embedding) → Gemm 16→1 → Sigmoid (output \`${m.outputs.score}\` [N, 1]).`,
    '',
    `The first ${spec.fixedKernels.length} conv1 kernels are fixed (${spec.id === 'fixture-ela-cnn' ? 'box mean, ±Laplacian' : '±Laplacian, second differences'}),`,
    'passed through conv2 unchanged and weighted positively by the head; all other weights are',
    `seeded pseudo-random (mulberry32, seed ${spec.seed}).`,
    '',
    '## Preprocessing (manifest.json)',
    '',
    ...pre,
    '',
    '## Provenance',
    '',
    `- source: ${m.provenance.source}`,
    `- licence: ${m.provenance.licence}`,
    `- reference: ${m.provenance.reference}`,
    `- ONNX: IR version 8, opset 17, producer provenance-lab`,
    `- SHA-256 of model.onnx: \`${m.sha256}\``,
    '',
    'Regenerate with `npm run models:fixture`; the output is deterministic and a test checks',
    'that the committed files match it.',
    '',
  ].join('\n');
}

export interface FixtureFiles {
  id: string;
  files: { 'model.onnx': Uint8Array; 'manifest.json': string; 'MODEL_CARD.md': string };
}

/** Every fixture's files, in memory. */
export function buildFixtures(): FixtureFiles[] {
  return FIXTURES.map((spec) => {
    const model = fixtureModelBytes(fixtureWeights(spec), spec.manifest);
    const manifest: ModelManifest = { ...spec.manifest, sha256: createHash('sha256').update(model).digest('hex') };
    return {
      id: spec.id,
      files: { 'model.onnx': model, 'manifest.json': `${JSON.stringify(manifest, null, 2)}\n`, 'MODEL_CARD.md': modelCard(manifest, spec) },
    };
  });
}

export function fixtureSpec(id: string): FixtureSpec {
  const spec = FIXTURES.find((f) => f.id === id);
  if (!spec) throw new Error(`No fixture named ${id}`);
  return spec;
}

export function writeFixtures(modelsDir: string): string[] {
  const written: string[] = [];
  for (const fixture of buildFixtures()) {
    const dir = join(modelsDir, fixture.id);
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(fixture.files)) {
      writeFileSync(join(dir, name), content);
      written.push(join(dir, name));
    }
  }
  return written;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  for (const file of writeFixtures(join(root, 'resources', 'models'))) console.log(`wrote ${file}`);
}
