// Which forensic analyses run on every imported file, and running them on one prepared file.
//
// The batch set is what costs at most a few decodes per megapixel (bench/analyses.ts): metadata,
// thumbnail, quantisation tables, double JPEG, grid and noise. JPEG ghosts (51 re-compressions),
// copy-move (keypoints, ~50 decodes) and C2PA (a WebAssembly validator instance, kept in the main
// process rather than in every prepare worker) run on demand when the inspector opens an item
// (services/analyses.ts), and their summaries are then stored like the batch ones. One analysis
// that fails on a file becomes a problem sentence for that file; the others still run.

import type { AnalysisId, AnalysisSummary } from '../../contract/analyses';
import type { ImageFormat } from '../../contract/evidence';
import type { DecodedImage } from '../ingest/decoded';
import { analyzeDoubleJpeg } from './doubleJpeg';
import { analyzeGeneratorTraces } from './generatorTraces';
import { analyzeGrid } from './grid';
import { analyzeMetadataConsistency } from './metadataConsistency';
import { analyzeNoise } from './noise';
import { analyzeQuantTables } from './quantTables';
import { analyzeThumbnail } from './thumbnail';

/** Run on import for every image, in the catalogue's reading order. */
export const BATCH_ANALYSES: readonly AnalysisId[] = Object.freeze([
  'generatorTraces',
  'metadataConsistency',
  'thumbnail',
  'quantTables',
  'doubleJpeg',
  'grid',
  'noise',
]);

/** Run when the inspector asks for them (each costs many decodes, or a validator instance). */
export const ON_DEMAND_ANALYSES: readonly AnalysisId[] = Object.freeze(['c2pa', 'ghosts', 'copyMove']);

export interface BatchAnalysisInput {
  bytes: Uint8Array;
  image: DecodedImage;
  format: ImageFormat;
  /** What the metadata claims made the file (EXIF Make, Software), checked against the tables. */
  claimed?: { make?: string; software?: string };
  /** File-system modification time of the evidence (ISO-8601), for the date checks. */
  fileModifiedAt?: string;
}

export interface BatchAnalysisOutcome {
  summaries: AnalysisSummary[];
  /** One sentence per analysis that could not run on this file (the file itself is fine). */
  problems: string[];
}

/** Runs every batch analysis on one file; an analysis that throws is reported, not fatal. */
export async function runBatchAnalyses(input: BatchAnalysisInput): Promise<BatchAnalysisOutcome> {
  const { bytes, image } = input;
  const runners: Record<string, () => AnalysisSummary | Promise<AnalysisSummary>> = {
    generatorTraces: () => analyzeGeneratorTraces(bytes),
    metadataConsistency: async () => (await analyzeMetadataConsistency(bytes, { fileModifiedAt: input.fileModifiedAt })).summary,
    thumbnail: async () => (await analyzeThumbnail(bytes)).summary,
    quantTables: () => analyzeQuantTables(bytes, { claimed: input.claimed }).summary,
    doubleJpeg: () => analyzeDoubleJpeg(bytes).summary,
    grid: () => analyzeGrid(image).summary,
    noise: () => analyzeNoise(image).summary,
  };
  const summaries: AnalysisSummary[] = [];
  const problems: string[] = [];
  for (const id of BATCH_ANALYSES) {
    try {
      summaries.push(await runners[id]!());
    } catch (err) {
      problems.push(`Analysis ${id} could not run on this file: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { summaries, problems };
}
