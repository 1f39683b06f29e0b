import { existsSync } from 'node:fs';
import sharp from 'sharp';
import type { EvidenceItem, ImageEvidenceItem } from '../../contract/case';
import type { ReportImage } from '../../contract/report';
import { readVerified } from '../ingest';
import { derivedPaths, elaHeatmaps, thumbnailPath } from '../store/derived';

/**
 * Pictures are embedded as JPEG data URLs downscaled to this long side: sharp enough to see
 * what the heatmap points at on an A4 page (about 90 mm wide, ~250 dpi), small enough that a
 * 100-item report stays a file one can e-mail.
 */
export const EMBED_MAX_SIDE = 900;
export const EMBED_JPEG_QUALITY = 80;

/**
 * A picture at most EMBED_MAX_SIDE on its long side. Only a preview is needed, so libvips
 * decodes it shrunk (JPEG and WebP scale down while decoding, up to 8×) and streams the rest
 * line by line: a 100 MP original costs a fraction of its full decode.
 */
async function toJpegDataUrl(input: Buffer | string, maxPixels: number, caveat?: string): Promise<ReportImage> {
  const { data, info } = await sharp(input, { limitInputPixels: maxPixels, pages: 1, page: 0, sequentialRead: true })
    .autoOrient()
    .resize(EMBED_MAX_SIDE, EMBED_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .jpeg({ quality: EMBED_JPEG_QUALITY })
    .toBuffer({ resolveWithObject: true });
  return { dataUrl: `data:image/jpeg;base64,${data.toString('base64')}`, width: info.width, height: info.height, caveat };
}

export type Embedded = { image: ReportImage; problem?: undefined } | { image: null; problem: string };

/**
 * The evidence picture, from the original file (read only). When the file no longer has its
 * imported SHA-256 the report must not show the changed picture as the evidence: it shows the
 * thumbnail made from the original bytes at import instead, and says so.
 */
export async function embedPhoto(item: ImageEvidenceItem, derivedDir: string, maxPixels: number): Promise<Embedded> {
  const read = await readVerified(item.path, item.sha256);
  if (read.ok) {
    try {
      return { image: await toJpegDataUrl(read.bytes, maxPixels) };
    } catch (err) {
      return { image: null, problem: `The image could not be decoded for display (${(err as Error).message}).` };
    }
  }
  const problem = {
    missing: 'The file is no longer at its imported path.',
    changed: 'The file on disk no longer has its imported SHA-256.',
    unreadable: `The file could not be read (${read.message}).`,
  }[read.problem];
  const thumb = thumbnailPath(derivedPaths(derivedDir).thumbnailDir, item.sha256);
  if (existsSync(thumb)) {
    return { image: await toJpegDataUrl(thumb, maxPixels, `${problem} Shown: the thumbnail made from the original bytes at import.`) };
  }
  return { image: null, problem: `${problem} No import-time thumbnail is available.` };
}

/**
 * The ELA heatmap preview the analysis wrote (derived data, PNG) as an embedded JPEG, found by
 * the item's SHA-256 in the case's derived folder (never by a path stored in the database).
 */
export async function embedHeatmap(item: EvidenceItem, derivedDir: string, maxPixels: number): Promise<Embedded> {
  const ela = item.latestResult?.ela;
  if (!ela || !item.sha256) return { image: null, problem: item.latestResult ? 'ELA did not run for this item.' : 'This item has not been analysed.' };
  const quality = ela.parameters.quality;
  const paths = elaHeatmaps(derivedDir, item.sha256, quality, quality);
  const path = [paths.previewPath, paths.heatmapPath].find((p) => existsSync(p));
  if (!path) return { image: null, problem: 'The heatmap file is missing from the case folder (derived/ was cleaned); re-run the analysis to restore it.' };
  try {
    return { image: await toJpegDataUrl(path, maxPixels) };
  } catch (err) {
    return { image: null, problem: `The heatmap could not be read (${(err as Error).message}).` };
  }
}

/**
 * A map an analysis run in the inspector cached under the case's derived folder (by SHA-256 and
 * analysis version), as an embedded JPEG; null when the analysis has no cached map.
 */
export async function embedAnalysisMap(path: string, maxPixels: number): Promise<ReportImage | null> {
  if (!existsSync(path)) return null;
  try {
    return await toJpegDataUrl(path, maxPixels);
  } catch {
    // A damaged cache file: the finding is still printed, without its map.
    return null;
  }
}
