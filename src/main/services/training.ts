import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import type { TrainingJobSpec } from '../../contract/training';
import { findPython, measureAgainstBaseline, pythonSettings, runTrainingJob, trainHead } from '../training';
import { AppContext, ServiceError } from './context';

/** A new run's id (its folder name in the training folder, config.trainingDir): the model and the start time. */
function newRunId(modelId: string): string {
  return `${modelId}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

const ENVIRONMENT_CACHE = 'python-environment.json';
type EnvironmentCache = Record<string, Responses['training.environment']>;

function readEnvironmentCache(ctx: AppContext): EnvironmentCache {
  try {
    const parsed = JSON.parse(readFileSync(join(ctx.config.stateDir, ENVIRONMENT_CACHE), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as EnvironmentCache) : {};
  } catch {
    // No answer kept yet (or an unreadable one): the interpreters are asked, as on first use.
    return {};
  }
}

function writeEnvironmentCache(ctx: AppContext, cache: EnvironmentCache): void {
  try {
    mkdirSync(ctx.config.stateDir, { recursive: true });
    writeFileSync(join(ctx.config.stateDir, ENVIRONMENT_CACHE), JSON.stringify(cache, null, 2));
  } catch {
    // A read-only state folder only costs the next check its speed.
  }
}

export const trainingHandlers = {
  /**
   * Asking every interpreter to import torch takes tens of seconds on a cold disk, so the last
   * answer is kept in the state folder and returned at once; the Models view then asks again
   * with `refresh` in the background and shows the fresh answer when it comes. The interpreter
   * comes from the configuration (settings file, environment, --python), never from the renderer.
   */
  'training.environment': async (ctx: AppContext, req: ParsedRequest<'training.environment'>): Promise<Responses['training.environment']> => {
    const settings = pythonSettings(ctx.config);
    const key = settings.python?.trim() ?? '';
    if (!req.refresh) {
      const cached = readEnvironmentCache(ctx)[key];
      if (cached) return { ...cached, cached: true };
    }
    const environment = await findPython({ ...settings, fresh: req.refresh === true });
    const answer = { ...environment, checkedAt: new Date().toISOString(), cached: false };
    writeEnvironmentCache(ctx, { ...readEnvironmentCache(ctx), [key]: answer });
    return answer;
  },

  /** The Python trainer as a job: live events for the curves, cancel = checkpoint and stop. */
  'training.start': async (ctx: AppContext, req: ParsedRequest<'training.start'>): Promise<Responses['training.start']> => {
    const config = ctx.config;
    const environment = await findPython(pythonSettings(config));
    if (!environment.found) throw new ServiceError('FAILED', `No Python with PyTorch was found. ${environment.install}`);
    const job = req.job as TrainingJobSpec;
    // The contract admits only a plain folder name (no separators, no ".."): the run stays inside the training folder.
    const runId = req.resumeRun ?? newRunId(job.modelId);
    const workdir = join(config.trainingDir, runId);
    if (req.resumeRun !== undefined && !existsSync(workdir)) throw new ServiceError('NOT_FOUND', `No training run "${runId}" to resume.`);
    const started = ctx.jobs.start('train', `Train ${job.modelId} (${job.model.arch}, ${job.mode ?? 'full'})`, async (run) => {
      const result = await runTrainingJob(job, {
        workdir,
        trainingRoot: config.trainingDir,
        resume: req.resumeRun !== undefined,
        userModelsDir: config.userModelsDir,
        catalogue: ctx.catalogue,
        scriptsDir: config.trainingScriptsDir,
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
    const catalogue = ctx.catalogue;
    const model = await catalogue.find(req.modelId);
    const started = ctx.jobs.start('train-head', `New head for ${req.modelId}`, (run) =>
      trainHead({
        model,
        data: { folder: req.folder, valFraction: req.valFraction },
        userModelsDir: catalogue.userModelsDir,
        provider: catalogue.provider,
        modelId: req.newModelId,
        seed: req.seed,
        signal: run.signal,
        onProgress: run.progress,
        onEvent: (event) => ctx.events.publish('training.event', { jobId: run.id, event }),
      }),
    );
    return { jobId: started.id };
  },

  'models.versions': async (ctx: AppContext, req: ParsedRequest<'models.versions'>): Promise<Responses['models.versions']> => ctx.catalogue.versions(req.modelId),
  'models.activate': async (ctx: AppContext, req: ParsedRequest<'models.activate'>): Promise<Responses['models.activate']> => ctx.catalogue.activate(req.modelId, req.version),
  'models.rollback': async (ctx: AppContext, req: ParsedRequest<'models.rollback'>): Promise<Responses['models.rollback']> => ctx.catalogue.rollback(req.modelId),
  'models.discard': async (ctx: AppContext, req: ParsedRequest<'models.discard'>): Promise<Responses['models.discard']> => ctx.catalogue.discard(req.modelId, req.version),

  /** Re-scores the version's own validation split with it and with whatever is active now. */
  'models.compare': async (ctx: AppContext, req: ParsedRequest<'models.compare'>): Promise<Responses['models.compare']> => {
    const catalogue = ctx.catalogue;
    const version = await catalogue.version(req.modelId, req.version);
    return measureAgainstBaseline(version, { userModelsDir: catalogue.userModelsDir, catalogue });
  },
};
