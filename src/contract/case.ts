// Case-level data shapes: what the case database returns, what IPC carries to the renderer and
// what reports print. Plain JSON only (ISO-8601 strings for times, no Dates or Buffers).

import type {
  AnalysisRecord,
  ElaParameters,
  ElaResult,
  EvidenceMetadata,
  ExecutionProviderName,
  FileError,
  ImageFormat,
  ModelScore,
} from './evidence';
import type { AnalysisId } from './analyses';

/** One investigation. A case folder holds exactly one case. */
export interface Case {
  /** Random UUID, stable for the life of the case (quoted in reports). */
  id: string;
  name: string;
  /** Case or file number used by the investigating organisation. */
  number: string;
  examiner: string;
  organisation: string;
  description: string;
  createdAt: string;
}

export type CaseInput = Omit<Case, 'id' | 'createdAt'>;
export type CasePatch = Partial<CaseInput>;

/** The examiner's conclusion about one evidence item. */
export type Verdict = 'authentic' | 'manipulated' | 'generated' | 'inconclusive';
export const VERDICTS: readonly Verdict[] = ['authentic', 'manipulated', 'generated', 'inconclusive'];

/** One review row. Reviews are appended, never edited: the current review is the latest. */
export interface Review {
  id: number;
  evidenceId: number;
  /** Null until the reviewer picks one (a review may only add notes or a flag). */
  verdict: Verdict | null;
  notes: string;
  reviewer: string;
  flagged: boolean;
  updatedAt: string;
}

/** What a reviewer changes; fields left out keep their current value. */
export interface ReviewInput {
  verdict?: Verdict | null;
  notes?: string;
  flagged?: boolean;
  reviewer: string;
}

/** A model as it was used by a run: enough to reproduce or challenge its scores. */
export interface RunModel {
  id: string;
  version: string;
  /** SHA-256 of the ONNX file. */
  onnxSha256: string;
}

export interface RunParameters {
  ela: ElaParameters;
  models: RunModel[];
  /** Execution provider requested ('auto' lets the engine pick); each score records the actual one. */
  provider: ExecutionProviderName | 'auto';
}

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface AnalysisRun {
  id: number;
  caseId: string;
  startedAt: string;
  finishedAt: string | null;
  /** 'running' on a run that is not in progress means the app stopped mid-run (crash, kill). */
  status: RunStatus;
  parameters: RunParameters;
  softwareVersion: string;
}

/** What one run learned about one evidence item (one row per run and item). */
export interface StoredResult {
  id: number;
  runId: number;
  evidenceId: number;
  status: AnalysisRecord['status'];
  error: FileError | null;
  ela: ElaResult | null;
  scores: ModelScore[];
  warnings: string[];
  /** Highest model score in `scores`, null when there are none. */
  maxScore: number | null;
  analysedAt: string;
  elapsedMs: number;
}

/** Where an evidence item's file is read from (see EvidenceItem.path). */
export type EvidenceStorage = 'original' | 'copy' | 'relinked';

/**
 * One submitted file with its latest analysis result and current review. Files refused at
 * import (empty, not an image, pixel bomb, unreadable, a symbolic-link loop) are items too:
 * `refused` is true, `metadata` is null, and their latest result is the error saying why.
 */
export interface EvidenceItem {
  id: number;
  caseId: string;
  /** Where the file is read from now: as submitted, a copy in the case folder, or where a relink found it. */
  path: string;
  fileName: string;
  /** SHA-256 of the bytes at import; null only for a refused file that could not be read at all. */
  sha256: string | null;
  /** Bytes; null when the file could not even be measured (a folder, a broken link). */
  sizeBytes: number | null;
  /** Null for refused files (no image format was recognised, or it was never read). */
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  metadata: EvidenceMetadata | null;
  /** True for a file refused at import: never analysed as an image, kept with its reason. */
  refused: boolean;
  /** The path the file was submitted under; never changes. */
  importedPath: string;
  storage: EvidenceStorage;
  ingestedAt: string;
  /** Result with the newest analysedAt across all runs; null when never analysed. */
  latestResult: StoredResult | null;
  review: Review | null;
  /**
   * The score the list was filtered and sorted by: the score of `modelId` when the filter named
   * one, otherwise the highest model score of the latest result. Null when there is none.
   */
  score: number | null;
}

/** An item imported as an image: hash, size, format, dimensions and metadata are all known. */
export type ImageEvidenceItem = EvidenceItem & {
  refused: false;
  sha256: string;
  sizeBytes: number;
  format: ImageFormat;
  width: number;
  height: number;
  metadata: EvidenceMetadata;
};

export function isImageItem(item: EvidenceItem): item is ImageEvidenceItem {
  return !item.refused && item.metadata !== null && item.sha256 !== null;
}

export type EvidenceSort = 'name' | 'score' | 'time';

/** Tasks with their own current-score column: the gallery sorts and filters on each. */
export type ScoreTask = 'generated' | 'manipulated' | 'face';
export const SCORE_TASKS: readonly ScoreTask[] = ['generated', 'manipulated', 'face'];

export interface EvidenceFilter {
  /** 'unreviewed' matches items with no review or a review without a verdict. */
  verdict?: Verdict | 'unreviewed';
  /** Flagged as contract/flagged.ts defines it (reviewer, detector or analysis flag). */
  flagged?: boolean;
  /** true: latest result is an error; false: latest result is not an error (or there is none). */
  hasError?: boolean;
  /** true: has at least one result; false: never analysed. */
  analysed?: boolean;
  /** Inclusive bounds on `score` (see EvidenceItem.score). Items without a score never match. */
  scoreMin?: number;
  scoreMax?: number;
  /** Only items whose latest result has a score from this model; `score` becomes that model's. */
  modelId?: string;
  /**
   * `score` becomes the item's current score for this task: the highest score any model of the
   * task gave in the latest result (null when none did). Ignored when `modelId` is given.
   */
  scoreTask?: ScoreTask;
  /**
   * Only items a forensic analysis flagged (its stored finding): that analysis, or 'any'. Apart
   * from `flagged`: these findings are leads for an examiner, not part of the flag definition.
   */
  analysisFlag?: AnalysisId | 'any';
  /** Case-insensitive substring of the file name. */
  text?: string;
  /**
   * name: A→Z; score: highest first, unscored last (in both directions); time: import order.
   * Ties break on id, in the direction of the sort (a reversed score sort lists equal scores
   * newest first), so that every order is one index walk.
   */
  sort?: EvidenceSort;
  /** Reverses the default direction of `sort`. */
  descending?: boolean;
  limit?: number;
  /**
   * Skips this many items. Costs a walk over the skipped index entries: use `after`/`before`
   * to page, and offset only to jump far into the list.
   */
  offset?: number;
  /** Keyset paging: the items right after the one this cursor (GalleryPage.lastCursor) came from. */
  after?: string;
  /** Keyset paging: the items right before the one this cursor (GalleryPage.firstCursor) came from. */
  before?: string;
  /** The last `limit` items (the end of the list) instead of the first. */
  fromEnd?: boolean;
}

/**
 * One gallery tile: what a list of thousands needs, and nothing more. No metadata, ELA or
 * per-crop scores (evidence.get returns the whole item).
 */
export interface GalleryItem {
  id: number;
  /** As EvidenceItem: where the file is read from now, and the path it was submitted under. */
  path: string;
  importedPath: string;
  storage: EvidenceStorage;
  fileName: string;
  /** Null only for a refused file that could not be read at all (see EvidenceItem). */
  sha256: string | null;
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  sizeBytes: number | null;
  /** A file refused at import (its error says why). */
  refused: boolean;
  ingestedAt: string;
  /** The latest result's id (also a cache key for media), null when never analysed. */
  resultId: number | null;
  status: AnalysisRecord['status'] | null;
  error: FileError | null;
  /** The score the list is sorted and filtered by (see EvidenceItem.score and EvidenceFilter.scoreTask). */
  score: number | null;
  /** The model that gave `score`, with its threshold and whether it is a test fixture. */
  scoreModel: { modelId: string; threshold: number; fixture: boolean } | null;
  /** Current score per task (highest of that task's models in the latest result). */
  taskScores: Record<ScoreTask, number | null>;
  /** The latest result's model scores, without per-crop scores or provider. */
  scores: GalleryScore[];
  verdict: Verdict | null;
  /** The reviewer flagged it (the current review's flag). */
  reviewerFlag: boolean;
  /** contract/flagged.ts's isFlagged(): reviewer, detector or analysis flag. */
  flagged: boolean;
}

/** A model score as a gallery tile needs it. */
export type GalleryScore = Pick<ModelScore, 'modelId' | 'modelVersion' | 'task' | 'score' | 'threshold' | 'flagged' | 'fixture'>;

/** A page of the gallery in the requested order, with cursors to continue either way. */
export interface GalleryPage {
  items: GalleryItem[];
  /** Items matching the filter; null when the request asked not to count (withTotal: false). */
  total: number | null;
  /** Pass as `before` for the page above, as `after` (lastCursor) for the page below; null when empty. */
  firstCursor: string | null;
  lastCursor: string | null;
}

/** One entry of the append-only, hash-chained audit log. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  /** Dotted verb: case.create, evidence.add, result.record, review.set, report.export, ... */
  action: string;
  /** Kind of thing touched: case, evidence, run, result, review, schema, report, ... */
  entity: string;
  entityId: string | null;
  details: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditInput {
  action: string;
  entity: string;
  entityId?: string | number | null;
  details?: unknown;
  /** Defaults to the actor the store was opened with. */
  actor?: string;
}

export interface ChainProblem {
  seq: number;
  kind: 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' | 'head-mismatch';
  message: string;
}

/** A database row that disagrees with the audit log entry that recorded it. */
export interface RecordProblem {
  entity: string;
  entityId: string;
  /** derived-mismatch: a column or table rebuilt from recorded data (max_score, result_scores, ...) disagrees with it. */
  kind: 'digest-mismatch' | 'unaudited' | 'row-missing' | 'derived-mismatch';
  message: string;
}

/**
 * ok: the file at its path has its imported SHA-256. relinked: the same, at a location a relink
 * found by hash after the file moved (its imported path is in `importedPath`). not-hashed: a file
 * refused at import that could not be read then, so there is no hash to compare (not a failure).
 * modified, missing, unreadable: the file is not what was imported, or cannot be checked.
 */
export type EvidenceCheckStatus = 'ok' | 'relinked' | 'not-hashed' | 'modified' | 'missing' | 'unreadable';

/** Statuses that leave a case verified. */
export const EVIDENCE_CHECK_OK: readonly EvidenceCheckStatus[] = ['ok', 'relinked', 'not-hashed'];

export interface EvidenceCheck {
  id: number;
  path: string;
  /** The submitted path, when the file is now read from elsewhere (a copy or a relink). */
  importedPath?: string;
  storage?: EvidenceStorage;
  /** Null for a refused file that was never hashed. */
  expected: string | null;
  actual?: string;
  status: EvidenceCheckStatus;
  /** Why a file could not be read (unreadable only). */
  message?: string;
}

/** What made an anchor: the end of an import, a report, closing the case, or the examiner. */
export type AnchorEvent = 'import' | 'report' | 'close' | 'manual';

/**
 * The audit log's head (sequence number and hash) written down outside the case database when
 * something worth pinning happened. Whoever restores an older copy of the database, cuts entries
 * off its end or recomputes the whole chain cannot make the log agree with an anchor made before.
 * `mac` is an HMAC-SHA256 over the other fields (canonical JSON) with a key kept in the app's state
 * folder of the installation that made it (`keyId` names that key), never in the case folder.
 */
export interface AuditAnchor {
  version: 1;
  caseId: string;
  /** The case folder when the anchor was made (information: cases move). */
  caseDir: string;
  seq: number;
  hash: string;
  at: string;
  event: AnchorEvent;
  /** The run id of an import, the report id of a report; null otherwise. */
  ref: string | null;
  /** First 16 hex digits of the SHA-256 of the installation's key. */
  keyId: string;
  mac: string;
}

/** Where verify found an anchor. */
export type AnchorSource = 'expected' | 'report' | 'installation' | 'case-folder';

export interface AnchorCheck {
  source: AnchorSource;
  seq: number;
  hash: string;
  at: string | null;
  event: AnchorEvent | null;
  ref: string | null;
  /**
   * match: the log has this entry with this hash. mismatch: it has the entry with another hash
   * (the chain was rewritten up to there). missing: the log ends before it (entries removed or an
   * older copy restored). bad-mac: the anchor itself was altered. wrong-case: it belongs to
   * another case. unverifiable: made by another installation, whose key is not here.
   */
  status: 'match' | 'mismatch' | 'missing' | 'bad-mac' | 'wrong-case' | 'unverifiable';
  /** Given by the examiner (--expect-head, a report) or authenticated with this installation's key. */
  trusted: boolean;
  message: string;
}

/** What the verification concludes, in the words the CLI and the app print. */
export type VerifyStatus = 'verified' | 'not-anchored' | 'failed';

export interface VerifyReport {
  /** True when the chain recomputes end to end and matches the expected head, if one was given. */
  chainIntact: boolean;
  chainProblems: ChainProblem[];
  /** Rows whose content no longer matches what the audit log recorded, or whose derived columns disagree with it. */
  recordProblems: RecordProblem[];
  /** Safeguards missing from the database itself (append-only triggers dropped outside the application). */
  schemaProblems: string[];
  evidence: EvidenceCheck[];
  /** Number of audit entries and the last one: quote these in a report to detect truncation. */
  auditEntries: number;
  head: { seq: number; hash: string } | null;
  /** Every anchor considered, from the examiner, a report, this installation and the case folder. */
  anchors: AnchorCheck[];
  /** The newest trusted anchor the log agrees with; null when none (the chain is then only self-consistent). */
  anchored: { seq: number; hash: string; source: AnchorSource; at: string | null } | null;
  /** Entries after `anchored` (all of them when nothing is anchored): these could be cut off unnoticed. */
  unanchoredEntries: number;
  /**
   * No problem found: chain intact, records match, files unchanged (ok, relinked by hash, or
   * refused unread so never hashed), no trusted anchor contradicted.
   */
  ok: boolean;
  /**
   * verified: ok and pinned by a trusted anchor. not-anchored: ok, but nothing outside the
   * database pins the chain (a rolled-back or rebuilt copy would look the same). failed: a problem.
   */
  status: VerifyStatus;
  checkedAt: string;
}

/** What a relink found: items pointed at their moved files, and those still missing. */
export interface RelinkOutcome {
  /** Items that were missing and were found in the folder by their SHA-256. */
  relinked: { id: number; fileName: string; from: string; to: string }[];
  /** Items still missing after the search. */
  stillMissing: { id: number; fileName: string; path: string }[];
  /** Files in the folder, and how many had a size worth hashing. */
  scanned: number;
  hashed: number;
}
