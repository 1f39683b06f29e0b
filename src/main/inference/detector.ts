// One loaded model, ready to score decoded images: preprocessing per the manifest, crops of
// many images stacked into batches, scores split back per image and aggregated.
//
// Sessions run in the inference host's worker thread (inferenceHost.ts): the calling thread
// only sends tensors and receives scores. Callers that already have the model inputs (the
// analyse pipeline builds them while it prepares each file) use scoreInputs; score() builds
// them from decoded images, also off the calling thread. Face-crop models score faces: their
// inputs come with the faces they were cut from (prepare finds them in its workers), and score()
// finds them with the detector's own face detector.
import type { ExecutionProviderName, FaceScore, ImageBox, LocalizationMap, ModelScore } from '../../contract/evidence';
import { EvidenceError } from '../errors';
import type { DecodedImage } from '../ingest/decoded';
import { inferenceHost, inProcessHost, type InferenceHost, type SessionHandle } from './inferenceHost';
import { faceInputs, FaceDetector, type FaceDetection } from './faces';
import { operatingPointOf, type ModelManifest } from './manifest';
import { cropWindows, paddedCanvas } from './preprocess';
import { providerOrder, type ProviderRequest } from './providers';
import type { RegisteredModel } from './registry';
import { defaultIntraOpThreads, SessionOpenError, type ProviderAttempt } from './session';

/** A GPU provider failed for a reason other than the machine having no GPU adapter. */
function gpuFailedForAnotherReason(attempts: ProviderAttempt[]): boolean {
  return attempts.some((a) => a.error !== undefined && a.provider !== 'cpu' && !/adapter/i.test(a.error));
}

export const DEFAULT_MAX_BATCH = 16;

export interface DetectorOptions {
  /** Execution provider; default 'auto' (callers pass the configured one, see ModelCatalogue). */
  provider?: ProviderRequest;
  /** Fail instead of falling back when a named provider cannot run the model.
   *  Default: true for a named provider, irrelevant for 'auto'. */
  strict?: boolean;
  /** onnxruntime intra-op threads (CPU); defaultIntraOpThreads() when absent. */
  threads?: number;
  /** Most crops per session run. Default 16. */
  maxBatch?: number;
  /** Where the session runs; default: the process's inference host (a worker thread). */
  host?: InferenceHost;
  /** Folder of face detectors (config.faceDetectorsDir); default: resources/faces of this checkout. */
  faceDetectorsDir?: string;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * What scoring prepared inputs needs besides the tensors: the size of the decoded image they were
 * built from (the region a heatmap covers) and, for a face-crop model, the faces its crops were
 * cut from, in the same order (none found: no crops, no faces).
 */
export interface InputContext {
  width: number;
  height: number;
  faces?: FaceDetection[];
}

/** Output rows of one crop, by output name. */
type CropOutputs = Record<string, Float32Array>;

/** A crop waiting for a batch, remembering which image it came from. */
interface PendingCrop {
  image: number;
  tensor: Float32Array;
}

export class Detector {
  /** The registry entry this detector was opened from. */
  readonly model: RegisteredModel & { status: 'ok' };
  readonly manifest: ModelManifest;
  readonly provider: ExecutionProviderName;
  /** Every provider tried, in order, with the reason each failed one was skipped. */
  readonly attempts: ProviderAttempt[];
  readonly maxBatch: number;
  /** Whether the session runs in the inference worker or on the calling thread. */
  readonly runsIn: InferenceHost['where'];
  private readonly host: InferenceHost;
  private readonly session: SessionHandle;
  /** A model whose batch dimension is fixed (exported with batch 1, say) gets exactly that many inputs per run. */
  private readonly fixedBatch?: number;
  /** Face models: the detector that finds the faces score() scores (scoreInputs gets them with the inputs). */
  private readonly faceDetector?: FaceDetector;

  /** Where this model's face detector was opened from: prepare workers open the same one. */
  get faceDetectorsDir(): string | undefined {
    return this.faceDetector?.dir;
  }
  /** onnxruntime sessions must not run concurrently from JS; runs are chained here. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    model: RegisteredModel & { status: 'ok' },
    host: InferenceHost,
    session: SessionHandle,
    maxBatch: number,
    fixedBatch?: number,
    faceDetector?: FaceDetector,
  ) {
    this.model = model;
    this.faceDetector = faceDetector;
    this.manifest = model.manifest;
    this.host = host;
    this.runsIn = host.where;
    this.session = session;
    this.provider = session.provider;
    this.attempts = session.attempts;
    this.fixedBatch = fixedBatch;
    this.maxBatch = fixedBatch ?? maxBatch;
  }

  static async open(model: RegisteredModel, options: DetectorOptions = {}): Promise<Detector> {
    if (model.status !== 'ok') throw new Error(`Model ${model.id} is not usable: ${model.problem}`);
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a whole number >= 1, got ${maxBatch}`);
    const order = providerOrder(options.provider ?? 'auto', { strict: options.strict });
    const sessionOptions = { intraOpNumThreads: options.threads ?? defaultIntraOpThreads() };
    let host = options.host ?? (await inferenceHost());
    let session: SessionHandle;
    try {
      session = await host.open(model.modelPath, order, sessionOptions);
    } catch (err) {
      if (options.host || host.where !== 'worker' || !gpuFailedForAnotherReason(err instanceof SessionOpenError ? err.attempts : [])) throw err;
      // See below: a GPU provider may work on the main thread where it failed in the worker.
      host = inProcessHost;
      session = await host.open(model.modelPath, order, sessionOptions);
    }
    if (!options.host && host.where === 'worker' && gpuFailedForAnotherReason(session.attempts)) {
      // A GPU provider failed in the worker although the machine has a GPU adapter (the failure
      // is not "no adapter"): try the main thread before settling for a slower provider, so
      // moving inference off the main thread never costs a machine its GPU.
      const here = await inProcessHost.open(model.modelPath, order, sessionOptions).catch(() => null);
      if (here && order.indexOf(here.provider) < order.indexOf(session.provider)) {
        await session.release();
        session = here;
        host = inProcessHost;
      } else await here?.release();
    }
    let faceDetector: FaceDetector | undefined;
    try {
      const fixedBatch = checkSessionMatchesManifest(session, model.manifest);
      const face = model.manifest.preprocessing.face;
      // The face detector is tiny: it runs on the calling thread, where the model runs or on the CPU.
      if (model.manifest.preprocessing.mode === 'face-crop' && face) {
        faceDetector = await FaceDetector.open(face.detector, { dir: options.faceDetectorsDir, providers: [...new Set([session.provider, 'cpu' as const])], threads: options.threads });
      }
      return new Detector(model, host, session, maxBatch, fixedBatch, faceDetector);
    } catch (err) {
      await session.release();
      await faceDetector?.close();
      throw err;
    }
  }

  /** The outputs a score needs: the score, and the tamper heatmap when the model has one. */
  private scoreOutputs(): string[] {
    const { outputs } = this.manifest;
    return outputs.heatmap ? [outputs.score, outputs.heatmap] : [outputs.score];
  }

  /**
   * Scores each image (same order as given); fixture models are marked `fixture: true`.
   * Face models score every face found and the image by its most suspicious face (score 0 and
   * `faces: []` when there is none); models with a heatmap output add the localisation map.
   */
  async score(images: DecodedImage[]): Promise<ModelScore[]> {
    const { rows, faces } = await this.runAll(images, this.scoreOutputs());
    return this.toScores(rows, images.map((image, i) => ({ width: image.width, height: image.height, faces: faces?.[i] })));
  }

  /**
   * Scores images whose input tensors were already built (preprocess / preprocessFromElaPass /
   * faceInputs): one list of crops per image, and per image its InputContext. No pixels cross to
   * this thread or the inference worker. A face model's inputs must come with their faces.
   */
  async scoreInputs(inputs: Float32Array[][], context: readonly InputContext[]): Promise<ModelScore[]> {
    if (context.length !== inputs.length) throw new Error(`scoreInputs: ${inputs.length} inputs but ${context.length} contexts`);
    return this.toScores(await this.runInputs(inputs, context, this.scoreOutputs()), context);
  }

  private toScores(perImage: CropOutputs[][], context: readonly InputContext[]): ModelScore[] {
    const m = this.manifest;
    const operatingPoint = operatingPointOf(m);
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
        ...(operatingPoint ? { operatingPoint } : {}),
        provider: this.provider,
        fixture: m.fixture,
      };
      const faces = context[i].faces;
      if (this.isFaceModel()) result.faces = (faces ?? []).map((f, k): FaceScore => ({ box: f.box, detectorScore: f.score, score: cropScores[k] }));
      if (m.outputs.heatmap && crops.length > 0) result.localization = this.localization(context[i], crops[0][m.outputs.heatmap]);
      return result;
    });
  }

  private isFaceModel(): boolean {
    return this.manifest.preprocessing.mode === 'face-crop';
  }

  /** The heatmap output of an image's (single) crop as a LocalizationMap over the image region it covers. */
  private localization(image: InputContext, values: Float32Array): LocalizationMap {
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
    // Releasing a session whose worker already stopped has nothing left to free.
    await this.session.release().catch(() => undefined);
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
    const batcher = this.batcher(images.length, outputs);
    const faces: FaceDetection[][] | undefined = this.faceDetector ? images.map(() => []) : undefined;
    for (let i = 0; i < images.length; i++) {
      let crops: Float32Array[];
      try {
        if (faces) {
          const found = await faceInputs(images[i], this.manifest, this.faceDetector!);
          faces[i] = found.faces;
          crops = found.crops;
        } else crops = await this.host.preprocess(images[i], this.manifest);
      } catch (err) {
        if (err instanceof EvidenceError) throw err;
        throw this.failure(`preprocessing image ${i + 1} of ${images.length}: ${(err as Error).message}`, err);
      }
      await batcher.add(i, crops);
    }
    return { rows: await batcher.finish(), faces };
  }

  private async runInputs(inputs: Float32Array[][], context: readonly InputContext[], outputs: string[]): Promise<CropOutputs[][]> {
    if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
    const { input } = this.manifest;
    const size = input.channels * input.height * input.width;
    const batcher = this.batcher(inputs.length, outputs);
    for (let i = 0; i < inputs.length; i++) {
      const crops = inputs[i];
      // A face model has one crop per face found, so none for an image without faces.
      if ((crops.length === 0 && !this.isFaceModel()) || crops.some((c) => c.length !== size)) {
        throw this.failure(`input ${i + 1} of ${inputs.length} has ${crops.length} crops of ${crops.map((c) => c.length).join('/')} values, expected crops of ${size}`);
      }
      const faces = context[i].faces;
      if (this.isFaceModel() && faces?.length !== crops.length) {
        throw this.failure(`input ${i + 1} of ${inputs.length} has ${crops.length} face crops but ${faces === undefined ? 'no faces' : `${faces.length} faces`} to show them on`);
      }
      await batcher.add(i, crops);
    }
    return batcher.finish();
  }

  /** Stacks crops of many images into runs of maxBatch and splits the output rows back per image. */
  private batcher(count: number, outputs: string[]) {
    const results: CropOutputs[][] = Array.from({ length: count }, () => []);
    let pending: PendingCrop[] = [];
    const flush = async (n: number) => {
      const batch = pending.slice(0, n);
      pending = pending.slice(n);
      const rows = await this.runBatch(batch.map((p) => p.tensor), outputs);
      batch.forEach((p, i) => results[p.image].push(rows[i]));
    };
    return {
      add: async (image: number, crops: Float32Array[]) => {
        for (const tensor of crops) pending.push({ image, tensor });
        while (pending.length >= this.maxBatch) await flush(this.maxBatch);
      },
      finish: async () => {
        if (pending.length > 0) await flush(pending.length);
        return results;
      },
    };
  }

  /** One session run over a stack of crops; returns the output rows of each crop, by output name. */
  private runBatch(tensors: Float32Array[], outputs: string[]): Promise<CropOutputs[]> {
    const { input } = this.manifest;
    const size = input.channels * input.height * input.width;
    const batch = this.fixedBatch ?? tensors.length;
    const stacked = new Float32Array(batch * size);
    tensors.forEach((t, i) => stacked.set(t, i * size));

    const run = this.queue.then(async () => {
      // close() may have released the session while this batch waited its turn.
      if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
      let result: Record<string, Float32Array>;
      try {
        result = await this.session.run(input.name, stacked, [batch, input.channels, input.height, input.width], outputs);
      } catch (err) {
        throw this.failure(`inference on ${this.provider}: ${(err as Error).message}`, err);
      }
      const rows: CropOutputs[] = tensors.map(() => ({}));
      for (const output of outputs) {
        const data = result[output];
        if (!(data instanceof Float32Array) || data.length % batch !== 0) {
          throw this.failure(`output "${output}" is not float32 with one row per input (${data?.length} values for ${batch} inputs)`);
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
function checkSessionMatchesManifest(session: SessionHandle, manifest: ModelManifest): number | undefined {
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
