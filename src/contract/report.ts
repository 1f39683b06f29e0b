// What a case report prints: built by the engine (src/main/reports) from a case, embedded as JSON
// into the report page (src/renderer/report) and printed to PDF by Chromium or Electron. One
// object holds everything, images included (as data URLs), so the printed page needs nothing else.

import type { AnalysisDescription, MapLegend, StoredFinding } from './analyses';
import type { AuditAnchor, AuditEntry, Case, EvidenceCheck, EvidenceCheckStatus, EvidenceStorage, Review, Verdict, VerifyReport } from './case';
import type { DatasetSummary, EvaluatedModel, EvaluationSelection, GeneratorTable, MetricsSummary, PrPoint, RocPoint } from './evaluation';
import type { FlagReason } from './flagged';
import type { ElaParameters, ElaStats, EvidenceMetadata, ExecutionProviderName, FileError, ModelScore, ModelTask } from './evidence';

/** Which items get a section of their own (every item is always in the evidence table). */
export type ReportItemsMode = 'all' | 'flagged' | 'reviewed' | 'selected';

export interface ReportModel {
  id: string;
  /** Manifest name when the model is installed with the same ONNX hash, else the id. */
  name: string;
  version: string;
  /** Null when no score of this model was stored and the model is not installed. */
  task: ModelTask | null;
  /** SHA-256 of the ONNX file the runs recorded. */
  onnxSha256: string;
  /** Execution providers that actually ran it, from the stored scores. */
  providers: ExecutionProviderName[];
  /** Thresholds its scores were compared with (normally one). */
  thresholds: number[];
  /** A test fixture, not a detector: its scores mean nothing forensically. */
  fixture: boolean;
  /** Runs that used this model. */
  runIds: number[];
}

export interface ReportRun {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  softwareVersion: string;
  provider: string;
  ela: ElaParameters;
}

export interface DetectorTally {
  modelId: string;
  modelVersion: string;
  fixture: boolean;
  thresholds: number[];
  /** Items whose latest result has a score from this model at or above its threshold. */
  flagged: number;
  notFlagged: number;
  /** Items with no score from this model (not analysed, error, model failed). */
  unscored: number;
}

export interface ReportSummary {
  items: number;
  /** Items per current verdict; 'unreviewed' counts items without one. */
  verdicts: Record<Verdict | 'unreviewed', number>;
  detectors: DetectorTally[];
  /** Items the reviewer flagged. */
  reviewerFlagged: number;
  /** Items flagged as contract/flagged.ts defines it, and how many for each reason. */
  flagged: number;
  flagReasons: Record<FlagReason, number>;
  /** Images whose latest analysis failed (refused files are counted in `refused`). */
  analysisErrors: number;
  /** Files refused at import (empty, not an image, too many pixels, unreadable, a loop): items too. */
  refused: number;
  /** Refusals and analysis failures per error code, over every item. */
  errorCodes: Record<string, number>;
  /** Items read from a copy inside the case folder / relinked to a new location by hash. */
  copied: number;
  relinked: number;
  /** True when any score in the report comes from a fixture model. */
  fixtureModelsUsed: boolean;
}

export interface ReportScore {
  modelId: string;
  score: number;
  threshold: number;
  flagged: boolean;
  fixture: boolean;
}

/** One row of the evidence table. */
export interface ReportEvidenceRow {
  id: number;
  fileName: string;
  /** The path the file was submitted under. */
  importedPath: string;
  /** Null only for a refused file that could not be read at all. */
  sha256: string | null;
  sizeBytes: number | null;
  format: string | null;
  width: number | null;
  height: number | null;
  /** Refused at import: never analysed as an image; `error` says why. */
  refused: boolean;
  /** Why the file was refused, or why its latest analysis failed. */
  error: FileError | null;
  storage: EvidenceStorage;
  verdict: Verdict | null;
  scores: ReportScore[];
  /** Short labels: "reviewer flag", "detector", "analysis error", "metadata", "MODIFIED", ... */
  flags: string[];
  /** True when this item has a section in the report. */
  hasSection: boolean;
}

export interface ReportImage {
  /** data:image/jpeg;base64,... */
  dataUrl: string;
  width: number;
  height: number;
  /** What the picture is, when it is not simply the evidence (e.g. the import-time thumbnail). */
  caveat?: string;
}

/** A forensic analysis' finding for an item, as its report pages print it. */
export interface ReportAnalysis {
  finding: StoredFinding;
  title: string;
  /** What a positive finding shows / what it does not prove (the catalogue's sentences). */
  shows: string;
  doesNotProve: string;
  /** Its first map, when the analysis was run in the inspector (cached in the case's derived folder). */
  map: (ReportImage & { title: string; caption: string; legend: MapLegend }) | null;
}

/** One item's own section: pictures, scores, metadata, review. */
export interface ReportItemSection {
  id: number;
  fileName: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  ingestedAt: string;
  importedPath: string;
  storage: EvidenceStorage;
  metadata: EvidenceMetadata;
  /** Null with `photoProblem` when the evidence could not be shown. */
  photo: ReportImage | null;
  photoProblem?: string;
  heatmap: ReportImage | null;
  heatmapProblem?: string;
  ela: { parameters: ElaParameters; stats: ElaStats } | null;
  scores: ModelScore[];
  analysedAt: string | null;
  runId: number | null;
  error: FileError | null;
  /** Non-fatal analysis problems (a model failed while others ran, ...). */
  analysisWarnings: string[];
  /** The item's stored forensic analysis findings, in the catalogue's order. */
  analyses: ReportAnalysis[];
  review: Review | null;
  /** Every review, oldest first. */
  reviewHistory: Review[];
  /** Status of this file at report time (from the re-verification). */
  integrity: EvidenceCheckStatus | 'not-checked';
}

/**
 * One model of an evaluation saved in the case (contract/evaluation.ts), reduced to what the
 * report prints: the per-generator table, the confusion matrix and the ROC curve.
 */
export interface ReportEvaluation {
  evaluationId: string;
  createdAt: string;
  softwareVersion: string;
  dataset: Pick<DatasetSummary, 'root' | 'layoutName' | 'total' | 'real' | 'fake'>;
  selection: EvaluationSelection;
  threshold: number;
  model: EvaluatedModel;
  /** Null when the model could score no image at all. */
  metrics: MetricsSummary | null;
  table: GeneratorTable | null;
  roc: RocPoint[];
  pr: PrPoint[];
  /** Task mismatch and format leakage of this evaluation, as titled sentences (printed first). */
  guardrails: { title: string; text: string }[];
  /** Images this model failed on (left out of its metrics). */
  unscored: number;
  /** Caveats of the evaluation and of this model's metrics, as sentences. */
  notes: string[];
}

export interface ReportData {
  /** Random UUID printed on every page. */
  reportId: string;
  generatedAt: string;
  /** The examiner who exported it and signs its declaration. */
  generatedBy: string;
  software: { name: string; version: string };
  case: Case;
  dates: { created: string; firstAnalysed: string | null; lastAnalysed: string | null; reported: string };
  models: ReportModel[];
  runs: ReportRun[];
  /** Distinct ELA settings across the runs (normally one). */
  elaParameters: ElaParameters[];
  /** The forensic analyses this version runs: versions and default parameters (printed on the cover). */
  analyses: AnalysisDescription[];
  summary: ReportSummary;
  evidence: ReportEvidenceRow[];
  itemsMode: ReportItemsMode;
  items: ReportItemSection[];
  /** One entry per model of each evaluation saved in the case. */
  evaluations: ReportEvaluation[];
  audit: AuditEntry[];
  verification: VerifyReport;
  /**
   * The audit head this report describes, signed by the installation that made it (printed on
   * the cover, carried in the PDF and beside it). Null when the report was made without the
   * installation's anchor key (then nothing outside the case pins it).
   */
  anchor: AuditAnchor | null;
}

/** The result of a report export (the report job's `result`). */
export interface ExportedReport {
  reportId: string;
  /** Where the PDF was written: the requested path, or a numbered one beside it when that was taken. */
  pdfPath: string;
  requestedPath: string;
  sha256Path: string;
  /** `<pdf>.anchor.json`: the anchor the PDF carries, with the PDF's hash; null when not anchored. */
  anchorPath: string | null;
  anchor: AuditAnchor | null;
  /** SHA-256 of the PDF, as written to `sha256Path` and the audit log. */
  sha256: string;
  bytes: number;
  itemsMode: ReportItemsMode;
  /** Items in the evidence table / with a section of their own. */
  evidenceItems: number;
  itemSections: number;
  /** Evidence files that did not match their imported SHA-256 at report time. */
  integrityProblems: EvidenceCheck[];
  verified: boolean;
}
