// Scores labelled images through the app's own inference path (decode → preprocess per
// manifest → onnxruntime) and summarises them: the held-out numbers a candidate model and the
// model it would replace are compared on.
import { readFile } from 'node:fs/promises';
import type { TrainingLabel, ValidationMetrics } from '../../contract/training';
import { Detector, type DetectorOptions } from '../inference/detector';
import type { RegisteredModel } from '../inference/registry';
import { DEFAULT_INGEST_OPTIONS, decodeImage, type DecodedImage } from '../ingest';
import { accuracy, averagePrecision, crossEntropy } from './metrics';

export interface LabelledPath {
  path: string;
  label: TrainingLabel;
}

/** Images decoded per detector call: bounds memory whatever the size of the set. */
const CHUNK = 16;

export async function decodeFile(path: string): Promise<DecodedImage> {
  return decodeImage(await readFile(path), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels, fileName: path });
}

/** Calls `work` on consecutive decoded chunks of the items, in order. */
export async function forEachDecodedChunk<T extends { path: string }>(
  items: T[],
  work: (images: DecodedImage[], chunk: T[]) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) {
    if (signal?.aborted) throw new Error('Cancelled');
    const chunk = items.slice(i, i + CHUNK);
    await work(await Promise.all(chunk.map((it) => decodeFile(it.path))), chunk);
  }
}

export function summarizeScores(scores: number[], labels: TrainingLabel[], threshold: number): ValidationMetrics {
  const fake = labels.map((l) => l === 'fake');
  return {
    count: scores.length,
    real: fake.filter((f) => !f).length,
    fake: fake.filter(Boolean).length,
    accuracy: accuracy(scores, fake, threshold),
    averagePrecision: averagePrecision(scores, fake),
    loss: crossEntropy(scores, fake),
    threshold,
  };
}

/** Scores every item with the model (its manifest's preprocessing and threshold). */
export async function evaluateOnSplit(
  model: RegisteredModel,
  items: LabelledPath[],
  options: DetectorOptions & { signal?: AbortSignal; onScored?: (done: number) => void } = {},
): Promise<{ metrics: ValidationMetrics; scores: number[] }> {
  const detector = await Detector.open(model, options);
  try {
    const scores: number[] = [];
    await forEachDecodedChunk(
      items,
      async (images) => {
        for (const s of await detector.score(images)) scores.push(s.score);
        options.onScored?.(scores.length);
      },
      options.signal,
    );
    return { metrics: summarizeScores(scores, items.map((it) => it.label), detector.manifest.defaultThreshold), scores };
  } finally {
    await detector.close();
  }
}
