// The full-resolution ELA heatmap of an evidence item, made when the viewer first zooms past
// the preview and cached in the case's derived folder. Imports write only the preview (the
// full-resolution PNG cost about half of the pipeline on large images and most are never
// zoomed into); this is the one place that makes the rest on demand. Media serving calls it.
import { existsSync } from 'node:fs';
import type { ImageEvidenceItem } from '../../contract/case';
import { DEFAULT_ELA_PARAMETERS } from '../analysis';
import { writeEvidenceHeatmapOffThread } from '../pipeline/preparePool';
import { elaHeatmaps, type CaseStore } from '../store';

/** Heatmaps being written, by target path: concurrent requests for one item share the work. */
const inFlight = new Map<string, Promise<string | null>>();

/**
 * The full-resolution ELA heatmap PNG of `item` at `quality` (default: the quality of its latest
 * result), made on first request. Its preview must exist already (the import's, or the one
 * evidence.rerunEla made at that quality): null otherwise. When the preview is already full
 * size it is the heatmap. The evidence file is hashed again before use; a changed file is an
 * error, not a heatmap of other bytes. The work runs in a prepare worker, not on this thread.
 * `maxPixels`: the configured pixel limit (config.maxPixels).
 */
export async function fullResolutionHeatmap(store: CaseStore, item: ImageEvidenceItem, maxPixels: number, quality?: number): Promise<string | null> {
  const fromResult = item.latestResult?.ela ?? undefined;
  const q = quality ?? fromResult?.parameters.quality;
  if (q === undefined) return null;
  const imported = fromResult !== undefined && q === fromResult.parameters.quality;
  const { heatmapPath, previewPath } = elaHeatmaps(store.derivedDir, item.sha256, q, fromResult?.parameters.quality);
  if (existsSync(heatmapPath)) return heatmapPath;
  if (!existsSync(previewPath)) return null;
  // A preview as large as the image is the full-resolution heatmap.
  const width = item.metadata.displayWidth ?? item.width;
  const height = item.metadata.displayHeight ?? item.height;
  const params = imported ? fromResult.parameters : { ...DEFAULT_ELA_PARAMETERS, quality: q };
  if (width <= params.previewMaxSide && height <= params.previewMaxSide) return previewPath;

  let pending = inFlight.get(heatmapPath);
  if (!pending) {
    pending = writeEvidenceHeatmapOffThread({ evidencePath: item.path, sha256: item.sha256, ela: params, maxPixels, out: heatmapPath }).finally(() => inFlight.delete(heatmapPath));
    inFlight.set(heatmapPath, pending);
  }
  return pending;
}
