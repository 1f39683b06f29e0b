import { randomUUID } from 'node:crypto';
import { MAX_JOB_FILE_ERRORS, type JobFinished, type JobInfo, type JobInfoOf, type JobKind, type JobResults } from '../../contract/jobs';
import type { EventBus } from './events';
import type { JobProgress } from './progress';

export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  progress(progress: JobProgress): void;
  fileError(path: string, code: string, message: string): void;
}

const EMPTY_PROGRESS: JobProgress = { total: null, done: 0, failed: 0, skipped: 0, rate: 0, etaSeconds: null, elapsedSeconds: 0 };

/**
 * Every long job (import, evaluate, train, report) runs through here: one id, one AbortController,
 * progress and per-file errors published as events, and a final status. Jobs run on the main
 * process's event loop; their heavy work is in libuv's thread pool (sharp), onnxruntime's threads
 * or child processes, so the UI thread (the renderer) is never blocked.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, { info: JobInfo; controller: AbortController; done: Promise<unknown> }>();
  /** Progress events are throttled per job so a fast batch cannot flood the renderer. */
  private readonly lastProgressAt = new Map<string, number>();

  constructor(private readonly events: EventBus, private readonly progressIntervalMs = 100) {}

  /**
   * Runs `work` as a job of `kind`; what it resolves with is that kind's typed result. `caseId`
   * ties it to the case it works on: its state (progress, errors, result) belongs to that case
   * and is never shown with another; null for app-wide jobs (training).
   */
  start<K extends JobKind>(kind: K, label: string, work: (ctx: JobContext) => Promise<JobResults[K]>, caseId: string | null = null): JobInfoOf<K> {
    const id = randomUUID();
    const controller = new AbortController();
    const info: JobInfoOf<K> = { id, kind, caseId, label, status: 'running', progress: { ...EMPTY_PROGRESS }, startedAt: new Date().toISOString(), fileErrors: [], fileErrorCount: 0 };
    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (p) => {
        info.progress = p;
        const now = performance.now();
        const finished = p.total !== null && p.done + p.failed + p.skipped >= p.total;
        if (finished || now - (this.lastProgressAt.get(id) ?? 0) >= this.progressIntervalMs) {
          this.lastProgressAt.set(id, now);
          this.events.publish('job.progress', { jobId: id, kind, caseId, progress: p });
        }
      },
      fileError: (path, code, message) => {
        info.fileErrorCount += 1;
        if (info.fileErrors.length < MAX_JOB_FILE_ERRORS) info.fileErrors.push({ path, code, message });
        this.events.publish('job.fileError', { jobId: id, caseId, path, code, message });
      },
    };
    const done = (async () => {
      try {
        info.result = await work(ctx);
        info.status = controller.signal.aborted ? 'cancelled' : 'completed';
      } catch (err) {
        info.status = controller.signal.aborted ? 'cancelled' : 'failed';
        info.error = err instanceof Error ? err.message : String(err);
      } finally {
        info.finishedAt = new Date().toISOString();
        this.lastProgressAt.delete(id);
        this.events.publish('job.progress', { jobId: id, kind, caseId, progress: info.progress });
        // `info` is a JobInfoOf<K>, so this is the K member of the union; TypeScript cannot
        // distribute a generic K over the union by itself.
        this.events.publish('job.finished', { jobId: id, kind, caseId, status: info.status, result: info.result, error: info.error } as JobFinished);
      }
    })();
    this.jobs.set(id, { info: info as JobInfo, controller, done });
    return info;
  }

  /** Every job, or those of one case together with the app-wide ones. */
  list(caseId?: string | null): JobInfo[] {
    const all = [...this.jobs.values()].map((j) => j.info);
    return caseId === undefined ? all : all.filter((j) => j.caseId === null || j.caseId === caseId);
  }

  get(id: string): JobInfo | undefined {
    return this.jobs.get(id)?.info;
  }

  /** Requests cancellation; the job stops taking new work and finishes what is in flight. */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job || job.info.status !== 'running') return false;
    job.controller.abort();
    return true;
  }

  /** Resolves when the job has finished (whatever its status). */
  async wait(id: string): Promise<JobInfo | undefined> {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    await job.done;
    return job.info;
  }

  /** Cancels every running job (or only those of one case) and waits for them to end. */
  async cancelAll(caseId?: string): Promise<void> {
    const jobs = [...this.jobs.values()].filter((j) => caseId === undefined || j.info.caseId === caseId);
    for (const job of jobs) if (job.info.status === 'running') job.controller.abort();
    await Promise.all(jobs.map((j) => j.done));
  }
}
