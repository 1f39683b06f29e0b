// One Python training job end to end: find Python, run train.py, check the exported ONNX file
// against PyTorch, register it as a new (inactive) version, and measure it and the model it
// would replace on the same held-out images through the app's own inference path.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JobProgress } from '../../contract/jobs';
import type {
  EpochRecord,
  ModelVersion,
  PythonEnvironment,
  TrainerEvent,
  TrainingEvent,
  TrainingJobSpec,
  TrainingLabel,
  TrainingRunResult,
} from '../../contract/training';
import type { ModelCatalogue } from '../inference/catalogue';
import type { ProviderRequest } from '../inference/providers';
import { evaluateOnSplit } from './evaluate';
import { checkParity, DEFAULT_PARITY_TOLERANCE } from './parity';
import { confineRunFolder } from './runFolder';
import { findPython } from './python';
import { failureMessage, runTrainerProcess } from './trainerProcess';
import { loadVersionModel, modelRefOf, registerVersion, SPLIT_FILE, updateVersion } from './versions';

export interface RunTrainingOptions {
  /** Checkpoints, split.json, output/: reuse it with `resume` to continue. Must lie inside `trainingRoot`. */
  workdir: string;
  /** The app's training folder (config.trainingDir): work folders elsewhere are refused,
   *  here and again by the trainer. */
  trainingRoot: string;
  resume?: boolean;
  /** Where versions are registered (config.userModelsDir). */
  userModelsDir: string;
  /** The models in use now, for the baseline comparison. */
  catalogue: Pick<ModelCatalogue, 'entries' | 'provider'>;
  /** The trainer's scripts (config.trainingScriptsDir). */
  scriptsDir: string;
  /** A configured interpreter, tried first (see findPython). */
  python?: string | null;
  /** An environment found earlier (skips discovery). */
  environment?: PythonEnvironment & { found: true };
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
  onProgress?: (progress: JobProgress) => void;
  /** Limit on the ONNX-vs-PyTorch difference (scaled, see checkParity). Default 1e-4. */
  parityTolerance?: number;
  /** Execution provider for the held-out evaluation (default: the catalogue's, i.e. the configured one). */
  provider?: ProviderRequest;
  /** Score the validation split with the new version and its baseline (default true). */
  evaluate?: boolean;
}

/** The trainer's checkpoint sidecar (resources/training/provenance_train/checkpoint.py): its
 *  presence is what makes a work folder resumable. */
export const CHECKPOINT_SIDECAR = 'checkpoint.json';

/** SHA-256 of a JSON value with sorted keys: the job's identity for lineage records. */
export function canonicalSha256(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

/** Turns trainer step events into the JobProgress every long job reports (items = optimiser steps). */
export class TrainingProgress {
  private readonly started = performance.now();
  private skipped = 0;
  private total: number | null = null;
  private done = 0;
  private eta: number | null = null;
  private rate = 0;
  private current: string | undefined;

  update(event: TrainerEvent): JobProgress | null {
    if (event.type === 'resumed') {
      this.skipped = event.globalStep;
      this.done = 0;
      return null;
    }
    if (event.type === 'step') {
      this.total = event.totalSteps;
      this.done = event.globalStep - this.skipped;
      this.eta = event.etaSeconds;
      this.rate = this.done / Math.max(1e-9, (performance.now() - this.started) / 1000);
      this.current = `epoch ${event.epoch}/${event.epochs}, step ${event.step}/${event.steps}, loss ${event.loss.toFixed(4)}`;
      return this.snapshot();
    }
    if (event.type === 'epoch') {
      this.eta = event.etaSeconds;
      this.current = `epoch ${event.epoch}/${event.epochs}: val loss ${event.valLoss.toFixed(4)}, val acc ${event.valAcc === null ? '--' : (100 * event.valAcc).toFixed(1)}%`;
      return this.snapshot();
    }
    return null;
  }

  snapshot(): JobProgress {
    return {
      total: this.total,
      done: this.done,
      failed: 0,
      skipped: this.skipped,
      rate: this.rate,
      etaSeconds: this.eta,
      current: this.current,
      elapsedSeconds: (performance.now() - this.started) / 1000,
    };
  }
}

interface SplitFile {
  items: { path: string; label: TrainingLabel; split: 'train' | 'val' }[];
}

/**
 * Runs a training job. Resolves with the outcome; never rejects for a failed or cancelled
 * training (status says which), only for programming errors.
 */
export async function runTrainingJob(job: TrainingJobSpec, options: RunTrainingOptions): Promise<TrainingRunResult> {
  let workdir = resolve(options.workdir);
  const emit = (event: TrainingEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // Listeners must not break the run.
    }
  };
  const history: EpochRecord[] = [];
  const failed = (error: string): TrainingRunResult => ({ status: 'failed', workdir, history, error });

  try {
    workdir = confineRunFolder(workdir, options.trainingRoot);
  } catch (err) {
    return failed((err as Error).message);
  }
  const env = options.environment ?? (await findPython({ python: options.python, scriptsDir: options.scriptsDir }));
  if (!env.found) return failed(env.install);

  await mkdir(workdir, { recursive: true });
  const jobPath = join(workdir, 'job.json');
  if (options.resume && !existsSync(join(workdir, CHECKPOINT_SIDECAR))) {
    return failed(`Nothing to resume in ${workdir}: it has no checkpoint (${CHECKPOINT_SIDECAR}). Start the job without resume.`);
  }
  await writeFile(jobPath, `${JSON.stringify(job, null, 2)}\n`);

  const progress = new TrainingProgress();
  const exit = await runTrainerProcess({
    python: env.executable,
    script: 'train.py',
    scriptsDir: options.scriptsDir,
    // --parent-pipe: the trainer also stops (with a checkpoint) when told on stdin or when
    // this process dies and the pipe closes, so a crashed app leaves no orphan on the GPU.
    args: ['--job', jobPath, '--workdir', workdir, '--training-root', options.trainingRoot, '--parent-pipe', ...(options.resume ? ['--resume'] : [])],
    signal: options.signal,
    onEvent: (event) => {
      if (event.type === 'epoch') history.push(event);
      if (event.type === 'resumed') history.splice(0, history.length, ...event.history);
      emit(event);
      if (event.type !== 'log' && event.type !== 'parity' && event.type !== 'registered') {
        const p = progress.update(event);
        if (p) options.onProgress?.(p);
      }
    },
  });

  if (exit.last.cancelled) return { status: 'cancelled', workdir, history, checkpoint: exit.last.cancelled.checkpoint };
  if (exit.aborted) return { status: 'cancelled', workdir, history, error: exit.killed ? 'The trainer did not stop in time and was killed; resume from the last epoch checkpoint.' : undefined };
  const done = exit.last.done;
  const exported = exit.last.export;
  if (exit.code !== 0 || !done || !exported) return failed(failureMessage(exit));

  const parity = await checkParity(exported.onnx, exported.parity, { tolerance: options.parityTolerance ?? DEFAULT_PARITY_TOLERANCE });
  emit({ type: 'parity', ...parity });
  if (!parity.ok) {
    return failed(`The exported ONNX model differs from PyTorch by ${parity.maxScaledDiff.toExponential(2)} (limit ${parity.tolerance}); it was not registered.`);
  }

  const start = exit.last.start;
  const data = exit.last.data!;
  let version: ModelVersion = await registerVersion(options.userModelsDir, {
    modelId: job.modelId,
    source: 'python',
    parent: job.parent ?? null,
    jobSha256: start?.jobHash ?? canonicalSha256(job),
    job,
    data: { train: data.train, val: data.val },
    metrics: { trainer: done.metrics, detector: null },
    baseline: null,
    parity,
    history: done.history,
    device: start?.device,
    files: { onnx: exported.onnx, manifest: exported.manifest, weights: exported.weights, split: done.split },
  });

  if (options.evaluate !== false && done.split) {
    try {
      version = await measureAgainstBaseline(version, options);
    } catch (err) {
      // The version is registered and checked; only the comparison is missing, and it can be redone.
      version = await updateVersion(options.userModelsDir, version.modelId, version.version, { note: `Held-out evaluation in the app failed: ${(err as Error).message}` });
    }
  }
  emit({ type: 'registered', version });
  return { status: 'completed', workdir, history: done.history, version };
}

/**
 * Scores the version and the model it would replace (the active version, else the bundled
 * model of the same id) on the version's own validation split (its split.json), and stores
 * both in version.json. Call it again to compare a candidate with whatever is active now.
 */
export async function measureAgainstBaseline(
  version: ModelVersion,
  options: Pick<RunTrainingOptions, 'userModelsDir' | 'catalogue' | 'provider' | 'signal'>,
): Promise<ModelVersion> {
  const provider = options.provider ?? options.catalogue.provider;
  const split = JSON.parse(await readFile(join(version.dir, SPLIT_FILE), 'utf8')) as SplitFile;
  const val = split.items.filter((it) => it.split === 'val');
  const candidate = await loadVersionModel(options.userModelsDir, version.modelId, version.version);
  if (candidate.status !== 'ok') throw new Error(`The new version cannot be loaded: ${candidate.problem}`);
  const mine = await evaluateOnSplit(candidate, val, { provider, signal: options.signal });

  const current = (await options.catalogue.entries()).find((e) => e.id === version.modelId)?.model;
  let baseline: ModelVersion['baseline'] = null;
  if (current?.status === 'ok' && current.manifest.sha256 !== version.sha256) {
    baseline = { model: modelRefOf(current), metrics: (await evaluateOnSplit(current, val, { provider, signal: options.signal })).metrics };
  }
  return updateVersion(options.userModelsDir, version.modelId, version.version, { metrics: { ...version.metrics, detector: mine.metrics }, baseline });
}
