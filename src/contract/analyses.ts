// The forensic analyses beyond ELA (issue 14): what each one reports cheaply per image (stored per
// item, filtered and sorted in the gallery, printed in reports) and how each one describes itself.
// Plain JSON only, like everything in the contract. The expensive maps and curves stay in the
// engine (src/main/analysis/<technique>.ts) and are computed on demand for the inspector.

/** One identifier per technique; each names its module in src/main/analysis/. */
export type AnalysisId =
  | 'noise'
  | 'ghosts'
  | 'doubleJpeg'
  | 'grid'
  | 'copyMove'
  | 'quantTables'
  | 'thumbnail'
  | 'metadataConsistency'
  | 'c2pa'
  | 'generatorTraces';

/** A setting as recorded with a result and printed on the report cover. */
export type AnalysisParameterValue = number | string | boolean;
export type AnalysisParameters = Record<string, AnalysisParameterValue>;

/** How an analysis presents itself in the inspector legend and the report. */
export interface AnalysisDescription {
  id: AnalysisId;
  title: string;
  /** "<id>/<n>": bumped whenever the same input could give a different result. */
  version: string;
  /** One sentence: what a positive finding shows. */
  shows: string;
  /** One sentence: what it does not prove (and what a negative finding does not prove). */
  doesNotProve: string;
  /** Default parameters, as recorded with each result. */
  parameters: AnalysisParameters;
  /** Published method(s) it follows. */
  references: string[];
  /** Which inputs it applies to. */
  appliesTo: 'any image' | 'JPEG files' | 'files with metadata';
}

/** A rectangle in image pixels (after EXIF orientation, as the decoded pixels). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Fields every summary carries, so the gallery can show a flag and its reason uniformly. */
export interface AnalysisSummaryBase {
  analysis: AnalysisId;
  version: string;
  parameters: AnalysisParameters;
  /**
   * 'ok': the analysis ran; 'not-applicable': the input cannot carry this trace (not a JPEG, no
   * EXIF thumbnail...), `reason` says why; never an error (errors are thrown as EvidenceError).
   */
  status: 'ok' | 'not-applicable';
  flagged: boolean;
  /** A sentence an investigator can read: why it is flagged, or what was (not) found. */
  reason: string;
}

/** 1. Noise residual: local noise level per block, and the block region that stands out. */
export interface NoiseSummary extends AnalysisSummaryBase {
  analysis: 'noise';
  /** Median of the block noise estimates (σ in 0..255 levels). */
  medianSigma: number;
  /**
   * Noise inconsistency: mean σ of the most deviant region divided by the median block σ
   * (1 = uniform noise). Regions quieter than the rest count too (ratio inverted), because a
   * smoothed or upsampled paste is as suspicious as a noisier one.
   */
  inconsistency: number;
  /** The region whose noise level departs most from the rest, or null when none stands out. */
  region: (PixelRect & { sigma: number; direction: 'noisier' | 'smoother' }) | null;
}

/** 2. JPEG ghosts: the quality at which a region's re-save difference dips. */
export interface GhostSummary extends AnalysisSummaryBase {
  analysis: 'ghosts';
  /** Quality of the last save, from the file's own tables when it is a JPEG (else null). */
  lastQuality: number | null;
  /** The quality at which the strongest ghost dips, or null when no region shows one. */
  ghostQuality: number | null;
  /** Depth of that dip, 0..1 (share of the difference that vanishes at the ghost quality). */
  depth: number;
  /** Share (0..1) of analysed windows showing a ghost at about that quality. */
  share: number;
  region: PixelRect | null;
}

/** 3. Aligned double JPEG compression, from the file's own DCT coefficients. */
export interface DoubleJpegSummary extends AnalysisSummaryBase {
  analysis: 'doubleJpeg';
  /** 0..1: how strongly the coefficient histograms show double quantisation. */
  probability: number;
  /** IJG quality whose table best explains the estimated first quantisation steps, if any. */
  primaryQualityEstimate: number | null;
  /** Quality of the last save (from its tables). */
  lastQuality: number | null;
  /** Share of informative blocks that look singly compressed inside a doubly compressed image. */
  singleCompressedShare: number;
  /** The largest connected area of singly compressed blocks in a doubly compressed image. */
  region: PixelRect | null;
}

/** 4. JPEG block grid position from the pixels. */
export interface GridSummary extends AnalysisSummaryBase {
  analysis: 'grid';
  /**
   * Crop offset: columns/rows removed from the left/top, modulo 8, that would explain where the
   * 8×8 blocking sits ({x:0,y:0} for an uncropped JPEG). Null when no grid is visible.
   */
  offset: { x: number; y: number } | null;
  /** Strength of the grid, in robust standard deviations above the other phases. */
  strength: number;
  /** Share of windows with a visible grid whose grid sits elsewhere. */
  mismatchedShare: number;
  region: PixelRect | null;
}

/** A link between a source and a target area that match under one geometric transform. */
export interface CopyMoveCluster {
  source: PixelRect;
  target: PixelRect;
  /** Matched keypoint pairs that agree with the transform. */
  matches: number;
  /** Rotation in degrees and scale from source to target. */
  rotation: number;
  scale: number;
  /** Translation of the source centre to the target centre in pixels. */
  shift: { x: number; y: number };
}

/** 5. Copy-move: keypoint matching within the image, verified geometrically. */
export interface CopyMoveSummary extends AnalysisSummaryBase {
  analysis: 'copyMove';
  /** Keypoint pairs in verified clusters (0 when nothing was cloned, or nothing was found). */
  matchCount: number;
  keypoints: number;
  clusters: CopyMoveCluster[];
}

/** A known encoder's table set that the file's tables match. */
export interface QuantTableMatch {
  /** Software or device, e.g. "IJG libjpeg", "mozjpeg (ImageMagick table)", "Adobe Photoshop". */
  source: string;
  /** Setting in that software's own terms ("quality 90", "Save As quality 10"), when known. */
  setting?: string;
  /** 'exact': every table equal; 'digest': ExifTool's JPEGDigest database entry. */
  kind: 'exact' | 'digest';
}

/** 6. Quantisation-table fingerprint. */
export interface QuantTablesSummary extends AnalysisSummaryBase {
  analysis: 'quantTables';
  /** Short label: "IJG libjpeg quality 90", "Adobe Photoshop, Quality 10", or "unknown". */
  fingerprint: string;
  matches: QuantTableMatch[];
  /** Nearest IJG quality (as in the metadata estimate), and the mean |log ratio| distance to it. */
  nearestIjgQuality: number;
  ijgDistance: number;
  /** ExifTool-compatible JPEGDigest ("md5" or "md5:subsampling"). */
  digest: string;
  tableCount: number;
}

/** 7a. EXIF thumbnail against the main image. */
export interface ThumbnailSummary extends AnalysisSummaryBase {
  analysis: 'thumbnail';
  present: boolean;
  /** Thumbnail size in pixels when present. */
  thumbnailSize: { width: number; height: number } | null;
  /** Mean absolute luminance difference (0..255) with the downscaled main image. */
  meanDifference: number | null;
  /** Largest cell difference (0..255) of an 8×8 grid over the thumbnail. */
  maxCellDifference: number | null;
  /** Correlation (−1..1) of the two luminance images. */
  correlation: number | null;
  /** The differing area in main-image pixels, when a part (not all) differs. */
  region: PixelRect | null;
}

export type ConsistencySeverity = 'info' | 'notice' | 'warning';

export interface ConsistencyFinding {
  /** Stable code for filters: 'modified-after-capture', 'date-order', 'software-editor', ... */
  code: string;
  severity: ConsistencySeverity;
  message: string;
}

/** 7b. Dates, software chain, GPS and maker-note presence. */
export interface MetadataConsistencySummary extends AnalysisSummaryBase {
  analysis: 'metadataConsistency';
  dates: {
    original?: string;
    digitized?: string;
    modified?: string;
    gpsUtc?: string;
    xmpCreate?: string;
    xmpModify?: string;
    xmpMetadata?: string;
    file?: string;
  };
  /** Every program the file names, in the order it names them (capture first where known). */
  softwareChain: { source: string; value: string }[];
  gps: boolean;
  makerNote: boolean;
  findings: ConsistencyFinding[];
}

/** An action recorded in a C2PA manifest. */
export interface C2paAction {
  action: string;
  digitalSourceType?: string;
  softwareAgent?: string;
  when?: string;
  description?: string;
}

/** 9a. Content Credentials (C2PA). */
export interface C2paSummary extends AnalysisSummaryBase {
  analysis: 'c2pa';
  /**
   * absent: no manifest (proves nothing); valid: signature and content hashes check out;
   * invalid: a check failed (see failures); unreadable: a manifest is there but cannot be read.
   */
  state: 'absent' | 'valid' | 'invalid' | 'unreadable';
  /** The signing certificate chains to a configured trust anchor. False without a trust list. */
  trusted: boolean;
  /** The content no longer matches the hash the signer recorded (edited after signing). */
  hashMismatch: boolean;
  signatureValid: boolean | null;
  claimGenerator?: string;
  signer?: { commonName?: string; issuer?: string; time?: string; algorithm?: string };
  actions: C2paAction[];
  ingredients: { title?: string; relationship?: string; hasManifest: boolean; validationState?: string }[];
  /** The active manifest declares generative-AI media (IPTC digital source type). */
  generated: boolean;
  /** The digital source type that makes it so, e.g. ".../trainedAlgorithmicMedia". */
  digitalSourceType?: string;
  failures: { code: string; explanation: string }[];
  manifestCount: number;
}

/** 9b. Generator traces outside C2PA: IPTC DigitalSourceType, SD parameters, ComfyUI workflows. */
export interface GeneratorTrace {
  /** Where it was found: "PNG tEXt parameters", "XMP Iptc4xmpExt:DigitalSourceType", ... */
  location: string;
  /** Generator or front-end named or implied ("AUTOMATIC1111 / Stable Diffusion web UI", "ComfyUI"). */
  generator: string;
  /** A short excerpt (never the whole prompt: at most 200 characters). */
  excerpt: string;
  /** 'declared': the file states it is AI-generated; 'trace': a generator's settings are present. */
  kind: 'declared' | 'trace';
}

export interface GeneratorTracesSummary extends AnalysisSummaryBase {
  analysis: 'generatorTraces';
  /** IPTC DigitalSourceType found in XMP (full URI or term), if any. */
  digitalSourceType?: string;
  /** True when the digital source type is one of the generative-AI terms. */
  declaredGenerated: boolean;
  traces: GeneratorTrace[];
}

export type AnalysisSummary =
  | NoiseSummary
  | GhostSummary
  | DoubleJpegSummary
  | GridSummary
  | CopyMoveSummary
  | QuantTablesSummary
  | ThumbnailSummary
  | MetadataConsistencySummary
  | C2paSummary
  | GeneratorTracesSummary;

/** An analysis summary as stored for an item in the case database (one per item and analysis). */
export interface StoredFinding {
  id: number;
  evidenceId: number;
  analysis: AnalysisId;
  version: string;
  /** When the analysis ran (import time for the batch analyses, inspector time for the others). */
  computedAt: string;
  summary: AnalysisSummary;
}

/** Identifiers as a list (for validation and menus), in the catalogue's reading order. */
export const ANALYSIS_IDS = [
  'c2pa',
  'generatorTraces',
  'metadataConsistency',
  'thumbnail',
  'quantTables',
  'doubleJpeg',
  'ghosts',
  'grid',
  'noise',
  'copyMove',
] as const satisfies readonly AnalysisId[];

/** Short names for filter menus and table columns. */
export const ANALYSIS_SHORT_NAMES: Record<AnalysisId, string> = {
  c2pa: 'Content Credentials',
  generatorTraces: 'Generator traces',
  metadataConsistency: 'Metadata',
  thumbnail: 'EXIF thumbnail',
  quantTables: 'Quantisation tables',
  doubleJpeg: 'Double JPEG',
  ghosts: 'JPEG ghosts',
  grid: 'JPEG grid',
  noise: 'Noise',
  copyMove: 'Copy-move',
};

/** How to read a map's colours: the inspector draws this next to the overlay, the report under it. */
export type MapLegend =
  /** Inferno from `range[0]` (black) to `range[1]` (pale yellow); dark grey where nothing was measured. */
  | { kind: 'inferno'; unit: string; range: [number, number] }
  /** Grey levels from black (`range[0]`) to white (`range[1]`). */
  | { kind: 'grey'; unit: string; range: [number, number] }
  /** A picture shown as it is (the EXIF thumbnail, the reduced main image). */
  | { kind: 'picture'; unit: string };

/** A map the inspector overlays on the photo (same geometry as the analysed image). */
export interface AnalysisMapView {
  /** Names the map in its media URL: lower-case letters, digits and "-". */
  name: string;
  title: string;
  /** One sentence: what bright or coloured areas mean. */
  caption: string;
  legend: MapLegend;
  /** Pixel size of the map file; overlays are stretched to the photo. */
  width: number;
  height: number;
  /** The area the summary points at, in analysed-image pixels, when there is one. */
  region: PixelRect | null;
  /** The second area of a pair (copy-move: the clone target). */
  linked?: PixelRect[];
}

export interface AnalysisTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
}

/** A line chart: one x axis, one or more series (null where a series has no value). */
export interface AnalysisChart {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: { label: string; values: (number | null)[] }[];
  /** An x value to mark (the ghost quality, the last save's quality). */
  marks?: { x: number; label: string }[];
}

/** Everything the inspector shows of one analysis of one item. */
export interface AnalysisView {
  description: AnalysisDescription;
  summary: AnalysisSummary;
  computedAt: string;
  /** True when it was read from the case's derived folder rather than computed now. */
  cached: boolean;
  maps: AnalysisMapView[];
  tables: AnalysisTable[];
  charts: AnalysisChart[];
}

/** An analysis as the inspector lists it for an item: its description and stored finding, if any. */
export interface AnalysisListEntry {
  description: AnalysisDescription;
  /** Runs on import (stored for every item) or only when asked for here. */
  runs: 'on import' | 'on demand';
  finding: StoredFinding | null;
}

/** A map's name in a media URL. */
export const MAP_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
