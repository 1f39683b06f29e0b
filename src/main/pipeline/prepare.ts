import sharp from 'sharp';
import type { ElaParameters, ElaResult, EvidenceMetadata } from '../../contract/evidence';
import { runEla } from '../analysis';
import { decodeImage, ingestFile, type IngestOptions } from '../ingest';
import type { DecodedImage } from '../ingest/decoded';
// File names of derived data are defined with the case's derived folders (store/derived.ts).
import { heatmapPaths, thumbnailPath } from '../store/derived';

export { heatmapPaths, thumbnailPath };

/** A file after the CPU-side stages: hashed, described, decoded once, ELA done. */
export interface PreparedFile {
  path: string;
  metadata: EvidenceMetadata;
  image: DecodedImage;
  ela?: ElaResult;
  startedAt: number;
}

export interface PrepareOptions {
  ingest: IngestOptions;
  /** null skips ELA. */
  ela: ElaParameters | null;
  /** Folder for heatmap PNGs, named by the evidence SHA-256; omitted → statistics only. */
  heatmapDir?: string;
  /** Folder for gallery thumbnails (JPEG, named by SHA-256), made from the pixels already decoded. */
  thumbnailDir?: string;
}

export const THUMBNAIL_SIDE = 256;

/** A small JPEG for galleries, from decoded pixels so the evidence is not decoded twice. */
export async function writeThumbnail(image: DecodedImage, path: string): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toFile(path);
}

/** Partial knowledge about a file whose preparation failed, so the error record keeps it. */
export class PrepareFailure extends Error {
  constructor(readonly reason: unknown, readonly metadata?: EvidenceMetadata) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** Ingest → decode → ELA for one file. Evidence is only ever read. */
export async function prepareFile(path: string, opts: PrepareOptions): Promise<PreparedFile> {
  const startedAt = performance.now();
  const { metadata, bytes } = await ingestFile(path, opts.ingest);
  try {
    const image = await decodeImage(bytes, { maxPixels: opts.ingest.maxPixels });
    const [ela] = await Promise.all([
      opts.ela ? runEla(image, opts.ela, opts.heatmapDir ? heatmapPaths(opts.heatmapDir, metadata.sha256) : undefined) : undefined,
      opts.thumbnailDir ? writeThumbnail(image, thumbnailPath(opts.thumbnailDir, metadata.sha256)) : undefined,
    ]);
    return { path, metadata, image, ela, startedAt };
  } catch (err) {
    throw new PrepareFailure(err, metadata);
  }
}
