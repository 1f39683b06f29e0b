import { mkdirSync } from 'node:fs';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import { DEFAULT_ELA_PARAMETERS, runEla } from '../analysis';
import { decodeImage, readVerified } from '../ingest';
import { importIntoCase } from '../pipeline/importIntoCase';
import { elaRerunDir, heatmapPaths } from '../store';
import { AppContext, ServiceError } from './context';

export function requireEvidence(ctx: AppContext, id: number) {
  const { store } = ctx.requireCase();
  const item = store.getEvidence(id);
  if (!item) throw new ServiceError('NOT_FOUND', `No evidence item ${id} in this case.`);
  return item;
}

export const evidenceHandlers = {
  'evidence.import': async (ctx: AppContext, req: ParsedRequest<'evidence.import'>): Promise<Responses['evidence.import']> => {
    const open = ctx.requireCase();
    const label = req.paths.length === 1 ? `Import ${req.paths[0]}` : `Import ${req.paths.length} paths`;
    const job = ctx.jobs.start('import', label, async (job) => {
      const summary = await importIntoCase(open.store, {
        paths: req.paths,
        models: req.models,
        elaQuality: req.elaQuality,
        catalogue: ctx.catalogue,
        ingest: ctx.ingest,
        signal: job.signal,
        onProgress: job.progress,
        onFileError: job.fileError,
        anchorBook: ctx.anchors,
      });
      ctx.events.publish('evidence.changed', { ids: [] });
      return summary;
    });
    return { jobId: job.id };
  },

  'evidence.list': async (ctx: AppContext, req: ParsedRequest<'evidence.list'>): Promise<Responses['evidence.list']> => {
    const { store } = ctx.requireCase();
    const filter = { ...req, limit: req.limit ?? 200 };
    return { items: store.listEvidence(filter), total: store.countEvidence(filter) };
  },

  'evidence.get': async (ctx: AppContext, req: ParsedRequest<'evidence.get'>): Promise<Responses['evidence.get']> => {
    const item = requireEvidence(ctx, req.id);
    const { store } = ctx.requireCase();
    return { item, results: store.resultsFor(item.id), reviews: store.reviewHistory(item.id) };
  },

  'evidence.rerunEla': async (ctx: AppContext, req: ParsedRequest<'evidence.rerunEla'>): Promise<Responses['evidence.rerunEla']> => {
    const item = requireEvidence(ctx, req.id);
    const { store } = ctx.requireCase();
    const read = await readVerified(item.path, item.sha256, item.fileName);
    if (!read.ok) throw new ServiceError('FAILED', `${read.message} ELA was not re-run.`);
    const image = await decodeImage(read.bytes, { maxPixels: ctx.config.maxPixels, fileName: item.fileName });
    const dir = elaRerunDir(store.derivedDir, req.quality);
    mkdirSync(dir, { recursive: true });
    const result = await runEla(image, { ...DEFAULT_ELA_PARAMETERS, quality: req.quality }, heatmapPaths(dir, item.sha256));
    store.audit({ action: 'ela.rerun', entity: 'evidence', entityId: item.id, details: { quality: req.quality, stats: result.stats } });
    return result;
  },

  'review.set': async (ctx: AppContext, req: ParsedRequest<'review.set'>): Promise<Responses['review.set']> => {
    const open = ctx.requireCase();
    requireEvidence(ctx, req.evidenceId);
    const review = open.store.setReview(req.evidenceId, {
      verdict: req.verdict,
      notes: req.notes,
      flagged: req.flagged,
      reviewer: ctx.examiner() || 'examiner',
    });
    ctx.events.publish('evidence.changed', { ids: [req.evidenceId] });
    return review;
  },
};
