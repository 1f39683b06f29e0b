/** Progress of a long job, the same shape for analyse, evaluate, train and report jobs. */
export interface JobProgress {
  /** Items known so far; null while a folder walk is still discovering files. */
  total: number | null;
  done: number;
  failed: number;
  /** Items skipped because an earlier run already finished them (resume). */
  skipped: number;
  /** Items per second over the recent window. */
  rate: number;
  /** Seconds left at the current rate; null when unknown. */
  etaSeconds: number | null;
  /** The item being worked on most recently, for display. */
  current?: string;
  elapsedSeconds: number;
}

import type { RelinkOutcome } from './case';
import type { EvaluationJobResult } from './evaluation';
import type { FileError } from './evidence';
import type { ExportedReport } from './report';
import type { HeadTrainingResult, TrainingRunResult } from './training';

/**
 * Long jobs by kind: an import into the open case, an evaluation on a labelled set, a Python
 * training run, an in-process head training, a report export, a relink of moved evidence.
 */
export type JobKind = 'import' | 'evaluate' | 'train' | 'train-head' | 'report' | 'relink';
export type JobStatus = 'running' | 'completed' | 'cancelled' | 'failed';

/** The counts of one analyse batch (CLI analyze, and every import). */
export interface BatchSummary {
  total: number;
  ok: number;
  failed: number;
  skipped: number;
  cancelled: boolean;
  /** Failures by FileError code. */
  errors: Partial<Record<FileError['code'], number>>;
  /**
   * Files flagged as contract/flagged.ts defines it (no reviewer yet): a real detector at or
   * above its threshold, or an analysis flag in the metadata. Fixture scores never count.
   */
  flagged: number;
  /** Per model: how many files it flagged (a fixture never flags), and the provider that ran it. */
  models: { modelId: string; provider: string; scored: number; flagged: number; fixture: boolean }[];
  elapsedSeconds: number;
  filesPerSecond: number;
}

/** An import's outcome: the batch's counts and the case run it belongs to. */
export interface ImportSummary extends BatchSummary {
  runId: number;
  /** True when an interrupted run with the same settings was continued. */
  resumed: boolean;
  /** Images copied into the case folder (copyEvidence), and copies that failed their hash check. */
  copied: number;
  copyFailed: number;
}

/** What each kind of job returns when it completes: JobInfo.result and job.finished's result. */
export interface JobResults {
  import: ImportSummary;
  evaluate: EvaluationJobResult;
  train: TrainingRunResult;
  'train-head': HeadTrainingResult;
  report: ExportedReport;
  relink: RelinkOutcome;
}

interface JobInfoFields {
  id: string;
  /** The case the job works on (import, evaluation, report, relink); null for app-wide jobs (training). */
  caseId: string | null;
  label: string;
  status: JobStatus;
  progress: JobProgress;
  startedAt: string;
  finishedAt?: string;
  /** Why the job failed, as a sentence. */
  error?: string;
  /** Files the job could not process (the first MAX_JOB_FILE_ERRORS), so a reloaded UI still lists them. */
  fileErrors: JobFileError[];
  /** How many files failed in all (may exceed fileErrors.length). */
  fileErrorCount: number;
}

/** A job of one kind, its result typed by that kind (present once it completed). */
export type JobInfoOf<K extends JobKind> = JobInfoFields & { kind: K; result?: JobResults[K] };

/** A job of any kind; narrow on `kind` to read its result. */
export type JobInfo = { [K in JobKind]: JobInfoOf<K> }[JobKind];

/** The job.finished event: narrow on `kind` to read `result`. */
export type JobFinished = { [K in JobKind]: { jobId: string; kind: K; caseId: string | null; status: JobStatus; result?: JobResults[K]; error?: string } }[JobKind];

export interface JobFileError {
  path: string;
  code: string;
  message: string;
}

export const MAX_JOB_FILE_ERRORS = 1000;

/**
 * Narrows a job (JobInfo), a job.finished event, or anything else discriminated by job kind, to
 * one kind, so its result is typed without a cast.
 */
export function isJobKind<T extends { kind: JobKind }, K extends JobKind>(job: T | null | undefined, kind: K): job is Extract<T, { kind: K }> {
  return job?.kind === kind;
}
