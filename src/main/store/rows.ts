import type {
  AnalysisRun,
  Case,
  EvidenceItem,
  EvidenceStorage,
  GalleryItem,
  GalleryScore,
  ScoreTask,
  Review,
  RunParameters,
  RunStatus,
  StoredResult,
  Verdict,
} from '../../contract/case';
import type { AnalysisRecord, ElaResult, EvidenceMetadata, FileError, ImageFormat, ModelScore } from '../../contract/evidence';

// Raw rows as SQLite returns them and their conversion to the contract shapes.

export interface CaseRow {
  id: string;
  name: string;
  number: string;
  examiner: string;
  organisation: string;
  description: string;
  created_at: string;
}

export function toCase(r: CaseRow): Case {
  return {
    id: r.id,
    name: r.name,
    number: r.number,
    examiner: r.examiner,
    organisation: r.organisation,
    description: r.description,
    createdAt: r.created_at,
  };
}

export interface RunRow {
  id: number;
  case_id: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  parameters_json: string;
  software_version: string;
}

export function toRun(r: RunRow): AnalysisRun {
  return {
    id: r.id,
    caseId: r.case_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    parameters: JSON.parse(r.parameters_json) as RunParameters,
    softwareVersion: r.software_version,
  };
}

export interface ResultRow {
  id: number;
  run_id: number;
  evidence_id: number;
  status: AnalysisRecord['status'];
  error_json: string | null;
  ela_json: string | null;
  scores_json: string;
  warnings_json: string;
  elapsed_ms: number;
  analysed_at: string;
  max_score: number | null;
}

export function toResult(r: ResultRow): StoredResult {
  return {
    id: r.id,
    runId: r.run_id,
    evidenceId: r.evidence_id,
    status: r.status,
    error: r.error_json === null ? null : (JSON.parse(r.error_json) as FileError),
    ela: r.ela_json === null ? null : (JSON.parse(r.ela_json) as ElaResult),
    scores: JSON.parse(r.scores_json) as ModelScore[],
    warnings: JSON.parse(r.warnings_json) as string[],
    maxScore: r.max_score,
    analysedAt: r.analysed_at,
    elapsedMs: r.elapsed_ms,
  };
}

export interface ReviewRow {
  id: number;
  evidence_id: number;
  verdict: Verdict | null;
  notes: string;
  reviewer: string;
  flagged: number;
  updated_at: string;
}

export function toReview(r: ReviewRow): Review {
  return {
    id: r.id,
    evidenceId: r.evidence_id,
    verdict: r.verdict,
    notes: r.notes,
    reviewer: r.reviewer,
    flagged: r.flagged === 1,
    updatedAt: r.updated_at,
  };
}

export interface EvidenceRow {
  id: number;
  case_id: string;
  path: string;
  file_name: string;
  sha256: string | null;
  size: number | null;
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  metadata_json: string | null;
  ingested_at: string;
  imported_path: string;
  storage: EvidenceStorage;
}

/**
 * An evidence row joined with its latest result (columns prefixed r_) and current review (v_),
 * as read by CaseStore for whole items; `score` is the list's sort score.
 */
export interface EvidenceJoinRow extends EvidenceRow {
  score: number | null;
  r_id: number | null;
  r_run_id: number;
  r_status: AnalysisRecord['status'];
  r_error_json: string | null;
  r_ela_json: string | null;
  r_scores_json: string;
  r_warnings_json: string;
  r_elapsed_ms: number;
  r_analysed_at: string;
  r_max_score: number | null;
  v_id: number | null;
  v_verdict: Verdict | null;
  v_notes: string;
  v_reviewer: string;
  v_flagged: number;
  v_updated_at: string;
}

export function toEvidenceItem(r: EvidenceJoinRow): EvidenceItem {
  return {
    id: r.id,
    caseId: r.case_id,
    path: r.path,
    fileName: r.file_name,
    sha256: r.sha256,
    sizeBytes: r.size,
    format: r.format,
    width: r.width,
    height: r.height,
    metadata: r.metadata_json === null ? null : (JSON.parse(r.metadata_json) as EvidenceMetadata),
    refused: r.metadata_json === null,
    importedPath: r.imported_path,
    storage: r.storage,
    ingestedAt: r.ingested_at,
    latestResult:
      r.r_id === null
        ? null
        : toResult({
            id: r.r_id,
            run_id: r.r_run_id,
            evidence_id: r.id,
            status: r.r_status,
            error_json: r.r_error_json,
            ela_json: r.r_ela_json,
            scores_json: r.r_scores_json,
            warnings_json: r.r_warnings_json,
            elapsed_ms: r.r_elapsed_ms,
            analysed_at: r.r_analysed_at,
            max_score: r.r_max_score,
          }),
    review:
      r.v_id === null
        ? null
        : toReview({
            id: r.v_id,
            evidence_id: r.id,
            verdict: r.v_verdict,
            notes: r.v_notes,
            reviewer: r.v_reviewer,
            flagged: r.v_flagged,
            updated_at: r.v_updated_at,
          }),
    score: r.score,
  };
}

/** A gallery row: evidence_state with the few evidence and result columns a tile shows. */
export interface GalleryRow {
  evidence_id: number;
  path: string;
  file_name: string;
  sha256: string | null;
  size: number | null;
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  ingested_at: string;
  imported_path: string;
  storage: EvidenceStorage;
  refused: number;
  result_id: number | null;
  status: AnalysisRecord['status'] | null;
  error_json: string | null;
  score_generated: number | null;
  score_manipulated: number | null;
  score_face: number | null;
  scores_brief: string;
  verdict: Verdict | null;
  review_flagged: number;
  flagged: number;
}

/**
 * `score` is the list's sort score; `scoreBy` says which scores it was taken from (a model, a
 * task, or all), so the tile can name the model and its threshold.
 */
export function toGalleryItem(r: GalleryRow, score: number | null, scoreBy: { modelId?: string; task?: ScoreTask }): GalleryItem {
  const brief = JSON.parse(r.scores_brief) as GalleryScore[];
  const from = brief.filter((b) => (scoreBy.modelId !== undefined ? b.modelId === scoreBy.modelId : scoreBy.task === undefined || b.task === scoreBy.task));
  const model = score === null ? undefined : from.find((b) => b.score === score);
  return {
    id: r.evidence_id,
    path: r.path,
    fileName: r.file_name,
    sha256: r.sha256,
    format: r.format,
    width: r.width,
    height: r.height,
    sizeBytes: r.size,
    ingestedAt: r.ingested_at,
    importedPath: r.imported_path,
    storage: r.storage,
    refused: r.refused === 1,
    resultId: r.result_id,
    status: r.status,
    error: r.error_json === null ? null : (JSON.parse(r.error_json) as FileError),
    score,
    scoreModel: model ? { modelId: model.modelId, threshold: model.threshold, fixture: model.fixture } : null,
    taskScores: { generated: r.score_generated, manipulated: r.score_manipulated, face: r.score_face },
    scores: brief,
    verdict: r.verdict,
    reviewerFlag: r.review_flagged === 1,
    flagged: r.flagged === 1,
  };
}
