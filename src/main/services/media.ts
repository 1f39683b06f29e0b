// The images the renderer shows, for both shells (the Electron protocol and the test server
// parse the URL with contract/media.ts and answer with what this returns).
//
// What is shown must be what was analysed: an original is served only after its bytes are
// hashed and match the SHA-256 recorded at import; every derived file (thumbnail, heatmap,
// display rendering) is looked up by the item's SHA-256 under the case's derived folder,
// never by a path stored in the database. Failures are answered with a status and a reason,
// and logged: a file that cannot be decoded or no longer matches is not a silent 404.
import { existsSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { isImageItem, type ImageEvidenceItem } from '../../contract/case';
import type { MediaRef } from '../../contract/media';
import { EvidenceError } from '../errors';
import { decodeImage, readVerified, type DecodedImage, type VerifiedRead } from '../ingest';
import { writeThumbnail } from '../pipeline/prepare';
import { describeAnalysis } from '../analysis/catalogue';
import { analysisFiles, derivedPaths, displayPath, elaHeatmaps, ensureDerivedFolders, evaluationElaDir, heatmapPaths, thumbnailPath, type CaseStore } from '../store';
import { getEvaluation } from '../store/evaluations';
import { renderLocalizationOverlay } from '../inference/localization';
import type { AppContext } from './context';
import { fullResolutionHeatmap } from './elaHeatmap';

export type MediaResponse =
  | { ok: true; status: 200; contentType: string; body: Buffer }
  /**
   * 404: nothing by that name (no case, no item, no heatmap at that quality yet);
   * 409: the original no longer has its imported SHA-256 (or is gone);
   * 422: the file could not be decoded for display; 500: anything else.
   */
  | { ok: false; status: 404 | 409 | 422 | 500; message: string };

/**
 * Media URLs name an evidence item (fixed by its SHA-256 at import), a kind and an ELA quality,
 * and what they return is derived deterministically from those, so the renderer may cache them:
 * prefetching the next image while reviewing only helps if the browser keeps it.
 */
export const MEDIA_CACHE_CONTROL = 'private, max-age=3600';

/** Formats every browser (and Electron) shows as they are; anything else is converted for display. */
const BROWSER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'bmp']);

const notFound = (message: string): MediaResponse => ({ ok: false, status: 404, message });
const found = (contentType: string, body: Buffer): MediaResponse => ({ ok: true, status: 200, contentType, body });

/** A failed verified read as an answer: a changed or missing original is a conflict with the record. */
function unverified(read: Exclude<VerifiedRead, { ok: true }>): MediaResponse {
  return { ok: false, status: read.problem === 'unreadable' ? 500 : 409, message: read.message };
}

export async function loadMedia(ctx: AppContext, ref: MediaRef): Promise<MediaResponse> {
  let answer: MediaResponse;
  try {
    answer = await answerFor(ctx, ref);
  } catch (err) {
    answer = { ok: false, status: 500, message: (err as Error).message };
  }
  if (!answer.ok) {
    const fields = { ref, status: answer.status };
    if (answer.status === 404) ctx.log.debug(`media not found: ${answer.message}`, fields);
    else ctx.log.warn(`media not served: ${answer.message}`, fields);
  }
  return answer;
}

async function answerFor(ctx: AppContext, ref: MediaRef): Promise<MediaResponse> {
  const open = ctx.current;
  if (!open) return notFound('No case is open.');
  if ('evaluationId' in ref) return evaluationMedia(ctx, open.store, ref);
  const item = open.store.getEvidence(ref.evidenceId);
  if (!item) return notFound(`No evidence item ${ref.evidenceId} in this case.`);
  switch (ref.kind) {
    case 'original':
      return isImageItem(item) ? original(ctx, open.store, item) : notFound(`${item.fileName} was refused at import: there is no image to show.`);
    case 'thumb':
      return isImageItem(item) ? thumbnail(ctx, open.store, item.fileName, item.path, item.sha256) : notFound(`${item.fileName} was refused at import: it has no thumbnail.`);
    case 'ela':
    case 'ela-preview': {
      if (!isImageItem(item)) return notFound(`${item.fileName} was refused at import: it has no ELA heatmap.`);
      if (ref.kind === 'ela') {
        // Made on first request (the viewer zoomed past the preview) and cached in the case (services/elaHeatmap.ts).
        let full: string | null;
        try {
          full = await fullResolutionHeatmap(open.store, item, ctx.config.maxPixels, ref.quality);
        } catch (err) {
          // The evidence had to be read again to make it: gone, changed or unreadable is a conflict with the record.
          return { ok: false, status: err instanceof EvidenceError && err.code === 'UNREADABLE' ? 409 : 500, message: (err as Error).message };
        }
        if (!full) return notFound(`No ELA heatmap at quality ${ref.quality} for ${item.fileName} (re-run ELA at that quality).`);
        return found('image/png', await readFile(full));
      }
      const { previewPath } = elaHeatmaps(open.store.derivedDir, item.sha256, ref.quality, item.latestResult?.ela?.parameters.quality);
      if (!existsSync(previewPath)) return notFound(`No ELA heatmap at quality ${ref.quality} for ${item.fileName} (re-run ELA at that quality).`);
      return found('image/png', await readFile(previewPath));
    }
    case 'analysis-map': {
      if (!isImageItem(item)) return notFound(`${item.fileName} was refused at import: it has no analysis maps.`);
      // Named by the item's SHA-256 and the analysis' current version, never by a stored path.
      const path = analysisFiles(open.store.derivedDir, item.sha256, ref.analysis, describeAnalysis(ref.analysis).version).map(ref.map);
      if (!existsSync(path)) return notFound(`No ${ref.analysis} map "${ref.map}" for ${item.fileName} yet (run the analysis in the inspector).`);
      return found('image/png', await readFile(path));
    }
    case 'localization': {
      // Rendered from the map stored with the score (a few hundred bytes), so it always shows
      // exactly what the audited result holds.
      if (!isImageItem(item)) return notFound(`${item.fileName} was refused at import: it has no model heatmap.`);
      const [modelId, sha] = ref.model.split('@');
      const map = item.latestResult?.scores.find((s) => s.modelId === modelId && (!sha || s.modelSha256.startsWith(sha)))?.localization;
      if (!map) return notFound(`No tamper heatmap of model ${ref.model} for ${item.fileName} (the model gives none, or the item was not scored with it).`);
      const m = item.metadata;
      return found('image/png', await renderLocalizationOverlay(map, m.displayWidth, m.displayHeight));
    }
  }
}

/** Decoded pixels as a PNG any browser shows (orientation applied, sRGB, 8-bit). */
function displayPng(image: DecodedImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).png({ compressionLevel: 3 }).toBuffer();
}

async function decodeForDisplay(ctx: AppContext, bytes: Buffer, what: string): Promise<DecodedImage | MediaResponse> {
  try {
    return await decodeImage(bytes, { maxPixels: ctx.config.maxPixels, fileName: what });
  } catch (err) {
    return { ok: false, status: 422, message: `${what} could not be decoded for display: ${(err as Error).message}` };
  }
}

const isAnswer = (x: DecodedImage | MediaResponse): x is MediaResponse => 'status' in x;

async function original(ctx: AppContext, store: CaseStore, item: ImageEvidenceItem): Promise<MediaResponse> {
  const read = await readVerified(item.path, item.sha256, item.fileName);
  if (!read.ok) return unverified(read);
  const m = item.metadata;
  if (BROWSER_FORMATS.has(m.format) && m.bitDepth === 8 && m.colourSpace !== 'cmyk' && m.orientation === 1) return found(`image/${m.format}`, read.bytes);
  // Other files are decoded and converted once, then served from the case's derived folder:
  // stepping back and forth through a TIFF or CMYK series must not decode each time. The
  // rendering is only made from bytes that verified, and only served once they verify again.
  const cached = displayPath(store.derivedDir, item.sha256);
  if (existsSync(cached)) return found('image/png', await readFile(cached));
  const image = await decodeForDisplay(ctx, read.bytes, item.fileName);
  if (isAnswer(image)) return image;
  const body = await displayPng(image);
  ensureDerivedFolders(store.derivedDir);
  writeFileSync(cached, body);
  return found('image/png', body);
}

/** The thumbnail by SHA-256; made now from the verified original when missing (imported before thumbnails existed, or derived/ cleaned). */
async function thumbnail(ctx: AppContext, store: CaseStore, what: string, originalPath: string, sha256: string): Promise<MediaResponse> {
  const path = thumbnailPath(derivedPaths(store.derivedDir).thumbnailDir, sha256);
  if (existsSync(path)) return found('image/jpeg', await readFile(path));
  const read = await readVerified(originalPath, sha256, what);
  if (!read.ok) return unverified(read);
  const image = await decodeForDisplay(ctx, read.bytes, what);
  if (isAnswer(image)) return image;
  ensureDerivedFolders(store.derivedDir);
  await writeThumbnail(image, path);
  return found('image/jpeg', await readFile(path));
}

/**
 * Images of a saved evaluation's items (FP/FN galleries): the thumbnail made while evaluating,
 * or the dataset image itself, checked against the SHA-256 the evaluation recorded. Dataset
 * images are only read.
 */
async function evaluationMedia(ctx: AppContext, store: CaseStore, ref: Extract<MediaRef, { evaluationId: string }>): Promise<MediaResponse> {
  const item = getEvaluation(store, ref.evaluationId)?.items[ref.item];
  if (!item) return notFound(`No item ${ref.item} in evaluation ${ref.evaluationId}.`);
  if (ref.kind === 'evaluation-thumb') return thumbnail(ctx, store, item.path, item.path, item.sha256);
  if (ref.kind === 'evaluation-ela') {
    const preview = heatmapPaths(evaluationElaDir(store.derivedDir), item.sha256).previewPath;
    return existsSync(preview) ? found('image/png', await readFile(preview)) : notFound(`No ELA of ${item.path} yet (evaluation.itemEla makes it).`);
  }
  if (ref.kind === 'evaluation-mask') {
    if (!item.maskPath) return notFound(`${item.path} has no ground-truth mask in its dataset.`);
    const bytes = await readFile(item.maskPath).catch(() => null);
    if (!bytes) return notFound(`The mask ${item.maskPath} cannot be read.`);
    // Masks come as PNG, TIFF, BMP or JPEG: shown as a PNG any browser displays.
    const image = await decodeForDisplay(ctx, bytes, item.maskPath);
    if (isAnswer(image)) return image;
    return found('image/png', await displayPng(image));
  }
  const read = await readVerified(item.path, item.sha256);
  if (!read.ok) return unverified(read);
  const image = await decodeForDisplay(ctx, read.bytes, item.path);
  if (isAnswer(image)) return image;
  return found('image/png', await displayPng(image));
}
