// One loaded model, ready to score decoded images: preprocessing per the manifest, crops of
// many images stacked into batches, scores split back per image and aggregated.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { ExecutionProviderName, FaceScore, ImageBox, LocalizationMap, ModelScore } from '../../contract/evidence';
import { EvidenceError } from '../errors';
import type { DecodedImage } from '../ingest/decoded';
import { cropFace, FaceDetector, type FaceDetection } from './faces';
import { operatingPointOf, type ModelManifest } from './manifest';
import { cropWindows, faceTensor, paddedCanvas, preprocess } from './preprocess';
import { providerOrder, type ProviderRequest } from './providers';
import type { RegisteredModel } from './registry';
import { createSession, type ProviderAttempt } from './session';

export const DEFAULT_MAX_BATCH = 16;

export interface DetectorOptions {
  /** Execution provider; default 'auto' (callers pass the configured one, see ModelCatalogue). */
  provider?: ProviderRequest;
  /** Fail instead of falling back when a named provider cannot run the model.
   *  Default: true for a named provider, irrelevant for 'auto'. */
  strict?: boolean;
  /** onnxruntime intra-op threads (CPU); its own default when absent. */
  threads?: number;
  /** Most crops per session run. Default 16. */
  maxBatch?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A crop waiting for a batch, remembering which image it came from. */
interface PendingCrop {
  image: number;
  tensor: Float32Array;
}

/** Output rows of one crop, by output name. */
type CropOutputs = Record<string, Float32Array>;

export class Detector {
  /** The registry entry this detector was opened from. */
  readonly model: RegisteredModel & { status: 'ok' };
  readonly manifest: ModelManifest;
  readonly provider: ExecutionProviderName;
  /** Every provider tried, in order, with the reason each failed one was skipped. */
  readonly attempts: ProviderAttempt[];
  readonly maxBatch: number;
  private readonly session: InferenceSession;
  /** Face models: the detector that finds the faces they score. */
  private readonly faceDetector?: FaceDetector;
  /** A model whose batch dimension is fixed (exported with batch 1, say) gets exactly that many inputs per run. */
  private readonly fixedBatch?: number;
  /** onnxruntime sessions must not run concurrently from JS; runs are chained here. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    model: RegisteredModel & { status: 'ok' },
    opened: Awaited<ReturnType<typeof createSession>>,
    maxBatch: number,
    fixedBatch?: number,
    faceDetector?: FaceDetector,
  ) {
    this.model = model;
    this.manifest = model.manifest;
    this.session = opened.session;
    this.faceDetector = faceDetector;
    this.provider = opened.provider;
    this.attempts = opened.attempts;
    this.fixedBatch = fixedBatch;
    this.maxBatch = fixedBatch ?? maxBatch;
  }

  static async open(model: RegisteredModel, options: DetectorOptions = {}): Promise<Detector> {
    if (model.status !== 'ok') throw new Error(`Model ${model.id} is not usable: ${model.problem}`);
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a whole number >= 1, got ${maxBatch}`);
    const order = providerOrder(options.provider ?? 'auto', { strict: options.strict });
    const opened = await createSession(model.modelPath, order, { intraOpNumThreads: options.threads });
    let faceDetector: FaceDetector | undefined;
    try {
      const fixedBatch = checkSessionMatchesManifest(opened.session, model.manifest);
      const face = model.manifest.preprocessing.face;
      // The face detector runs where the model runs (it is tiny; the CPU is always in the order).
      if (model.manifest.preprocessing.mode === 'face-crop' && face) faceDetector = await FaceDetector.open(face.detector, { providers: [opened.provider, 'cpu'], threads: options.threads });
      return new Detector(model, opened, maxBatch, fixedBatch, faceDetector);
    } catch (err) {
      await opened.session.release();
      await faceDetector?.close();
      throw err;
    }
  }

  /**
   * Scores each image (same order as given); fixture models are marked `fixture: true`.
   * Face models score every face found and the image by its most suspicious face (score 0 and
   * `faces: []` when there is none); models with a heatmap output add the localisation map.
   */
  async score(images: DecodedImage[]): Promise<ModelScore[]> {
    const m = this.manifest;
    const outputs = m.outputs.heatmap ? [m.outputs.score, m.outputs.heatmap] : [m.outputs.score];
    const { rows: perImage, faces } = await this.runAll(images, outputs);
    return perImage.map((crops, i) => {
      const cropScores = crops.map((row) => {
        const values = row[m.outputs.score];
        if (values.length !== 1) throw this.failure(`score output "${m.outputs.score}" has ${values.length} values per input, expected 1`);
        const raw = values[0];
        if (!Number.isFinite(raw)) throw this.failure(`the model produced a non-finite score (${raw})`);
        return m.scoreMeaning === 'logit_fake' ? sigmoid(raw) : raw;
      });
      let score: number;
      if (cropScores.length === 0) score = 0; // a face model that found no face
      else score = m.preprocessing.aggregate === 'max' ? Math.max(...cropScores) : cropScores.reduce((a, b) => a + b, 0) / cropScores.length;
      const result: ModelScore = {
        modelId: m.id,
        modelVersion: m.version,
        modelSha256: m.sha256,
        task: m.task,
        score,
        cropScores,
        threshold: m.defaultThreshold,
        flagged: cropScores.length > 0 && score >= m.defaultThreshold,
        provider: this.provider,
        fixture: m.fixture,
      };
      const operating = operatingPointOf(m);
      if (operating?.fpr !== null && operating?.fpr !== undefined) result.falsePositiveRate = operating.fpr;
      if (faces) result.faces = faces[i].map((f, k): FaceScore => ({ box: f.box, detectorScore: f.score, score: cropScores[k] }));
      if (m.outputs.heatmap && crops.length > 0) result.localization = this.localization(images[i], crops[0][m.outputs.heatmap]);
      return result;
    });
  }

  /** The heatmap output of an image's (single) crop as a LocalizationMap over the image region it covers. */
  private localization(image: DecodedImage, values: Float32Array): LocalizationMap {
    const m = this.manifest;
    // The map is square or has the input's aspect ratio: [1, h, w] with h/w = input height/width.
    const width = Math.round(Math.sqrt((values.length * m.input.width) / m.input.height));
    const height = values.length / width;
    if (!Number.isInteger(height) || width * height !== values.length) throw this.failure(`heatmap output "${m.outputs.heatmap}" has ${values.length} values, not a grid with the input's aspect ratio`);
    const bytes = Buffer.alloc(values.length);
    let max = 0;
    let high = 0;
    for (let i = 0; i < values.length; i++) {
      const p = Math.min(1, Math.max(0, values[i]));
      if (!Number.isFinite(values[i])) throw this.failure('the heatmap holds non-finite values');
      bytes[i] = Math.round(p * 255);
      max = Math.max(max, p);
      if (p >= 0.5) high++;
    }
    let region: ImageBox = { x: 0, y: 0, width: image.width, height: image.height };
    if (m.preprocessing.mode !== 'resize') {
      const canvas = paddedCanvas(image.width, image.height, m.input.width, m.input.height);
      const w = cropWindows(m.preprocessing, canvas.width, canvas.height, m.input.width, m.input.height)[0];
      region = { x: w.x - canvas.padLeft, y: w.y - canvas.padTop, width: m.input.width, height: m.input.height };
    }
    return { output: m.outputs.heatmap!, width, height, values: bytes.toString('base64'), region, max, share: high / values.length };
  }

  /** The embedding output per image; several crops are averaged into one vector. */
  async features(images: DecodedImage[]): Promise<Float32Array[]> {
    const name = this.manifest.outputs.features;
    if (!name) throw new Error(`Model ${this.manifest.id} declares no features output`);
    const { rows: perImage } = await this.runAll(images, [name]);
    return perImage.map((crops) => {
      if (crops.length === 0) throw new EvidenceError('MODEL_FAILED', `Model ${this.manifest.id} found no face to describe in this image`);
      const mean = new Float32Array(crops[0][name].length);
      for (const c of crops) for (let i = 0; i < mean.length; i++) mean[i] += c[name][i] / crops.length;
      return mean;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A failed run already rejected to its own caller; closing only waits for it to end.
    await this.queue.catch(() => undefined);
    await this.session.release();
    await this.faceDetector?.close();
  }

  private failure(reason: string, cause?: unknown): EvidenceError {
    return new EvidenceError('MODEL_FAILED', `Model ${this.manifest.id} failed: ${reason}`, { cause });
  }

  /** Preprocesses image by image and runs full batches as they fill, so memory stays at
   *  about one batch however many images are passed. Returns output rows per image, per crop,
   *  by output name, and for face models the faces each image's crops came from. */
  private async runAll(images: DecodedImage[], outputs: string[]): Promise<{ rows: CropOutputs[][]; faces?: FaceDetection[][] }> {
    if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
    const results: CropOutputs[][] = images.map(() => []);
    const faces: FaceDetection[][] | undefined = this.faceDetector ? images.map(() => []) : undefined;
    let pending: PendingCrop[] = [];
    const flush = async (count: number) => {
      const batch = pending.slice(0, count);
      pending = pending.slice(count);
      const rows = await this.runBatch(batch.map((p) => p.tensor), outputs);
      batch.forEach((p, i) => results[p.image].push(rows[i]));
    };
    for (let i = 0; i < images.length; i++) {
      let crops: Float32Array[];
      try {
        if (faces) {
          faces[i] = await this.findFaces(images[i]);
          crops = await this.faceCrops(images[i], faces[i]);
        } else crops = await preprocess(images[i], this.manifest);
      } catch (err) {
        if (err instanceof EvidenceError) throw err;
        throw this.failure(`preprocessing image ${i + 1} of ${images.length}: ${(err as Error).message}`, err);
      }
      for (const tensor of crops) pending.push({ image: i, tensor });
      while (pending.length >= this.maxBatch) await flush(this.maxBatch);
    }
    if (pending.length > 0) await flush(pending.length);
    return { rows: results, faces };
  }

  private findFaces(image: DecodedImage): Promise<FaceDetection[]> {
    const face = this.manifest.preprocessing.face!;
    return this.faceDetector!.detect(image, { minScore: face.minScore, nmsIou: face.nmsIou, maxFaces: face.maxFaces });
  }

  private async faceCrops(image: DecodedImage, found: FaceDetection[]): Promise<Float32Array[]> {
    const { face } = this.manifest.preprocessing;
    const crops: Float32Array[] = [];
    for (const f of found) crops.push(faceTensor(await cropFace(image, f.box, face!.margin, this.manifest.input.width), this.manifest));
    return crops;
  }

  /** One session run over a stack of crops; returns the output rows of each crop, by output name. */
  private runBatch(tensors: Float32Array[], outputs: string[]): Promise<CropOutputs[]> {
    const { input } = this.manifest;
    const size = input.channels * input.height * input.width;
    const batch = this.fixedBatch ?? tensors.length;
    const stacked = new Float32Array(batch * size);
    tensors.forEach((t, i) => stacked.set(t, i * size));
    const feeds = { [input.name]: new Tensor('float32', stacked, [batch, input.channels, input.height, input.width]) };

    const run = this.queue.then(async () => {
      // close() may have released the session while this batch waited its turn.
      if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
      let result;
      try {
        result = await this.session.run(feeds, outputs);
      } catch (err) {
        throw this.failure(`inference on ${this.provider}: ${(err as Error).message}`, err);
      }
      const rows: CropOutputs[] = tensors.map(() => ({}));
      for (const output of outputs) {
        const data = result[output].data;
        if (!(data instanceof Float32Array) || data.length % batch !== 0) {
          throw this.failure(`output "${output}" is not float32 with one row per input (${data.length} values for ${batch} inputs)`);
        }
        const width = data.length / batch;
        tensors.forEach((_, i) => (rows[i][output] = data.slice(i * width, (i + 1) * width)));
      }
      return rows;
    });
    // The queue only orders runs; each run's own promise carries its error to its caller.
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * The ONNX file must have the input and outputs the manifest names, with compatible fixed
 * dimensions; catching this at open time gives one clear message instead of a failure per
 * image. Returns the batch size when the model fixes it.
 */
function checkSessionMatchesManifest(session: InferenceSession, manifest: ModelManifest): number | undefined {
  const { input, outputs, id } = manifest;
  if (!session.inputNames.includes(input.name)) {
    throw new Error(`Model ${id}: manifest input "${input.name}" is not in the ONNX file (inputs: ${session.inputNames.join(', ')})`);
  }
  for (const name of [outputs.score, outputs.features, outputs.heatmap]) {
    if (name && !session.outputNames.includes(name)) {
      throw new Error(`Model ${id}: manifest output "${name}" is not in the ONNX file (outputs: ${session.outputNames.join(', ')})`);
    }
  }
  const meta = session.inputMetadata[session.inputNames.indexOf(input.name)];
  if (!meta?.isTensor) return undefined;
  const expected = [undefined, input.channels, input.height, input.width];
  meta.shape.forEach((dim, axis) => {
    if (axis > 0 && typeof dim === 'number' && dim !== expected[axis]) {
      throw new Error(`Model ${id}: ONNX input shape [${meta.shape.join(', ')}] does not match the manifest's [N, ${input.channels}, ${input.height}, ${input.width}]`);
    }
  });
  if (meta.shape.length !== 4) throw new Error(`Model ${id}: ONNX input has ${meta.shape.length} dimensions, expected 4 (NCHW)`);
  const batch = meta.shape[0];
  return typeof batch === 'number' && batch > 0 ? batch : undefined;
}
