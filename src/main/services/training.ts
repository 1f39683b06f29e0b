import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import type { TrainingJobSpec } from '../../contract/training';
import {
  activateVersion,
  discardVersion,
  findPython,
  getVersion,
  listModelVersions,
  loadRegistryWithActiveVersions,
  measureAgainstBaseline,
  rollbackVersion,
  runTrainingJob,
  trainHead,
} from '../training';
import { AppContext, ServiceError } from './context';

/** The app's training folder: every run keeps its checkpoints and split in a folder of its own here. */
function trainingRunsDir(ctx: AppContext): string {
  return join(ctx.options.stateDir, 'training-runs');
}

/** A new run's id (its folder name): the model and the start time. */
function newRunId(modelId: string): string {
  return `${modelId}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

export const trainingHandlers = {
  'training.environment': async (ctx: AppContext): Promise<Responses['training.environment']> => findPython({ python: ctx.options.python }),

  /** The Python trainer as a job: live events for the curves, cancel = checkpoint and stop. */
  'training.start': async (ctx: AppContext, req: ParsedRequest<'training.start'>): Promise<Responses['training.start']> => {
    const environment = await findPython({ python: ctx.options.python });
    if (!environment.found) throw new ServiceError('FAILED', `No Python with PyTorch was found. ${environment.install}`);
    const job = req.job as TrainingJobSpec;
    // The contract admits only a plain folder name (no separators, no ".."): the run stays inside the training folder.
    const runId = req.resumeRun ?? newRunId(job.modelId);
    const workdir = join(trainingRunsDir(ctx), runId);
    if (req.resumeRun !== undefined && !existsSync(workdir)) throw new ServiceError('NOT_FOUND', `No training run "${runId}" to resume.`);
    const started = ctx.jobs.start('train', `Train ${job.modelId} (${job.model.arch}, ${job.mode ?? 'full'})`, async (run) => {
      const result = await runTrainingJob(job, {
        workdir,
        resume: req.resumeRun !== undefined,
        userModelsDir: ctx.userModelsDir,
        modelsDir: ctx.options.modelsDir,
        environment,
        signal: run.signal,
        onProgress: run.progress,
        onEvent: (event) => ctx.events.publish('training.event', { jobId: run.id, event }),
      });
      if (result.status === 'failed') throw new Error(result.error ?? 'training failed');
      return result;
    });
    return { jobId: started.id, runId, workdir };
  },

  /** Fits a new head on the current model's features, in-process: no Python needed. */
  'training.head': async (ctx: AppContext, req: ParsedRequest<'training.head'>): Promise<Responses['training.head']> => {
    const registry = await loadRegistryWithActiveVersions({ modelsDir: ctx.options.modelsDir, userModelsDir: ctx.userModelsDir });
    const model = registry.find((m) => m.id === req.modelId);
    if (!model) throw new ServiceError('NOT_FOUND', `No model "${req.modelId}".`);
    if (model.status !== 'ok') throw new ServiceError('FAILED', `Model "${req.modelId}" cannot be used: ${model.problem}`);
    const started = ctx.jobs.start('train', `New head for ${req.modelId}`, (run) =>
      trainHead({
        model,
        data: { folder: req.folder, valFraction: req.valFraction },
        userModelsDir: ctx.userModelsDir,
        modelId: req.newModelId,
        seed: req.seed,
        signal: run.signal,
        onProgress: run.progress,
        onEvent: (event) => ctx.events.publish('training.event', { jobId: run.id, event }),
      }),
    );
    return { jobId: started.id };
  },

  'models.versions': async (ctx: AppContext, req: ParsedRequest<'models.versions'>): Promise<Responses['models.versions']> => listModelVersions(ctx.userModelsDir, req.modelId),
  'models.activate': async (ctx: AppContext, req: ParsedRequest<'models.activate'>): Promise<Responses['models.activate']> => activateVersion(ctx.userModelsDir, req.modelId, req.version),
  'models.rollback': async (ctx: AppContext, req: ParsedRequest<'models.rollback'>): Promise<Responses['models.rollback']> => rollbackVersion(ctx.userModelsDir, req.modelId),
  'models.discard': async (ctx: AppContext, req: ParsedRequest<'models.discard'>): Promise<Responses['models.discard']> => discardVersion(ctx.userModelsDir, req.modelId, req.version),

  /** Re-scores the version's own validation split with it and with whatever is active now. */
  'models.compare': async (ctx: AppContext, req: ParsedRequest<'models.compare'>): Promise<Responses['models.compare']> => {
    const version = await getVersion(ctx.userModelsDir, req.modelId, req.version);
    if (!version) throw new ServiceError('NOT_FOUND', `No version ${req.version} of ${req.modelId}.`);
    return measureAgainstBaseline(version, { userModelsDir: ctx.userModelsDir, modelsDir: ctx.options.modelsDir });
  },
};
