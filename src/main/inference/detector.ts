// One loaded model, ready to score decoded images: preprocessing per the manifest, crops of
// many images stacked into batches, scores split back per image and aggregated.
//
// Sessions run in the inference host's worker thread (inferenceHost.ts): the calling thread
// only sends tensors and receives scores. Callers that already have the model inputs (the
// analyse pipeline builds them while it prepares each file) use scoreInputs; score() builds
// them from decoded images, also off the calling thread.
import type { ExecutionProviderName, ModelScore } from '../../contract/evidence';
import { EvidenceError } from '../errors';
import type { DecodedImage } from '../ingest/decoded';
import { inferenceHost, inProcessHost, type InferenceHost, type SessionHandle } from './inferenceHost';
import { operatingPointOf, type ModelManifest } from './manifest';
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
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

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
  /** onnxruntime sessions must not run concurrently from JS; runs are chained here. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(model: RegisteredModel & { status: 'ok' }, host: InferenceHost, session: SessionHandle, maxBatch: number, fixedBatch?: number) {
    this.model = model;
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
    try {
      const fixedBatch = checkSessionMatchesManifest(session, model.manifest);
      return new Detector(model, host, session, maxBatch, fixedBatch);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** Scores each image (same order as given); fixture models are marked `fixture: true`. */
  async score(images: DecodedImage[]): Promise<ModelScore[]> {
    return this.toScores(await this.runAll(images, this.manifest.outputs.score));
  }

  /**
   * Scores images whose input tensors were already built (preprocess / preprocessFromElaPass):
   * one list of crops per image. No pixels cross to this thread or the inference worker.
   */
  async scoreInputs(inputs: Float32Array[][]): Promise<ModelScore[]> {
    return this.toScores(await this.runInputs(inputs, this.manifest.outputs.score));
  }

  private toScores(perImage: Float32Array[][]): ModelScore[] {
    const m = this.manifest;
    const operatingPoint = operatingPointOf(m);
    return perImage.map((crops) => {
      const cropScores = crops.map((values) => {
        if (values.length !== 1) throw this.failure(`score output "${m.outputs.score}" has ${values.length} values per input, expected 1`);
        const raw = values[0];
        if (!Number.isFinite(raw)) throw this.failure(`the model produced a non-finite score (${raw})`);
        return m.scoreMeaning === 'logit_fake' ? sigmoid(raw) : raw;
      });
      const score = m.preprocessing.aggregate === 'max' ? Math.max(...cropScores) : cropScores.reduce((a, b) => a + b, 0) / cropScores.length;
      return {
        modelId: m.id,
        modelVersion: m.version,
        modelSha256: m.sha256,
        task: m.task,
        score,
        cropScores,
        threshold: m.defaultThreshold,
        flagged: score >= m.defaultThreshold,
        ...(operatingPoint ? { operatingPoint } : {}),
        provider: this.provider,
        fixture: m.fixture,
      };
    });
  }

  /** The embedding output per image; several crops are averaged into one vector. */
  async features(images: DecodedImage[]): Promise<Float32Array[]> {
    const name = this.manifest.outputs.features;
    if (!name) throw new Error(`Model ${this.manifest.id} declares no features output`);
    const perImage = await this.runAll(images, name);
    return perImage.map((crops) => {
      const mean = new Float32Array(crops[0].length);
      for (const c of crops) for (let i = 0; i < mean.length; i++) mean[i] += c[i] / crops.length;
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
  }

  private failure(reason: string, cause?: unknown): EvidenceError {
    return new EvidenceError('MODEL_FAILED', `Model ${this.manifest.id} failed: ${reason}`, { cause });
  }

  /** Preprocesses image by image and runs full batches as they fill, so memory stays at
   *  about one batch however many images are passed. Returns output rows per image, per crop. */
  private async runAll(images: DecodedImage[], output: string): Promise<Float32Array[][]> {
    if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
    const batcher = this.batcher(images.length, output);
    for (let i = 0; i < images.length; i++) {
      let crops: Float32Array[];
      try {
        crops = await this.host.preprocess(images[i], this.manifest);
      } catch (err) {
        if (err instanceof EvidenceError) throw err;
        throw this.failure(`preprocessing image ${i + 1} of ${images.length}: ${(err as Error).message}`, err);
      }
      await batcher.add(i, crops);
    }
    return batcher.finish();
  }

  private async runInputs(inputs: Float32Array[][], output: string): Promise<Float32Array[][]> {
    if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
    const size = 3 * this.manifest.input.height * this.manifest.input.width;
    const batcher = this.batcher(inputs.length, output);
    for (let i = 0; i < inputs.length; i++) {
      const crops = inputs[i];
      if (crops.length === 0 || crops.some((c) => c.length !== size)) {
        throw this.failure(`input ${i + 1} of ${inputs.length} has ${crops.length} crops of ${crops.map((c) => c.length).join('/')} values, expected crops of ${size}`);
      }
      await batcher.add(i, crops);
    }
    return batcher.finish();
  }

  /** Stacks crops of many images into runs of maxBatch and splits the output rows back per image. */
  private batcher(count: number, output: string) {
    const results: Float32Array[][] = Array.from({ length: count }, () => []);
    let pending: PendingCrop[] = [];
    const flush = async (n: number) => {
      const batch = pending.slice(0, n);
      pending = pending.slice(n);
      const rows = await this.runBatch(batch.map((p) => p.tensor), output);
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

  /** One session run over a stack of crops; returns one output row per crop. */
  private runBatch(tensors: Float32Array[], output: string): Promise<Float32Array[]> {
    const { input } = this.manifest;
    const size = 3 * input.height * input.width;
    const batch = this.fixedBatch ?? tensors.length;
    const stacked = new Float32Array(batch * size);
    tensors.forEach((t, i) => stacked.set(t, i * size));

    const run = this.queue.then(async () => {
      // close() may have released the session while this batch waited its turn.
      if (this.closed) throw new Error(`Detector for ${this.manifest.id} is closed`);
      let result: Record<string, Float32Array>;
      try {
        result = await this.session.run(input.name, stacked, [batch, 3, input.height, input.width], [output]);
      } catch (err) {
        throw this.failure(`inference on ${this.provider}: ${(err as Error).message}`, err);
      }
      const data = result[output];
      if (!(data instanceof Float32Array) || data.length % batch !== 0) {
        throw this.failure(`output "${output}" is not float32 with one row per input (${data?.length} values for ${batch} inputs)`);
      }
      const width = data.length / batch;
      return tensors.map((_, i) => data.slice(i * width, (i + 1) * width));
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
  for (const name of [outputs.score, outputs.features]) {
    if (name && !session.outputNames.includes(name)) {
      throw new Error(`Model ${id}: manifest output "${name}" is not in the ONNX file (outputs: ${session.outputNames.join(', ')})`);
    }
  }
  const meta = session.inputMetadata[session.inputNames.indexOf(input.name)];
  if (!meta?.isTensor) return undefined;
  const expected = [undefined, 3, input.height, input.width];
  meta.shape.forEach((dim, axis) => {
    if (axis > 0 && typeof dim === 'number' && dim !== expected[axis]) {
      throw new Error(`Model ${id}: ONNX input shape [${meta.shape.join(', ')}] does not match the manifest's [N, 3, ${input.height}, ${input.width}]`);
    }
  });
  if (meta.shape.length !== 4) throw new Error(`Model ${id}: ONNX input has ${meta.shape.length} dimensions, expected 4 (NCHW)`);
  const batch = meta.shape[0];
  return typeof batch === 'number' && batch > 0 ? batch : undefined;
}
