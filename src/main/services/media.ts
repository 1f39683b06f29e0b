import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { EvidenceItem } from '../../contract/case';
import type { EvaluationMediaKind, MediaKind } from '../../contract/ipc';
import { derivedPaths, ensureDerivedFolders, type CaseStore } from '../store';
import { getEvaluation } from '../store/evaluations';
import { decodeImage, DEFAULT_INGEST_OPTIONS, type DecodedImage } from '../ingest';
import { heatmapPaths, thumbnailPath, writeThumbnail } from '../pipeline/prepare';
import type { AppContext } from './context';
import { elaRerunDir } from './evidence';

export interface Media {
  contentType: string;
  body: Buffer;
}

/**
 * Media URLs name an evidence item (fixed by its SHA-256 at import), a kind and an ELA quality,
 * and what they return is derived deterministically from those, so the renderer may cache them:
 * prefetching the next image while reviewing only helps if the browser keeps it.
 */
export const MEDIA_CACHE_CONTROL = 'private, max-age=3600';

/** Formats every browser (and Electron) shows as they are; anything else is converted for display. */
const BROWSER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'bmp']);

/**
 * Bytes for the renderer's <img> elements. Originals the browser cannot show faithfully (TIFF,
 * HEIF, CMYK or 16-bit files) are rendered to PNG from the same decode the analysis used; the
 * evidence file itself is only read.
 */
export async function loadMedia(ctx: AppContext, evidenceId: number, kind: MediaKind, version?: string): Promise<Media | null> {
  const open = ctx.current;
  if (!open) return null;
  const item = open.store.getEvidence(evidenceId);
  if (!item) return null;
  switch (kind) {
    case 'original':
      return original(open.store, item);
    case 'thumb':
      return thumbnail(open.store, item);
    case 'ela':
    case 'ela-preview': {
      const quality = version && /^\d{1,3}$/.test(version) ? Number(version) : undefined;
      const fromResult = item.latestResult?.ela;
      const paths =
        quality !== undefined && quality !== fromResult?.parameters.quality
          ? heatmapPaths(elaRerunDir(open.store.derivedDir, quality), item.sha256)
          : { heatmapPath: fromResult?.heatmapPath, previewPath: fromResult?.previewPath };
      const path = kind === 'ela' ? paths.heatmapPath : paths.previewPath;
      if (!path || !existsSync(path)) return null;
      return { contentType: 'image/png', body: await readFile(path) };
    }
  }
}

/** Decoded pixels as a PNG any browser shows (orientation applied, sRGB, 8-bit). */
function displayPng(image: DecodedImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).png({ compressionLevel: 3 }).toBuffer();
}

async function original(store: CaseStore, item: EvidenceItem): Promise<Media | null> {
  const m = item.metadata;
  const asIs = BROWSER_FORMATS.has(m.format) && m.bitDepth === 8 && m.colourSpace !== 'cmyk' && m.orientation === 1;
  // Other files are decoded and converted once, then served from the case's derived folder:
  // stepping back and forth through a TIFF or CMYK series must not decode each time.
  const cached = asIs ? undefined : join(derivedPaths(store.derivedDir).displayDir, `${item.sha256}.png`);
  if (cached && existsSync(cached)) return { contentType: 'image/png', body: await readFile(cached) };
  let bytes: Buffer;
  try {
    bytes = await readFile(item.path);
  } catch {
    return null;
  }
  if (!cached) return { contentType: `image/${m.format}`, body: bytes };
  const body = await displayPng(await decodeImage(bytes, { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels }));
  ensureDerivedFolders(store.derivedDir);
  writeFileSync(cached, body);
  return { contentType: 'image/png', body };
}

async function thumbnail(store: CaseStore, item: EvidenceItem): Promise<Media | null> {
  const path = thumbnailPath(derivedPaths(store.derivedDir).thumbnailDir, item.sha256);
  if (!existsSync(path)) {
    // Imported before thumbnails existed, or the derived folder was cleaned: make it now.
    try {
      const image = await decodeImage(await readFile(item.path), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });
      ensureDerivedFolders(store.derivedDir);
      await writeThumbnail(image, path);
    } catch {
      return null;
    }
  }
  return { contentType: 'image/jpeg', body: await readFile(path) };
}

/**
 * Images of a saved evaluation's items (FP/FN galleries): the thumbnail made while evaluating,
 * or the dataset image itself for display. Dataset images are only read.
 */
export async function loadEvaluationMedia(ctx: AppContext, evaluationId: string, index: number, kind: EvaluationMediaKind): Promise<Media | null> {
  const open = ctx.current;
  if (!open) return null;
  const item = getEvaluation(open.store, evaluationId)?.items[index];
  if (!item) return null;
  const path = thumbnailPath(derivedPaths(open.store.derivedDir).thumbnailDir, item.sha256);
  if (kind === 'thumb' && existsSync(path)) return { contentType: 'image/jpeg', body: await readFile(path) };
  try {
    const image = await decodeImage(await readFile(item.path), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });
    if (kind === 'thumb') {
      ensureDerivedFolders(open.store.derivedDir);
      await writeThumbnail(image, path);
      return { contentType: 'image/jpeg', body: await readFile(path) };
    }
    return { contentType: 'image/png', body: await displayPng(image) };
  } catch {
    return null;
  }
}
