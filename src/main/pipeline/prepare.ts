import { join } from 'node:path';
import type { ElaParameters, ElaResult, EvidenceMetadata } from '../../contract/evidence';
import { runEla } from '../analysis';
import { decodeImage, ingestFile, type IngestOptions } from '../ingest';
import type { DecodedImage } from '../ingest/decoded';

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
}

/** Partial knowledge about a file whose preparation failed, so the error record keeps it. */
export class PrepareFailure extends Error {
  constructor(readonly cause: unknown, readonly metadata?: EvidenceMetadata) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export function heatmapPaths(dir: string, sha256: string): { heatmapPath: string; previewPath: string } {
  return { heatmapPath: join(dir, `${sha256}.ela.png`), previewPath: join(dir, `${sha256}.ela-preview.png`) };
}

/** Ingest → decode → ELA for one file. Evidence is only ever read. */
export async function prepareFile(path: string, opts: PrepareOptions): Promise<PreparedFile> {
  const startedAt = performance.now();
  const { metadata, bytes } = await ingestFile(path, opts.ingest);
  try {
    const image = await decodeImage(bytes, { maxPixels: opts.ingest.maxPixels });
    const ela = opts.ela ? await runEla(image, opts.ela, opts.heatmapDir ? heatmapPaths(opts.heatmapDir, metadata.sha256) : undefined) : undefined;
    return { path, metadata, image, ela, startedAt };
  } catch (err) {
    throw new PrepareFailure(err, metadata);
  }
}
