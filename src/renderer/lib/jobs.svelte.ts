// Long jobs (imports, later evaluation/training/reports) as the renderer sees them, fed by the
// job.* events. Per-file errors are kept after a job ends so the examiner can act on them.
import type { Events } from '../../contract/ipc';
import type { JobFinished, JobInfo, JobKind, JobProgress, JobStatus } from '../../contract/jobs';
import { call, errorMessage, onEvent } from './api';
import { session } from './session.svelte';

export type FileErrorEvent = Omit<Events['job.fileError'], 'jobId' | 'caseId'>;

export interface TrackedJob {
  id: string;
  kind: JobKind;
  /** The case the job belongs to; null for app-wide jobs (training). */
  caseId: string | null;
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

/** How often the engine is asked about jobs this window believes are running. */
const RUNNING_POLL_MS = 4000;

const KIND_LABELS: Record<JobKind, string> = { import: 'Import', evaluate: 'Evaluation', train: 'Training', 'train-head': 'Head training', report: 'Report', relink: 'Relink' };

/** True when a job belongs to the open case or to no case: what this window shows. */
function visible(job: TrackedJob): boolean {
  return job.caseId === null || job.caseId === (session.current?.case.id ?? null);
}

class Jobs {
  /** Keyed by job id, in the order first seen. */
  byId = $state<Record<string, TrackedJob>>({});
  /** Running jobs of the open case and app-wide ones: another case's import never shows. */
  running = $derived(Object.values(this.byId).filter((j) => j.status === 'running' && visible(j)));
  /** Per case: the import started most recently in this window (or found running at start-up). */
  lastImportByCase = $state<Record<string, string>>({});
  lastImport = $derived.by(() => {
    const caseId = session.current?.case.id;
    const id = caseId ? this.lastImportByCase[caseId] : undefined;
    return id ? (this.byId[id] ?? null) : null;
  });
  cancelError = $state<string | null>(null);

  private started = false;
  private polling = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    onEvent('job.progress', ({ jobId, kind, caseId, progress }) => {
      const job = this.ensure(jobId, kind, caseId);
      job.progress = progress;
    });
    onEvent('job.fileError', ({ jobId, caseId, path, code, message }) => {
      this.ensure(jobId, undefined, caseId).fileErrors.push({ path, code, message });
    });
    onEvent('job.finished', (finished) => {
      const job = this.ensure(finished.jobId, finished.kind, finished.caseId);
      job.status = finished.status;
      job.outcome = finished;
      job.error = finished.error;
      job.cancelling = false;
    });
    void this.refresh();
    // Events are the fast path, not the only one: an event stream that reconnects (the browser
    // build's Server-Sent Events after a stall on a loaded machine) loses what was sent meanwhile,
    // and a report or import whose "finished" event was lost would look running for ever. While
    // this window believes a job runs, it asks the engine every few seconds as well.
    setInterval(() => {
      if (!this.polling && this.running.length > 0) {
        this.polling = true;
        void this.refresh().finally(() => (this.polling = false));
      }
    }, RUNNING_POLL_MS);
  }

  /** Picks up the open case's jobs that were already running (after a reload, or opening the case). */
  async refresh(): Promise<void> {
    try {
      const list = await call('jobs.list', {});
      for (const info of list) {
        const job = this.ensure(info.id, info.kind, info.caseId);
        // An ended job never runs again: a list answered before its "finished" event arrived
        // must not turn it back into a running one.
        if (job.status !== 'running' && info.status === 'running') continue;
        job.label = info.label || job.label;
        job.status = info.status;
        job.progress = info.progress;
        job.outcome = info.status === 'running' ? null : info;
        job.error = info.error;
        // The server keeps each job's per-file errors, so a reloaded window lists them again.
        if (info.fileErrors.length > job.fileErrors.length) job.fileErrors = [...info.fileErrors];
        if (info.kind === 'import' && info.caseId && (info.status === 'running' || !this.lastImportByCase[info.caseId])) this.lastImportByCase[info.caseId] = info.id;
      }
    } catch (err) {
      console.error('jobs.list failed', err);
    }
  }

  /** Registers a job this window started for the open case (or app-wide), before its first event arrives. */
  track(id: string, kind: JobKind, label: string, caseId: string | null = session.current?.case.id ?? null): void {
    const job = this.ensure(id, kind, caseId);
    job.label = label;
    if (kind === 'import' && caseId) this.lastImportByCase[caseId] = id;
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

  private ensure(id: string, kind?: JobKind, caseId?: string | null): TrackedJob {
    let job = this.byId[id];
    if (!job) {
      this.byId[id] = {
        id,
        kind: kind ?? 'import',
        caseId: caseId ?? null,
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
    if (caseId !== undefined && job.caseId !== caseId) job.caseId = caseId;
    return job;
  }
}

export const jobs = new Jobs();
