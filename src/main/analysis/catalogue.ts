// Every forensic analysis beyond ELA, with its version, its one-line "shows / does not prove" and
// its default parameters: what the inspector legend, the report cover and the case database read
// to say which analyses ran, in which version. A result records its analysis id and version.

import type { AnalysisDescription, AnalysisId } from '../../contract/analyses';
import { C2PA_ANALYSIS } from './c2pa';
import { COPY_MOVE_ANALYSIS } from './copyMove';
import { DOUBLE_JPEG_ANALYSIS } from './doubleJpeg';
import { GENERATOR_TRACES_ANALYSIS } from './generatorTraces';
import { GHOSTS_ANALYSIS } from './ghosts';
import { GRID_ANALYSIS } from './grid';
import { METADATA_CONSISTENCY_ANALYSIS } from './metadataConsistency';
import { NOISE_ANALYSIS } from './noise';
import { QUANT_TABLES_ANALYSIS } from './quantTables';
import { THUMBNAIL_ANALYSIS } from './thumbnail';

/** In the order an examiner reads them: provenance and metadata first, then pixels, then JPEG structure. */
export const ANALYSES: readonly AnalysisDescription[] = Object.freeze([
  C2PA_ANALYSIS,
  GENERATOR_TRACES_ANALYSIS,
  METADATA_CONSISTENCY_ANALYSIS,
  THUMBNAIL_ANALYSIS,
  QUANT_TABLES_ANALYSIS,
  DOUBLE_JPEG_ANALYSIS,
  GHOSTS_ANALYSIS,
  GRID_ANALYSIS,
  NOISE_ANALYSIS,
  COPY_MOVE_ANALYSIS,
]);

export function describeAnalysis(id: AnalysisId): AnalysisDescription {
  const found = ANALYSES.find((a) => a.id === id);
  if (!found) throw new RangeError(`Unknown analysis "${id}".`);
  return found;
}

/** "noise/1, ghosts/1, ...": the versions line of a report cover. */
export function analysisVersions(): string {
  return ANALYSES.map((a) => a.version).join(', ');
}
