// Long jobs (imports, later evaluation/training/reports) as the renderer sees them, fed by the
// job.* events. Per-file errors are kept after a job ends so the examiner can act on them.
import type { Events } from '../../contract/ipc';
import type { JobFinished, JobInfo, JobKind, JobProgress, JobStatus } from '../../contract/jobs';
import { call, errorMessage, onEvent } from './api';

export type FileErrorEvent = Omit<Events['job.fileError'], 'jobId'>;

export interface TrackedJob {
  id: string;
  kind: JobKind;
  label: string;
  status: JobStatus;
  progress: JobProgress;
  fileErrors: FileErrorEvent[];
  /** How the job ended, with its result typed by kind (narrow with isJobKind); null while it runs. */
  outcome: JobFinished | JobInfo | null;
  error?: string;
  cancelling: boolean;
}

const EMPTY_PROGRESS: JobProgress = { total: null, done: 0, failed: 0, skipped: 0, rate: 0, etaSeconds: null, elapsedSeconds: 0 };

const KIND_LABELS: Record<JobKind, string> = { import: 'Import', evaluate: 'Evaluation', train: 'Training', 'train-head': 'Head training', report: 'Report' };

class Jobs {
  /** Keyed by job id, in the order first seen. */
  byId = $state<Record<string, TrackedJob>>({});
  running = $derived(Object.values(this.byId).filter((j) => j.status === 'running'));
  /** The import started most recently in this window (or found running at start-up). */
  lastImportId = $state<string | null>(null);
  lastImport = $derived(this.lastImportId ? (this.byId[this.lastImportId] ?? null) : null);
  cancelError = $state<string | null>(null);

  private started = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    onEvent('job.progress', ({ jobId, kind, progress }) => {
      const job = this.ensure(jobId, kind);
      job.progress = progress;
    });
    onEvent('job.fileError', ({ jobId, path, code, message }) => {
      this.ensure(jobId).fileErrors.push({ path, code, message });
    });
    onEvent('job.finished', (finished) => {
      const job = this.ensure(finished.jobId, finished.kind);
      job.status = finished.status;
      job.outcome = finished;
      job.error = finished.error;
      job.cancelling = false;
    });
    void this.refresh();
  }

  /** Picks up jobs that were already running (e.g. after a reload). */
  async refresh(): Promise<void> {
    try {
      const list = await call('jobs.list', {});
      for (const info of list) {
        const job = this.ensure(info.id, info.kind);
        job.label = info.label || job.label;
        job.status = info.status;
        job.progress = info.progress;
        job.outcome = info.status === 'running' ? null : info;
        job.error = info.error;
        // The server keeps each job's per-file errors, so a reloaded window lists them again.
        if (info.fileErrors.length > job.fileErrors.length) job.fileErrors = [...info.fileErrors];
        if (info.kind === 'import' && (info.status === 'running' || !this.lastImportId)) this.lastImportId = info.id;
      }
    } catch (err) {
      console.error('jobs.list failed', err);
    }
  }

  /** Registers a job this window started, before its first event arrives. */
  track(id: string, kind: JobKind, label: string): void {
    const job = this.ensure(id, kind);
    job.label = label;
    if (kind === 'import') this.lastImportId = id;
  }

  async cancel(id: string): Promise<void> {
    const job = this.byId[id];
    if (!job) return;
    job.cancelling = true;
    this.cancelError = null;
    try {
      const { cancelled } = await call('jobs.cancel', { jobId: id });
      if (!cancelled) job.cancelling = false;
    } catch (err) {
      job.cancelling = false;
      this.cancelError = errorMessage(err);
    }
  }

  private ensure(id: string, kind?: JobKind): TrackedJob {
    let job = this.byId[id];
    if (!job) {
      this.byId[id] = {
        id,
        kind: kind ?? 'import',
        label: KIND_LABELS[kind ?? 'import'],
        status: 'running',
        progress: { ...EMPTY_PROGRESS },
        fileErrors: [],
        outcome: null,
        cancelling: false,
      };
      job = this.byId[id];
    } else if (kind && job.kind !== kind) {
      job.kind = kind;
    }
    return job;
  }
}

export const jobs = new Jobs();
