// The inspector's forensic analyses: the list of analyses with each item's stored finding, and one
// analysis run in full on demand. The evidence is read and its SHA-256 checked before use; maps
// and the view are cached under the case's derived folder by SHA-256 and analysis version, so
// opening the item again costs nothing; the summary is stored as the item's finding (audited), so
// the expensive analyses' flags reach the gallery filter and the report once they have run.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { AnalysisListEntry, AnalysisView } from '../../contract/analyses';
import { isImageItem } from '../../contract/case';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import { ANALYSES, describeAnalysis, writeMapPng } from '../analysis';
import { BATCH_ANALYSES } from '../analysis/batch';
import { inspectAnalysis, MAP_MAX_SIDE } from '../analysis/inspect';
import { decodeImage, readVerified } from '../ingest';
import { analysisFiles, findingsOf, recordFindings } from '../store';
import { AppContext, ServiceError } from './context';
import { requireEvidence } from './evidence';

type CachedView = Omit<AnalysisView, 'description' | 'cached'>;

async function readCachedView(path: string, mapPath: (name: string) => string, version: string): Promise<CachedView | null> {
  try {
    const view = JSON.parse(await readFile(path, 'utf8')) as CachedView;
    if (view?.summary?.version !== version || !Array.isArray(view.maps)) return null;
    if (!view.maps.every((m) => existsSync(mapPath(m.name)))) return null;
    return view;
  } catch {
    // No cache yet, or a damaged one: computed again.
    return null;
  }
}

export const analysisHandlers = {
  'analysis.list': async (ctx: AppContext, req: ParsedRequest<'analysis.list'>): Promise<Responses['analysis.list']> => {
    const item = requireEvidence(ctx, req.id);
    const { store } = ctx.requireCase();
    const findings = isImageItem(item) ? findingsOf(store, item.id) : [];
    return ANALYSES.map(
      (description): AnalysisListEntry => ({
        description,
        runs: BATCH_ANALYSES.includes(description.id) ? 'on import' : 'on demand',
        finding: findings.find((f) => f.analysis === description.id) ?? null,
      }),
    );
  },

  'analysis.run': async (ctx: AppContext, req: ParsedRequest<'analysis.run'>): Promise<Responses['analysis.run']> => {
    const item = requireEvidence(ctx, req.id);
    const { store } = ctx.requireCase();
    if (!isImageItem(item)) throw new ServiceError('FAILED', `${item.fileName} was refused at import; there is no image to analyse.`);
    const description = describeAnalysis(req.analysis);
    const files = analysisFiles(store.derivedDir, item.sha256, description.id, description.version);
    const cached = await readCachedView(files.view, files.map, description.version);
    if (cached) {
      recordFindings(store, item.id, [cached.summary], cached.computedAt);
      return { description, cached: true, ...cached };
    }

    const read = await readVerified(item.path, item.sha256, item.fileName);
    if (!read.ok) throw new ServiceError('FAILED', `${read.message} The analysis was not run.`);
    const image = await decodeImage(read.bytes, { maxPixels: ctx.config.maxPixels, fileName: item.fileName });
    const fileModifiedAt = await stat(item.path).then((s) => s.mtime.toISOString(), () => undefined);
    let outcome;
    try {
      outcome = await inspectAnalysis(description.id, {
        bytes: read.bytes,
        image,
        format: item.format as NonNullable<typeof item.metadata>['format'],
        lastQuality: item.metadata.jpegQuality?.quality ?? null,
        claimed: { make: item.metadata.exif.make, software: item.metadata.exif.software },
        fileModifiedAt,
        exiftool: ctx.exiftool(),
      });
    } catch (err) {
      throw new ServiceError('FAILED', `${description.title} could not run on ${item.fileName}: ${(err as Error).message}`);
    }
    await mkdir(files.dir, { recursive: true });
    for (const m of outcome.maps) await writeMapPng(m.map, files.map(m.view.name), MAP_MAX_SIDE);
    const view: CachedView = { summary: outcome.summary, computedAt: new Date().toISOString(), maps: outcome.maps.map((m) => m.view), tables: outcome.tables, charts: outcome.charts };
    // Written whole, then renamed: a crash never leaves half a view that later reads as cached.
    await writeFile(`${files.view}.tmp`, JSON.stringify(view));
    await rename(`${files.view}.tmp`, files.view);
    recordFindings(store, item.id, [view.summary], view.computedAt);
    ctx.events.publish('evidence.changed', { ids: [item.id] });
    return { description, cached: false, ...view };
  },
};
