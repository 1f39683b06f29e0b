import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { isImageItem } from '../../contract/case';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import { DEFAULT_ELA_PARAMETERS, runEla } from '../analysis';
import { decodeImage, readVerified } from '../ingest';
import { importIntoCase, missingImportPaths } from '../pipeline/importIntoCase';
import { elaRerunDir, heatmapPaths, relinkCase } from '../store';
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
    const paths = req.paths.map((p) => resolve(p));
    // A typo is answered at once: no job, no run and no audit entry for a path that is not there.
    const missing = missingImportPaths(paths);
    if (missing.length) throw new ServiceError('NOT_FOUND', `${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist: check the path. Nothing was imported.`);
    const label = paths.length === 1 ? `Import ${paths[0]}` : `Import ${paths.length} paths`;
    const job = ctx.jobs.start(
      'import',
      label,
      async (job) => {
        const summary = await importIntoCase(open.store, {
          paths,
          models: req.models,
          elaQuality: req.elaQuality,
          copyEvidence: req.copyEvidence,
          catalogue: ctx.catalogue,
          ingest: ctx.ingest,
          signal: job.signal,
          onProgress: job.progress,
          onFileError: job.fileError,
          anchorBook: ctx.anchors,
        });
        ctx.events.publish('evidence.changed', { ids: [] });
        return summary;
      },
      open.case.id,
    );
    return { jobId: job.id };
  },

  /** Looks for the case's missing evidence files in a folder, by SHA-256 (a job: hashing takes time). */
  'evidence.relink': async (ctx: AppContext, req: ParsedRequest<'evidence.relink'>): Promise<Responses['evidence.relink']> => {
    const open = ctx.requireCase();
    const folder = resolve(req.folder);
    if (!existsSync(folder)) throw new ServiceError('NOT_FOUND', `${folder} does not exist: check the path. Nothing was relinked.`);
    const job = ctx.jobs.start(
      'relink',
      `Relink from ${folder}`,
      async (job) => {
        const started = performance.now();
        const outcome = await relinkCase(open.store, folder, {
          signal: job.signal,
          actor: open.case.examiner || undefined,
          onProgress: (done, total, current) =>
            job.progress({ total, done, failed: 0, skipped: 0, rate: 0, etaSeconds: null, current, elapsedSeconds: (performance.now() - started) / 1000 }),
        });
        for (const m of outcome.stillMissing) job.fileError(m.path, 'MISSING', `${m.fileName} (item ${m.id}) was not found in ${folder} by its SHA-256.`);
        ctx.events.publish('evidence.changed', { ids: outcome.relinked.map((r) => r.id) });
        return outcome;
      },
      open.case.id,
    );
    return { jobId: job.id };
  },

  'evidence.list': async (ctx: AppContext, req: ParsedRequest<'evidence.list'>): Promise<Responses['evidence.list']> => {
    const { store } = ctx.requireCase();
    const { withTotal, ...filter } = req;
    return store.listGallery({ ...filter, limit: filter.limit ?? 200 }, { withTotal });
  },

  'evidence.get': async (ctx: AppContext, req: ParsedRequest<'evidence.get'>): Promise<Responses['evidence.get']> => {
    const item = requireEvidence(ctx, req.id);
    const { store } = ctx.requireCase();
    return { item, results: store.resultsFor(item.id), reviews: store.reviewHistory(item.id) };
  },

  'evidence.rerunEla': async (ctx: AppContext, req: ParsedRequest<'evidence.rerunEla'>): Promise<Responses['evidence.rerunEla']> => {
    const item = requireEvidence(ctx, req.id);
    const { store } = ctx.requireCase();
    if (!isImageItem(item)) throw new ServiceError('FAILED', `${item.fileName} was refused at import (${item.latestResult?.error?.code ?? 'not an image'}); there is nothing to run ELA on.`);
    const read = await readVerified(item.path, item.sha256, item.fileName);
    if (!read.ok) throw new ServiceError('FAILED', `${read.message} ELA was not re-run.`);
    const image = await decodeImage(read.bytes, { maxPixels: ctx.config.maxPixels, fileName: item.fileName });
    const dir = elaRerunDir(store.derivedDir, req.quality);
    mkdirSync(dir, { recursive: true });
    // The preview only: the full-resolution heatmap is made if the viewer zooms past it (elaHeatmap.ts).
    const result = await runEla(image, { ...DEFAULT_ELA_PARAMETERS, quality: req.quality }, { previewPath: heatmapPaths(dir, item.sha256).previewPath });
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
