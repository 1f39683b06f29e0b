// Data shapes of the evaluation workspace: labelled datasets, group-aware splits, metrics as the
// research reports them, per-generator tables, curves, robustness sweeps and FP/FN picks. Plain
// JSON only (ISO-8601 strings, no NaN or Infinity: an undefined metric is null with a note), so
// the CLI's eval.json, the case database and the renderer all see exactly the same thing.

import type { ExecutionProviderName, FileError, ModelTask } from './evidence';

/** 0 = real (authentic), 1 = fake (generated or manipulated); scores are "probability fake". */
export type Label = 0 | 1;

/** Folder layouts the importer recognises, plus a CSV manifest. */
export type DatasetLayout = 'cnndetection' | 'casia' | 'generic' | 'csv';

/** One labelled image of a dataset. */
export interface LabelledItem {
  /** Absolute path. */
  path: string;
  label: Label;
  /**
   * Generator or source the row of a per-generator table is named after: the generator folder
   * (CNNDetection), the content category (CASIA), the folder above real/fake (generic) or the
   * manifest's source/generator column.
   */
  source: string;
  /**
   * Items with the same group (same source photo, same video) always land on the same side of a
   * split, so near-duplicates never straddle train and validation.
   */
  group: string;
  /** Object category of CNNDetection's `<generator>/<category>/0_real|1_fake` layout. */
  category?: string;
  /** Ground-truth mask (CASIA) paired by file stem. */
  maskPath?: string;
  /**
   * What kind of fake a fake item is, when the dataset says: CNNDetection holds generated
   * images, CASIA manipulated ones, and label folders or manifest labels may name it.
   */
  task?: DetectorTask;
}

/** What a detector looks for, and what a dataset's fakes are. */
export type DetectorTask = 'generated' | 'manipulated';

export interface DatasetProblem {
  /** 'error' makes the dataset unusable; 'warning' is shown and the import goes on. */
  severity: 'error' | 'warning';
  message: string;
  /** 1-based line of a CSV manifest. */
  line?: number;
  path?: string;
}

export interface SourceCount {
  name: string;
  real: number;
  fake: number;
}

/** What the importer found, shown to the user before anything is evaluated. */
export interface DatasetSummary {
  /** The folder or CSV file given. */
  root: string;
  /** null when no layout was recognised. */
  layout: DatasetLayout | null;
  /** Human name of the layout and the rule it follows. */
  layoutName: string;
  total: number;
  real: number;
  fake: number;
  /** One entry per generator/source, in dataset order. */
  sources: SourceCount[];
  /** Distinct groups, and the size of the largest (a huge group makes splits lumpy). */
  groups: number;
  largestGroup: number;
  /** How groups were derived, as a sentence. */
  grouping: string;
  /** Ground-truth masks paired with items (CASIA, or a CSV mask column). */
  masks: number;
  /**
   * What the fakes are: generated, manipulated, mixed (both kinds named), or null when the
   * dataset does not say (fake/, 1_fake with no generator folders, a manifest saying "fake").
   */
  task: DetectorTask | 'mixed' | null;
  /** A few paths per label, relative to the root, so the user can check the labels make sense. */
  examples: { label: Label; path: string }[];
  problems: DatasetProblem[];
  /** False when any problem is an error: such a dataset cannot be loaded. */
  usable: boolean;
}

export interface SplitSideSummary {
  items: number;
  real: number;
  fake: number;
  groups: number;
}

export interface SplitSummary {
  method: 'group-aware-stratified';
  /** Requested share of items in validation, 0 < valRatio < 1. */
  valRatio: number;
  seed: number;
  /** Share of items that actually landed in validation (whole groups move together). */
  achievedValRatio: number;
  train: SplitSideSummary;
  val: SplitSideSummary;
}

/** A split as persisted (JSON file and case database): enough to rebuild it exactly. */
export interface DatasetSplit {
  version: 1;
  datasetRoot: string;
  createdAt: string;
  summary: SplitSummary;
  /** Group → side. */
  groups: Record<string, 'train' | 'val'>;
  /** Item paths per side, in dataset order. */
  train: string[];
  val: string[];
}

export interface ConfusionMatrix {
  threshold: number;
  /** Fake predicted fake. */
  tp: number;
  /** Real predicted fake. */
  fp: number;
  /** Real predicted real. */
  tn: number;
  /** Fake predicted real. */
  fn: number;
}

/** Metrics that depend on the decision threshold (predicted fake ⇔ score ≥ threshold). */
export interface ThresholdMetrics {
  n: number;
  real: number;
  fake: number;
  accuracy: number;
  /** tn / real; null without real images. */
  realAccuracy: number | null;
  /** tp / fake (= recall); null without fake images. */
  fakeAccuracy: number | null;
  /** tp / (tp + fp); null when nothing is predicted fake. */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  confusion: ConfusionMatrix;
}

export interface ConfidenceInterval {
  level: 0.95;
  method: 'percentile-bootstrap';
  low: number;
  high: number;
  /** Replicates the interval was computed from (a resample with one class only has no AP). */
  replicates: number;
  requested: number;
  seed: number;
}

export interface FprThreshold {
  targetFpr: number;
  /** Lowest threshold whose false-positive rate is ≤ target; null when only flagging nothing reaches it. */
  threshold: number | null;
  fpr: number;
  tpr: number;
}

export interface MetricsSummary extends ThresholdMetrics {
  /** Average precision as scikit-learn's average_precision_score; null with one class only. */
  ap: number | null;
  /** ROC-AUC (trapezoid over every distinct threshold); null with one class only. */
  auc: number | null;
  ci: { accuracy: ConfidenceInterval | null; ap: ConfidenceInterval | null } | null;
  thresholdAtFpr: FprThreshold | null;
  /** Why a metric is null, and similar caveats, as sentences. */
  notes: string[];
}

/** A point of the ROC curve; threshold null is the "flag nothing" start at (0, 0). */
export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number | null;
}

/** A point of the precision–recall curve; threshold null is the (recall 0, precision 1) start. */
export interface PrPoint {
  recall: number;
  precision: number;
  threshold: number | null;
}

/** One row of a per-generator table (Wang et al. 2020 layout). */
export interface GeneratorRow {
  source: string;
  n: number;
  real: number;
  fake: number;
  accuracy: number;
  realAccuracy: number | null;
  fakeAccuracy: number | null;
  ap: number | null;
  notes: string[];
}

export interface GeneratorTable {
  threshold: number;
  rows: GeneratorRow[];
  /** Mean over rows (each generator counts once, as in the published tables). */
  mean: {
    n: number;
    accuracy: number;
    realAccuracy: number | null;
    fakeAccuracy: number | null;
    /** mAP: mean of the rows' AP that are defined. */
    ap: number | null;
    /** Rows whose AP entered the mean. */
    rowsWithAp: number;
    rows: number;
  };
}

export interface EvaluatedModel {
  id: string;
  name: string;
  version: string;
  /** SHA-256 of the ONNX file. */
  sha256: string;
  /** Execution provider that actually ran the model. */
  provider: ExecutionProviderName;
  task: ModelTask;
  fixture: boolean;
  defaultThreshold: number;
}

/** One image as evaluated, with every model's score, so the UI can move the threshold live. */
export interface EvaluatedItem {
  path: string;
  label: Label;
  source: string;
  group: string;
  sha256: string;
  /** Model id → score; null when that model failed on this image. */
  scores: Record<string, number | null>;
  maskPath?: string;
  /** What the file itself is, for the format-leakage check (absent in evaluations saved before it). */
  file?: ItemFileFacts;
}

export interface ItemFileFacts {
  format: string;
  bytes: number;
  width: number;
  height: number;
  /** Estimated JPEG quality (JPEG only). */
  jpegQuality?: number;
}

/** How the files of one class look: formats, sizes and JPEG qualities. */
export interface ClassFileProfile {
  label: Label;
  n: number;
  /** Share of each format in this class, most common first. */
  formats: { format: string; count: number; share: number }[];
  medianPixels: number | null;
  medianBytes: number | null;
  /** Over the JPEGs of this class; null without JPEGs. */
  jpegQuality: { n: number; median: number; min: number; max: number } | null;
}

/** A classifier that sees only one property of the file, never its pixels. */
export interface FormatBaseline {
  feature: 'format' | 'jpeg-quality' | 'size' | 'format+quality+size';
  /** What the feature is, in words. */
  description: string;
  /** Leave-one-out ROC-AUC; null with one class only. 0.5 means the feature says nothing. */
  auc: number | null;
}

/**
 * Format leakage: when real and fake images differ in format, size or JPEG quality, a detector
 * can score well by telling those apart instead of finding forensic traces (Wang et al. 2020,
 * Corvi et al. 2023). The baselines show how far the file properties alone get.
 */
export interface FormatLeakage {
  classes: ClassFileProfile[];
  baselines: FormatBaseline[];
  /** True when a baseline reaches LEAKAGE_AUC or the classes' formats differ by 20 points or more. */
  leaks: boolean;
  /** Sentences for the warning banner. */
  warnings: string[];
}

/** A model evaluated on a dataset whose fakes are not what the model detects. */
export interface TaskMismatch {
  modelId: string;
  /** 'face': a face-swap model (scores faces; a dataset of whole-image fakes is another task). */
  modelTask: DetectorTask | 'face';
  datasetTask: DetectorTask | 'mixed';
  message: string;
}

/** What could make the headline metrics mean less than they seem: shown first, before them. */
export interface EvaluationGuardrails {
  taskMismatches: TaskMismatch[];
  /** Null when no item carried file facts (an evaluation saved before this check existed). */
  leakage: FormatLeakage | null;
}

/** A false positive or false negative, pointing back into `EvaluationResult.items`. */
export interface MistakePick {
  item: number;
  path: string;
  source: string;
  score: number;
}

/**
 * Pixel-level quality of a localisation model's heatmap against ground-truth masks: the map is
 * resampled to the mask's size and thresholded (tampered where probability ≥ threshold).
 */
export interface LocalizationMetrics {
  threshold: number;
  /** Tampered images with a mask and a heatmap. */
  images: number;
  /** Mean over those images of the per-image F1 and IoU of the tampered class. */
  f1: number | null;
  iou: number | null;
  /** F1 over all their pixels pooled. */
  pooledF1: number | null;
  /** Mean per-image best F1 over thresholds 0.05..0.95 (an optimistic upper bound many papers report). */
  bestF1: number | null;
  /** Authentic images with a heatmap, and the mean share of their pixels flagged (false heat). */
  authenticImages: number;
  authenticFlaggedShare: number | null;
  perImage: { path: string; f1: number; iou: number; bestF1: number }[];
  notes: string[];
}

export interface ModelEvaluation {
  modelId: string;
  /** Localisation models evaluated on items with masks. */
  localization?: LocalizationMetrics;
  /** null when the model could score no image at all (see notes). */
  metrics: MetricsSummary | null;
  table: GeneratorTable | null;
  /** At most `curvePoints` points each (collinear points dropped first); metrics use every point. */
  roc: RocPoint[];
  pr: PrPoint[];
  /** Real images scored fake, highest score first. */
  falsePositives: MistakePick[];
  /** Fake images scored real, lowest score first. */
  falseNegatives: MistakePick[];
  scored: number;
  /** Images this model failed on (they are left out of its metrics). */
  unscored: { path: string; message: string }[];
  notes: string[];
}

export interface UnreadableItem {
  path: string;
  label: Label;
  source: string;
  code: FileError['code'];
  message: string;
}

export type PerturbationKind = 'jpeg' | 'blur' | 'downscale';

/** JPEG quality 1..100, Gaussian blur σ (0 = none), downscale factor (1 = none). */
export interface Perturbation {
  kind: PerturbationKind;
  value: number;
}

export interface RobustnessLevels {
  jpeg: number[];
  blur: number[];
  downscale: number[];
}

export interface RobustnessPoint {
  value: number;
  ap: number | null;
  accuracy: number | null;
  n: number;
  notes: string[];
}

/** One model's AP (and accuracy) along one perturbation axis: one point per level. */
export interface RobustnessCurve {
  modelId: string;
  kind: PerturbationKind;
  /** What `value` means: JPEG quality, blur σ in pixels, or the scale factor. */
  parameter: 'quality' | 'sigma' | 'factor';
  points: RobustnessPoint[];
}

export interface RobustnessResult {
  threshold: number;
  levels: RobustnessLevels;
  curves: RobustnessCurve[];
}

export interface Throughput {
  /** Images read (unreadable ones included). */
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** Scoring passes per image: 1 plus one per perturbation level that changes pixels. */
  passesPerImage: number;
  /** Model id → provider. */
  providers: Record<string, ExecutionProviderName>;
}

/** How the evaluated items were chosen from the dataset. */
export interface EvaluationSelection {
  /** The validation side of this split, when one was asked for. */
  split: SplitSummary | null;
  /** A seeded random sample of at most this many items, when asked for. */
  limit: number | null;
  seed: number;
  items: number;
  real: number;
  fake: number;
}

/** How well the file container alone (format, size, JPEG quality) tells the classes apart:
 *  a logistic regression scored by grouped cross-validation on the evaluated set itself. */
export interface FormatOnlyBaseline {
  features: string[];
  folds: number;
  seed: number;
  n: number;
  ap: number | null;
  auc: number | null;
  /** At score 0.5 (the regression is class-balanced). */
  accuracy: number | null;
  /** AP of a random scorer: the share of fakes. */
  chanceAp: number | null;
  /** The same cross-validated AUC with shuffled labels: what "chance" gives here (cross-validation
   *  on signal-free data lands somewhat below 0.5). The AUC is near chance when inside [low, high]. */
  nullAuc: { permutations: number; mean: number; low: number; high: number } | null;
  /** Container formats per class. */
  formats: { real: Record<string, number>; fake: Record<string, number> };
  notes: string[];
}

export interface EvaluationResult {
  version: 1;
  /** Random UUID. */
  id: string;
  createdAt: string;
  softwareVersion: string;
  dataset: DatasetSummary;
  selection: EvaluationSelection;
  threshold: number;
  targetFpr: number;
  bootstrap: { replicates: number; seed: number } | null;
  models: EvaluatedModel[];
  /** Same order as `models`: compare two models side by side on the same images. */
  perModel: ModelEvaluation[];
  items: EvaluatedItem[];
  unreadable: UnreadableItem[];
  robustness: RobustnessResult | null;
  /** Task mismatch and format leakage (absent in evaluations saved before these checks). */
  guardrails?: EvaluationGuardrails;
  /** The format-only leakage baseline, when asked for. */
  formatBaseline?: FormatOnlyBaseline;
  /** Folder of gallery thumbnails named <sha256>.jpg (FP/FN galleries), when they were made. */
  thumbnailDir: string | null;
  throughput: Throughput;
  notes: string[];
}

/** An evaluation as listed from the case database (the full result is fetched by id). */
export interface EvaluationListEntry {
  id: string;
  createdAt: string;
  datasetRoot: string;
  layout: DatasetLayout | null;
  splitId: number | null;
  items: number;
  threshold: number;
  models: { id: string; version: string; accuracy: number | null; ap: number | null }[];
}

export interface StoredSplit {
  id: number;
  createdAt: string;
  split: DatasetSplit;
}

/** An item marked (or unmarked) for the next training set; the latest row per path counts. */
export interface RetrainingFlag {
  id: number;
  path: string;
  sha256: string | null;
  label: Label;
  evaluationId: string | null;
  flagged: boolean;
  note: string;
  actor: string;
  at: string;
}

/** The result of an evaluation job started through the app (the job's `result`). */
export interface EvaluationJobResult {
  evaluationId: string;
  items: number;
  unreadable: number;
}
