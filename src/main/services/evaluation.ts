import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvaluationJobResult } from '../../contract/evaluation';
import type { ElaResult } from '../../contract/evidence';
import { DEFAULT_ELA_PARAMETERS, runEla } from '../analysis';
import { decodeImage, DEFAULT_INGEST_OPTIONS, sha256Buffer } from '../ingest';
import { heatmapPaths } from '../pipeline/prepare';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import { DEFAULT_BOOTSTRAP, DEFAULT_TARGET_FPR, DEFAULT_THRESHOLD, detectLayout, evaluate, selectEvaluationSet } from '../evaluation';
import { ensureDerivedFolders, evaluationElaDir } from '../store';
import { getEvaluation, listEvaluations, listRetrainingFlags, saveEvaluation, saveSplit, setRetrainingFlag } from '../store/evaluations';
import { AppContext, ServiceError } from './context';

export function requireEvaluation(ctx: AppContext, id: string) {
  const result = getEvaluation(ctx.requireCase().store, id);
  if (!result) throw new ServiceError('NOT_FOUND', `No evaluation ${id} in this case.`);
  return result;
}

export const evaluationHandlers = {
  'datasets.detect': async (_ctx: AppContext, req: ParsedRequest<'datasets.detect'>): Promise<Responses['datasets.detect']> => detectLayout(req.path),

  /** Runs as a job; the result is saved in the open case (with its split) and its id returned. */
  'evaluation.start': async (ctx: AppContext, req: ParsedRequest<'evaluation.start'>): Promise<Responses['evaluation.start']> => {
    const { store, case: current } = ctx.requireCase();
    const seed = req.seed ?? 1;
    const selected = await selectEvaluationSet(req.path, { valRatio: req.valRatio, limit: req.limit, seed });
    if (!selected.ok) throw new ServiceError('FAILED', `Cannot evaluate ${req.path}: ${selected.error.message}`);
    const { thumbnailDir } = ensureDerivedFolders(store.derivedDir);
    const job = ctx.jobs.start('evaluate', `Evaluate ${selected.summary.root}`, async (job) => {
      const { detectors } = await ctx.catalogue.openDetectors({ ids: req.models });
      if (detectors.length === 0) throw new Error('No usable model to evaluate (see the Models list).');
      try {
        const result = await evaluate(selected.set, detectors, {
          threshold: req.threshold ?? DEFAULT_THRESHOLD,
          targetFpr: req.targetFpr ?? DEFAULT_TARGET_FPR,
          bootstrap: req.bootstrap ?? DEFAULT_BOOTSTRAP,
          seed,
          robustness: req.robustness ?? false,
          thumbnailDir,
          ingest: ctx.ingest,
          selection: { split: selected.split?.summary ?? null, limit: req.limit ?? null, seed },
          signal: job.signal,
          onProgress: job.progress,
          onItemError: (path, error) => job.fileError(path, error.code, error.message),
        });
        const splitId = selected.split ? saveSplit(store, selected.split.record).id : undefined;
        saveEvaluation(store, result, { splitId });
        const outcome: EvaluationJobResult = { evaluationId: result.id, items: result.items.length, unreadable: result.unreadable.length };
        return outcome;
      } finally {
        await Promise.all(detectors.map((d) => d.close()));
      }
    }, current.id);
    return { jobId: job.id };
  },

  /**
   * ELA of one evaluated image, at the default settings, for the item viewer: computed once from
   * the dataset file (checked against the SHA-256 the evaluation recorded) and kept in the case's
   * derived folder; its heatmap is then served as the item's 'ela' media.
   */
  'evaluation.itemEla': async (ctx: AppContext, req: ParsedRequest<'evaluation.itemEla'>): Promise<Responses['evaluation.itemEla']> => {
    const { store } = ctx.requireCase();
    const item = requireEvaluation(ctx, req.evaluationId).items[req.item];
    if (!item) throw new ServiceError('NOT_FOUND', `Evaluation ${req.evaluationId} has no item ${req.item}.`);
    const dir = evaluationElaDir(store.derivedDir);
    const paths = heatmapPaths(dir, item.sha256);
    const statsFile = join(dir, `${item.sha256}.ela.json`);
    if (existsSync(statsFile) && existsSync(paths.previewPath)) return JSON.parse(readFileSync(statsFile, 'utf8')) as ElaResult;
    const bytes = await readFile(item.path).catch((err: NodeJS.ErrnoException) => {
      throw new ServiceError('FAILED', `${item.path} cannot be read (${err.code ?? err.message}); ELA needs the dataset image.`);
    });
    if (sha256Buffer(bytes) !== item.sha256) throw new ServiceError('FAILED', `${item.path} changed since it was evaluated (its SHA-256 differs); ELA was not run.`);
    const image = await decodeImage(bytes, { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });
    mkdirSync(dir, { recursive: true });
    const result = await runEla(image, DEFAULT_ELA_PARAMETERS, paths);
    writeFileSync(statsFile, JSON.stringify(result));
    return result;
  },

  'evaluation.list': async (ctx: AppContext): Promise<Responses['evaluation.list']> => listEvaluations(ctx.requireCase().store),

  'evaluation.get': async (ctx: AppContext, req: ParsedRequest<'evaluation.get'>): Promise<Responses['evaluation.get']> => requireEvaluation(ctx, req.id),

  'evaluation.flag': async (ctx: AppContext, req: ParsedRequest<'evaluation.flag'>): Promise<Responses['evaluation.flag']> => {
    const open = ctx.requireCase();
    const result = requireEvaluation(ctx, req.evaluationId);
    const item = result.items[req.item];
    if (!item) throw new ServiceError('NOT_FOUND', `Evaluation ${req.evaluationId} has no item ${req.item}.`);
    return setRetrainingFlag(open.store, {
      path: item.path,
      sha256: item.sha256,
      label: item.label,
      evaluationId: result.id,
      flagged: req.flagged,
      note: req.note,
      actor: ctx.examiner() || 'examiner',
    });
  },

  'evaluation.flags': async (ctx: AppContext): Promise<Responses['evaluation.flags']> => listRetrainingFlags(ctx.requireCase().store),
};
