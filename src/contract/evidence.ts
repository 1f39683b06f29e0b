// Data shapes that leave the engine: written to results.jsonl by the CLI, stored in the case
// database, sent over IPC to the renderer and printed in reports. Plain JSON only (no Buffers,
// no Dates) so every consumer sees exactly the same thing.

import type { AnalysisSummary } from './analyses';

/** Formats the engine recognises from content (magic bytes), never from the file name. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'bmp' | 'gif' | 'heif' | 'avif';

/** What ingest learns about one evidence file without changing it. */
export interface EvidenceMetadata {
  /** Absolute path as given (after resolving relative paths). */
  path: string;
  fileName: string;
  /** SHA-256 (hex) of the original bytes on disk. */
  sha256: string;
  sizeBytes: number;
  format: ImageFormat;
  /** True when the file name's extension disagrees with the detected format. */
  extensionMismatch: boolean;
  width: number;
  height: number;
  /** Width/height after applying EXIF orientation (what a viewer shows). */
  displayWidth: number;
  displayHeight: number;
  /** EXIF orientation tag 1..8, 1 when absent. */
  orientation: number;
  /** libvips interpretation: srgb, b-w, cmyk, rgb16, grey16, ... */
  colourSpace: string;
  channels: number;
  /** Bits per sample: 8, 16, 32 (float). */
  bitDepth: number;
  hasAlpha: boolean;
  /** Frames in the file (GIF/WebP/TIFF pages); analysis uses the first. */
  frames: number;
  hasIccProfile: boolean;
  iccDescription?: string;
  hasExif: boolean;
  hasXmp: boolean;
  hasEmbeddedThumbnail: boolean;
  /** A few EXIF fields an examiner looks at first. */
  exif: ExifSummary;
  /** Estimated JPEG quality (1..100) from the quantization tables, JPEG only. */
  jpegQuality?: JpegQualityEstimate;
  /**
   * Bytes after the end of the image (JPEG EOI, PNG IEND, GIF trailer, WebP RIFF size), which
   * viewers ignore: another file hidden behind the picture (a polyglot) or data a device appended.
   */
  trailingData?: { offset: number; bytes: number; looksLike?: string };
  /** Human-readable findings: missing EXIF, editing software tag, first frame only, ... */
  warnings: string[];
  /**
   * Findings that flag the item by themselves (see contract/flagged.ts): the metadata names an
   * editor or an AI generator, or carries a generator's prompt. Absent on items imported before
   * these were recorded; their warnings say the same in words.
   */
  analysisFlags?: AnalysisFlag[];
}

export interface AnalysisFlag {
  code: 'editing-software' | 'generator-software' | 'generator-parameters';
  /** What was found, e.g. the EXIF Software value. */
  detail: string;
}

export interface ExifSummary {
  make?: string;
  model?: string;
  software?: string;
  dateTimeOriginal?: string;
  modifyDate?: string;
  lensModel?: string;
  gps?: { latitude: number; longitude: number };
  /** XMP CreatorTool or similar, often names the editor that last saved the file. */
  creatorTool?: string;
}

export interface JpegQualityEstimate {
  /** IJG-scale quality 1..100 that best explains the luminance table. */
  quality: number;
  /** True when the tables are exactly the scaled IJG standard tables (libjpeg-family encoder). */
  standardTables: boolean;
  /** Number of quantization tables found. */
  tables: number;
}

export interface ElaParameters {
  /** JPEG quality used for the re-compression, 1..100. */
  quality: number;
  /** Multiplier applied to the absolute difference before colouring. */
  scale: number;
  /** Per-pixel level (0..255 after scaling is NOT applied) above which a pixel counts as "high". */
  threshold: number;
  /** Longest side of the preview PNG. */
  previewMaxSide: number;
}

export interface ElaStats {
  /** Mean absolute error over all pixels and channels, in 0..255 units (unscaled). */
  mean: number;
  /** 99th percentile of the per-pixel max-channel error (unscaled). */
  p99: number;
  max: number;
  /** Share (0..1) of pixels whose max-channel error exceeds the threshold. */
  highShare: number;
  /** Bounding box of the most anomalous region (block grid), in image pixels. */
  topRegion: { x: number; y: number; width: number; height: number; meanError: number } | null;
}

export interface ElaResult {
  parameters: ElaParameters;
  stats: ElaStats;
  /** Full-resolution heatmap PNG. */
  heatmapPath?: string;
  /** Capped-size preview PNG. */
  previewPath?: string;
}

export type ExecutionProviderName = 'webgpu' | 'dml' | 'coreml' | 'cuda' | 'cpu';

/** What a detector decides: generated (GAN/diffusion), manipulated (spliced, copy-moved,
 *  retouched) or face (a face swapped or re-enacted by a deepfake method). */
export type ModelTask = 'generated' | 'manipulated' | 'face';

/** A rectangle in the analysed image's pixels (EXIF orientation applied). */
export interface ImageBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A face a face model found and scored. */
export interface FaceScore {
  box: ImageBox;
  /** The face detector's confidence that this is a face (0..1). */
  detectorScore: number;
  /** The model's score for this face (0..1, higher = more likely swapped). */
  score: number;
}

/**
 * Where a model with a localisation output thinks the image was edited: a grid of tamper
 * probabilities covering `region` of the image (the whole image for models that see it
 * resized), one byte per cell, row by row, 0..255 = probability 0..1.
 */
export interface LocalizationMap {
  /** The ONNX output it came from. */
  output: string;
  width: number;
  height: number;
  /** base64 of width × height bytes. */
  values: string;
  region: ImageBox;
  /** Highest cell probability (0..1). */
  max: number;
  /** Share of cells at or above 0.5. */
  share: number;
}

export interface ModelScore {
  modelId: string;
  modelVersion: string;
  /** SHA-256 of the ONNX file that produced the score. */
  modelSha256: string;
  task: ModelTask;
  /** Probability-like score in 0..1 that the image is fake (generated or manipulated); for
   *  face models the most suspicious face's score, 0 when no face was found (see `faces`). */
  score: number;
  /** Per-crop scores before aggregation. */
  cropScores: number[];
  threshold: number;
  /** score >= threshold */
  flagged: boolean;
  /**
   * What the threshold costs, as measured when the model was made (its manifest): the share of
   * real images it flags (false-positive rate) and of fakes it misses, and on which images
   * ("test split, 120 real / 130 fake"). Absent for models without a calibration record.
   */
  operatingPoint?: { fpr: number | null; fnr: number | null; measuredOn: string };
  /** Execution provider that actually ran the session. */
  provider: ExecutionProviderName;
  /** True for models that are test fixtures, not detectors: scores mean nothing forensically. */
  fixture: boolean;
  /** Face models: every face found and scored; an empty list means no face was found. */
  faces?: FaceScore[];
  /** Models with a localisation output: the tamper heatmap. */
  localization?: LocalizationMap;
}

export interface FileError {
  /** Machine-readable reason. */
  code:
    | 'EMPTY_FILE'
    | 'NOT_AN_IMAGE'
    | 'UNSUPPORTED_FORMAT'
    | 'TRUNCATED'
    | 'CORRUPT'
    | 'TOO_MANY_PIXELS'
    | 'TOO_LARGE'
    | 'UNREADABLE'
    | 'NOT_A_FILE'
    | 'MODEL_FAILED'
    | 'CANCELLED'
    | 'INTERNAL';
  /** Sentence a user can act on. */
  message: string;
}

/** One line of results.jsonl: everything the analysis learned about one file. */
export interface AnalysisRecord {
  path: string;
  status: 'ok' | 'error';
  /** Present whenever the file could be read, even if decoding failed later or it was refused. */
  sha256?: string;
  /** Size in bytes whenever the file could be measured (also for refused files). */
  sizeBytes?: number;
  metadata?: EvidenceMetadata;
  ela?: ElaResult;
  scores?: ModelScore[];
  /** Summaries of the forensic analyses run in batch (src/main/analysis/batch.ts), when they ran. */
  analyses?: AnalysisSummary[];
  error?: FileError;
  /** Non-fatal problems: a model failed while others succeeded, etc. */
  warnings?: string[];
  /** ISO-8601 time the record was produced. */
  analysedAt: string;
  elapsedMs: number;
}
