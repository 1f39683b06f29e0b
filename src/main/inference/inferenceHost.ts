// Where onnxruntime sessions live. onnxruntime-node's `session.run` computes on the calling
// thread, so sessions opened on the main thread stall everything else there (IPC, database
// writes, handing out the next files) for the length of every batch, and inference never
// overlaps with preparation. The host keeps sessions in a worker thread instead: the main
// thread sends input tensors and gets scores back. Where no worker can start (a bundle without
// the worker file), sessions open in-process, as before.
import type { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProviderName } from '../../contract/evidence';
import type { DecodedImage } from '../ingest/decoded';
import { startWorker } from '../workerThreads';
import type { ModelManifest } from './manifest';
import { preprocess } from './preprocess';
import { createSession, SessionOpenError, type ProviderAttempt, type SessionOptions } from './session';

/** Input metadata as onnxruntime reports it (names, tensor shapes with symbolic dimensions). */
export type ValueMetadata = InferenceSession.ValueMetadata;

/** One open session, wherever it runs. Runs must not overlap: callers chain them. */
export interface SessionHandle {
  readonly provider: ExecutionProviderName;
  readonly attempts: ProviderAttempt[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  /** Runs one batch: `data` holds `dims[0]` stacked inputs. Returns the requested outputs (float32). */
  run(input: string, data: Float32Array, dims: number[], outputs: string[]): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

export interface InferenceHost {
  /** 'worker' when sessions run in a worker thread, 'in-process' otherwise. */
  readonly where: 'worker' | 'in-process';
  open(modelPath: string, order: readonly ExecutionProviderName[], options: SessionOptions): Promise<SessionHandle>;
  /** The model input tensors of one decoded image (see preprocess), computed off the main thread where possible. */
  preprocess(image: DecodedImage, manifest: ModelManifest): Promise<Float32Array[]>;
}

// ------------------------------------------------------------------ protocol

export type InferenceRequest =
  | { op: 'open'; id: number; modelPath: string; order: ExecutionProviderName[]; options: SessionOptions }
  | { op: 'run'; id: number; session: number; input: string; data: Float32Array; dims: number[]; outputs: string[] }
  | { op: 'release'; id: number; session: number }
  | { op: 'preprocess'; id: number; manifest: ModelManifest; image: { data: Uint8Array; width: number; height: number } };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface OpenedReply {
  session: number;
  provider: ExecutionProviderName;
  attempts: ProviderAttempt[];
  inputNames: string[];
  outputNames: string[];
  inputMetadata: ValueMetadata[];
}

export type InferenceReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; attempts?: ProviderAttempt[]; modelPath?: string } };

// ------------------------------------------------------------------ in-process

function localHandle(session: InferenceSession, provider: ExecutionProviderName, attempts: ProviderAttempt[]): SessionHandle {
  return {
    provider,
    attempts,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    async run(input, data, dims, outputs) {
      const { Tensor } = await import('onnxruntime-node');
      const result = await session.run({ [input]: new Tensor('float32', data, dims) }, outputs);
      const out: Record<string, Float32Array> = {};
      for (const name of outputs) {
        const values = result[name]?.data;
        if (!(values instanceof Float32Array)) throw new Error(`output "${name}" is not float32`);
        out[name] = values;
      }
      return out;
    },
    release: () => session.release(),
  };
}

const inProcess: InferenceHost = {
  where: 'in-process',
  async open(modelPath, order, options) {
    const opened = await createSession(modelPath, order, options);
    return localHandle(opened.session, opened.provider, opened.attempts);
  },
  preprocess: (image, manifest) => preprocess(image, manifest),
};

// ------------------------------------------------------------------ worker

class WorkerHost implements InferenceHost {
  readonly where = 'worker' as const;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private broken: string | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (reply: InferenceReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(`the inference worker stopped: ${err instanceof Error ? err.message : String(err)}`));
    worker.on('exit', (code) => this.fail(`the inference worker exited (code ${code})`));
    // An idle host must not keep the process alive; requests in flight do (see call()).
    worker.unref();
  }

  get alive(): boolean {
    return this.broken === undefined;
  }

  private call<T>(request: WithoutId<InferenceRequest>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.broken) return Promise.reject(new Error(this.broken));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...request, id } as InferenceRequest, transfer);
    });
  }

  private settle(reply: InferenceReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) job.resolve(reply.value);
    else if (reply.error.attempts && reply.error.modelPath) job.reject(new SessionOpenError(reply.error.modelPath, reply.error.attempts));
    else job.reject(new Error(reply.error.message));
  }

  private fail(reason: string): void {
    if (this.broken) return;
    this.broken = reason;
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      job.reject(new Error(reason));
    }
    if (sharedHost === this) sharedHost = undefined;
  }

  async open(modelPath: string, order: readonly ExecutionProviderName[], options: SessionOptions): Promise<SessionHandle> {
    const opened = await this.call<OpenedReply>({ op: 'open', modelPath, order: [...order], options });
    return {
      provider: opened.provider,
      attempts: opened.attempts,
      inputNames: opened.inputNames,
      outputNames: opened.outputNames,
      inputMetadata: opened.inputMetadata,
      run: (input, data, dims, outputs) => this.call<Record<string, Float32Array>>({ op: 'run', session: opened.session, input, data, dims, outputs }),
      release: async () => {
        if (this.broken) return;
        await this.call({ op: 'release', session: opened.session });
      },
    };
  }

  preprocess(image: DecodedImage, manifest: ModelManifest): Promise<Float32Array[]> {
    // The pixels are copied, not transferred: the caller keeps using its image.
    return this.call<Float32Array[]>({ op: 'preprocess', manifest, image: { data: image.data, width: image.width, height: image.height } });
  }
}

let sharedHost: WorkerHost | undefined;
let starting: Promise<InferenceHost> | undefined;

/**
 * The process's inference host: one worker thread holding every session (started on first use,
 * restarted if it dies), or in-process sessions where workers are unavailable. One worker, because sessions of different
 * models share the CPU anyway and each session's intra-op threads (defaultIntraOpThreads) are
 * where a model gets more cores.
 */
export function inferenceHost(): Promise<InferenceHost> {
  if (sharedHost?.alive) return Promise.resolve(sharedHost);
  starting ??= (async (): Promise<InferenceHost> => {
    try {
      const worker = await startWorker(import.meta.url, 'inferenceWorker');
      if (!worker) return inProcess;
      sharedHost = new WorkerHost(worker);
      return sharedHost;
    } finally {
      starting = undefined;
    }
  })();
  return starting;
}

/** The in-process host (tests compare it with the worker; the worker itself uses it). */
export const inProcessHost: InferenceHost = inProcess;
