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

export type JobKind = 'import' | 'evaluate' | 'train' | 'report';
export type JobStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface JobInfo {
  id: string;
  kind: JobKind;
  label: string;
  status: JobStatus;
  progress: JobProgress;
  startedAt: string;
  finishedAt?: string;
  /** Job-specific outcome (e.g. an import's counts); JSON. */
  result?: unknown;
  /** Why the job failed, as a sentence. */
  error?: string;
  /** Files the job could not process (the first MAX_JOB_FILE_ERRORS), so a reloaded UI still lists them. */
  fileErrors: JobFileError[];
  /** How many files failed in all (may exceed fileErrors.length). */
  fileErrorCount: number;
}

export interface JobFileError {
  path: string;
  code: string;
  message: string;
}

export const MAX_JOB_FILE_ERRORS = 1000;
