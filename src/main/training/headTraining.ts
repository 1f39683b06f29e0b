// Retraining without Python: embeddings from the current model's `features` output, a new
// logistic-regression head fitted in this process, and a new ONNX file that is the same
// backbone with the new head weights spliced in. Seconds for hundreds of images.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobProgress } from '../../contract/jobs';
import type { HeadTrainingEvent, HeadTrainingResult, ParityReport } from '../../contract/training';

export type { HeadTrainingResult };
import { Tensor } from 'onnxruntime-node';
import { Detector } from '../inference/detector';
import type { ModelManifest } from '../inference/manifest';
import type { ProviderRequest } from '../inference/providers';
import { preprocess } from '../inference/preprocess';
import { MANIFEST_FILE, MODEL_FILE, type RegisteredModel } from '../inference/registry';
import { createSession } from '../inference/session';
import { sha256Buffer } from '../ingest/hash';
import { ProgressTracker } from '../jobs/progress';
import { prepareItems, summarize, type DataSpec, type ResolvedItem } from './dataset';
import { evaluateOnSplit, forEachDecodedChunk, summarizeScores } from './evaluate';
import { fitLogistic } from './logistic';
import { findHead, withHead } from './onnxHead';
import { canonicalSha256 } from './trainingJob';
import { modelRefOf, registerVersion, SPLIT_FILE } from './versions';

export interface HeadTrainingOptions {
  /** The model whose backbone is kept (bundled, or a version from loadVersionModel). */
  model: RegisteredModel;
  data: DataSpec;
  userModelsDir: string;
  /** Registry id of the result; default: the starting model's id (a new version of it). */
  modelId?: string;
  /** L2 strength on standardised features (default 1e-3). */
  l2?: number;
  maxIterations?: number;
  /** Seed of the group split when data.splitSeed is absent (default 0). */
  seed?: number;
  provider?: ProviderRequest;
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
  onEvent?: (event: HeadTrainingEvent) => void;
}


/** |score − σ(w·f + b)| allowed between onnxruntime and this process (float32 vs float64). */
const VERIFY_TOLERANCE = 1e-5;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('Head training was cancelled.');
}

/** Features of every item, and with `withScores` the model's own scores. */
async function embed(detector: Detector, items: ResolvedItem[], withScores: boolean, tracker: ProgressTracker, options: HeadTrainingOptions) {
  const features: Float32Array[] = [];
  const scores: number[] = [];
  await forEachDecodedChunk(
    items,
    async (images, chunk) => {
      features.push(...(await detector.features(images)));
      if (withScores) for (const s of await detector.score(images)) scores.push(s.score);
      for (const it of chunk) tracker.finish(it.path, true);
      options.onProgress?.(tracker.snapshot());
    },
    options.signal,
  );
  return { features, scores };
}

function headManifest(parent: ModelManifest, modelId: string, summary: ReturnType<typeof summarize>, l2: number): ModelManifest {
  return {
    ...parent,
    id: modelId,
    name: parent.name.includes('(head retrained)') ? parent.name : `${parent.name} (head retrained)`,
    description: `${parent.description} Head retrained in Provenance Lab: L2-regularised, class-balanced logistic regression on the ${parent.outputs.features} embedding of ${summary.count} labelled images (${summary.real} real, ${summary.fake} fake); the backbone is unchanged.`,
    provenance: {
      ...parent.provenance,
      source: `Head retrained in-process (logistic regression, L2 ${l2}) from ${parent.id} ${parent.version} (SHA-256 ${parent.sha256}); backbone: ${parent.provenance.source}`,
      trainedOn: `${summary.count} images, data SHA-256 ${summary.sha256}`,
    },
  };
}

export async function trainHead(options: HeadTrainingOptions): Promise<HeadTrainingResult> {
  const started = performance.now();
  const { model } = options;
  if (model.status !== 'ok') throw new Error(`Model ${model.id} cannot be used: ${model.problem}`);
  const parentManifest = model.manifest;
  const modelId = options.modelId ?? parentManifest.id;
  const l2 = options.l2 ?? 1e-3;
  const stage = (s: Extract<HeadTrainingEvent, { type: 'stage' }>['stage'], message: string) => options.onEvent?.({ type: 'stage', stage: s, message });

  // Fail before any work when the graph has no replaceable head.
  const original = new Uint8Array(await readFile(model.modelPath));
  const head = findHead(original, parentManifest);

  stage('hash', 'Hashing and splitting the labelled images');
  const seed = options.seed ?? 0;
  const { train, val } = await prepareItems(options.data, seed);
  const tracker = new ProgressTracker();
  tracker.setTotal(train.length + val.length);

  stage('embed', `Embedding ${train.length + val.length} images with ${parentManifest.id}`);
  const detector = await Detector.open(model, { provider: options.provider });
  let trainSet: Awaited<ReturnType<typeof embed>>;
  let valSet: Awaited<ReturnType<typeof embed>>;
  try {
    trainSet = await embed(detector, train, false, tracker, options);
    valSet = await embed(detector, val, true, tracker, options);
  } finally {
    await detector.close();
  }
  const before = summarizeScores(valSet.scores, val.map((it) => it.label), parentManifest.defaultThreshold);
  if (trainSet.features[0]?.length !== head.inFeatures) {
    throw new Error(`The features output has ${trainSet.features[0]?.length} values but the head reads ${head.inFeatures}`);
  }

  checkCancelled(options.signal);
  stage('fit', `Fitting a logistic-regression head on ${train.length} embeddings`);
  const fit = fitLogistic(
    trainSet.features,
    train.map((it) => it.label === 'fake'),
    { l2, maxIterations: options.maxIterations, onIteration: (iteration, loss) => options.onEvent?.({ type: 'fit', iteration, loss }) },
  );
  const weight32 = Float32Array.from(fit.weight);
  const bias32 = Math.fround(fit.bias);
  const logit = (f: Float32Array) => {
    let z = bias32;
    for (let j = 0; j < f.length; j++) z += weight32[j] * f[j];
    return z;
  };
  /** What the graph's score output will hold for these features: probability or logit. */
  const graphScore = (f: Float32Array) => (head.sigmoid ? sigmoid(logit(f)) : logit(f));
  const probability = (f: Float32Array) => sigmoid(logit(f));
  const threshold = parentManifest.defaultThreshold;
  const trainAccuracy = summarizeScores(trainSet.features.map(probability), train.map((it) => it.label), threshold).accuracy;
  const fitted = summarizeScores(valSet.features.map(probability), val.map((it) => it.label), threshold);

  stage('write', 'Writing the new ONNX model');
  const bytes = withHead(original, head, weight32, bias32);
  const summaryAll = summarize([...train, ...val]);
  const manifest: ModelManifest = { ...headManifest(parentManifest, modelId, summaryAll, l2), sha256: sha256Buffer(bytes) };
  const work = await mkdtemp(join(tmpdir(), 'provenance-head-'));
  try {
    const modelPath = join(work, MODEL_FILE);
    await writeFile(modelPath, bytes);
    await writeFile(join(work, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    const splitPath = join(work, SPLIT_FILE);
    await writeFile(splitPath, JSON.stringify({ dataSha256: summaryAll.sha256, train: summarize(train), val: summarize(val), items: [...train, ...val] }, null, 2));
    const candidate: RegisteredModel & { status: 'ok' } = { id: modelId, dir: work, modelPath, status: 'ok', manifest };

    stage('verify', 'Checking the written model against the embeddings and the new head');
    const verification = await verifyHead(candidate, val.slice(0, 16), valSet.features.slice(0, 16), graphScore);
    if (!verification.ok) {
      throw new Error(`The rewritten ONNX model does not compute the trained head (difference ${verification.maxAbsDiff.toExponential(2)}); nothing was registered.`);
    }

    stage('evaluate', `Scoring ${val.length} validation images with the new model`);
    checkCancelled(options.signal);
    const after = (await evaluateOnSplit(candidate, val, { provider: options.provider, signal: options.signal })).metrics;

    stage('register', 'Registering the new version');
    const job = {
      kind: 'head',
      from: modelRefOf(model),
      l2,
      maxIterations: options.maxIterations ?? 200,
      seed,
      valFraction: options.data.valFraction ?? 0.2,
      splitSeed: options.data.splitSeed ?? seed,
      dataSha256: summaryAll.sha256,
    };
    const version = await registerVersion(options.userModelsDir, {
      modelId,
      source: 'head',
      parent: job.from,
      jobSha256: canonicalSha256(job),
      job,
      data: { train: summarize(train), val: summarize(val) },
      // trainer: the fitted head on the validation embeddings; detector: the written file.
      metrics: { trainer: { valLoss: fitted.loss, valAcc: fitted.accuracy, valAp: fitted.averagePrecision }, detector: after },
      baseline: { model: job.from, metrics: before },
      parity: verification,
      history: [],
      files: { onnx: modelPath, manifest, split: splitPath },
    });
    options.onEvent?.({ type: 'registered', version });
    return { version, before, after, trainAccuracy, fit: { iterations: fit.iterations, loss: fit.loss, converged: fit.converged }, verification, seconds: (performance.now() - started) / 1000 };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs the written model crop by crop on some validation images: its features must equal the
 * starting model's (the backbone was not touched) and each crop's score output must equal the
 * head computed here on that crop's features. Crop by crop, so multi-crop models and models
 * with a fixed batch of one are checked the same way.
 */
async function verifyHead(
  candidate: RegisteredModel & { status: 'ok' },
  items: ResolvedItem[],
  expectedFeatures: Float32Array[],
  graphScore: (f: Float32Array) => number,
): Promise<ParityReport> {
  const m = candidate.manifest;
  const { session } = await createSession(candidate.modelPath, ['cpu']);
  let featuresMaxAbsDiff = 0;
  let scoreMaxAbsDiff = 0;
  try {
    let at = 0;
    await forEachDecodedChunk(items, async (images) => {
      for (const image of images) {
        const crops = await preprocess(image, m);
        const mean = new Float32Array(expectedFeatures[at].length);
        for (const crop of crops) {
          const out = await session.run({ [m.input.name]: new Tensor('float32', crop, [1, 3, m.input.height, m.input.width]) }, [m.outputs.score, m.outputs.features!]);
          const f = out[m.outputs.features!].data as Float32Array;
          const score = (out[m.outputs.score].data as Float32Array)[0];
          scoreMaxAbsDiff = Math.max(scoreMaxAbsDiff, Math.abs(score - graphScore(f)));
          for (let j = 0; j < f.length; j++) mean[j] += f[j] / crops.length;
        }
        const expected = expectedFeatures[at];
        for (let j = 0; j < mean.length; j++) featuresMaxAbsDiff = Math.max(featuresMaxAbsDiff, Math.abs(mean[j] - expected[j]));
        at += 1;
      }
    });
  } finally {
    await session.release();
  }
  const maxAbsDiff = Number.isNaN(featuresMaxAbsDiff + scoreMaxAbsDiff) ? Infinity : Math.max(featuresMaxAbsDiff, scoreMaxAbsDiff);
  return { scoreMaxAbsDiff, featuresMaxAbsDiff, maxAbsDiff, maxScaledDiff: maxAbsDiff, tolerance: VERIFY_TOLERANCE, ok: maxAbsDiff <= VERIFY_TOLERANCE, batch: items.length };
}
