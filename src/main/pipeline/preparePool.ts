import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { EvidenceError } from '../errors';
import { IngestRefusal } from '../ingest';
import { startWorker } from '../workerThreads';
import { PrepareFailure, writeEvidenceHeatmap, type HeatmapJob, type PrepareOptions, type PreparedFile } from './prepare';
import type { PrepareReply, PrepareRequest } from './prepareWorker';

/**
 * Prepare workers for this machine: one per core (up to 16), at least two so that on a 2-core
 * machine one file decodes while the other's ELA pass runs. Workers return only statistics and
 * model inputs (the pixels stay in the worker), so they pay off on small machines too; on 16
 * cores the full pipeline ran 2.5x faster with 16 workers than on the main thread.
 */
export function defaultPrepareWorkers(cores = availableParallelism()): number {
  return Math.max(2, Math.min(cores, 16));
}

/**
 * A pool of worker threads running the prepare stage (ingest, decode, ELA, thumbnails, model
 * inputs). The main thread keeps bookkeeping only; every per-pixel loop runs in a worker, one
 * file per worker at a time. Where workers cannot start (a bundle without the worker file, say)
 * `start` returns null and callers prepare in-process.
 */
export class PreparePool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly pending = new Map<number, { resolve: (f: PreparedFile | string) => void; reject: (e: unknown) => void; path: string; startedAt: number }>();
  private nextId = 1;
  private broken: string | undefined;

  private readonly listeners = new Map<Worker, { message: (r: PrepareReply) => void; error: (e: unknown) => void }>();
  private readonly dead = new Set<Worker>();

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      const listeners = { message: (reply: PrepareReply) => this.settle(w, reply), error: (err: unknown) => this.failAll(w, err) };
      this.listeners.set(w, listeners);
      w.on('message', listeners.message);
      w.on('error', listeners.error);
      w.ref();
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * A pool of `size` workers for one batch. Workers outlive the batch: close() hands them back to
   * the process, and the next batch (the next import, the next CLI folder) reuses them instead of
   * starting threads and loading sharp again; one left idle for a minute is stopped.
   */
  static async start(size: number): Promise<PreparePool | null> {
    if (size < 1) return null;
    const workers: Worker[] = [];
    while (workers.length < size && spare.length > 0) workers.push(takeSpare()!);
    for (let i = workers.length; i < size; i++) {
      const w = await startWorker(import.meta.url, 'prepareWorker');
      if (!w) {
        for (const x of workers) giveBack(x);
        return null;
      }
      workers.push(w);
    }
    return new PreparePool(workers);
  }

  prepare(path: string, options: PrepareOptions): Promise<PreparedFile> {
    return this.send(path, (id) => ({ id, kind: 'prepare', path, options })) as Promise<PreparedFile>;
  }

  /** Makes a full-resolution heatmap in a worker (see writeEvidenceHeatmap); resolves to its path. */
  heatmap(job: HeatmapJob): Promise<string> {
    return this.send(job.evidencePath, (id) => ({ id, kind: 'heatmap', job })) as Promise<string>;
  }

  private async send(path: string, request: (id: number) => PrepareRequest): Promise<PreparedFile | string> {
    if (this.broken) throw new EvidenceError('INTERNAL', `Preparing ${path} failed: ${this.broken}`);
    const worker = this.idle.pop() ?? (await new Promise<Worker>((r) => this.waiting.push(r)));
    const id = this.nextId++;
    return new Promise<PreparedFile | string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, path, startedAt: performance.now() });
      worker.postMessage(request(id));
    });
  }

  private settle(worker: Worker, reply: PrepareReply): void {
    const job = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
    if (!job) return;
    if (reply.ok) {
      // Worker clocks start elsewhere: time the file from when it was handed out.
      job.resolve('heatmapPath' in reply ? reply.heatmapPath : { ...reply.prepared, startedAt: job.startedAt });
      return;
    }
    const error = new EvidenceError(reply.error.code, reply.error.message);
    if (reply.metadata) job.reject(new PrepareFailure(error, reply.metadata));
    else if (reply.sha256) job.reject(new IngestRefusal(error, reply.sha256, 0));
    else job.reject(error);
  }

  private failAll(worker: Worker, err: unknown): void {
    this.dead.add(worker);
    this.broken = `a prepare worker stopped (${err instanceof Error ? err.message : String(err)})`;
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      job.reject(new EvidenceError('INTERNAL', `The worker preparing ${job.path} stopped: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  /** Hands the workers back for the next batch (a worker that failed is stopped instead). */
  async close(): Promise<void> {
    for (const w of this.workers) {
      const listeners = this.listeners.get(w)!;
      w.off('message', listeners.message);
      w.off('error', listeners.error);
      if (this.dead.has(w) || this.pending.size > 0) await w.terminate();
      else giveBack(w);
    }
  }
}

/** Idle workers between batches, with the timer that stops each after IDLE_MS. */
const spare: { worker: Worker; timer: NodeJS.Timeout; onExit: () => void }[] = [];
const IDLE_MS = 60_000;

function giveBack(worker: Worker): void {
  // An idle worker must not keep the process alive.
  worker.unref();
  const drop = (): void => {
    const at = spare.indexOf(entry);
    if (at >= 0) spare.splice(at, 1);
  };
  const entry = {
    worker,
    timer: setTimeout(() => {
      drop();
      worker.off('exit', drop);
      void worker.terminate();
    }, IDLE_MS).unref(),
    onExit: drop,
  };
  worker.once('exit', drop);
  spare.push(entry);
}

function takeSpare(): Worker | undefined {
  const entry = spare.pop();
  if (!entry) return undefined;
  clearTimeout(entry.timer);
  entry.worker.off('exit', entry.onExit);
  return entry.worker;
}

/**
 * Makes a full-resolution heatmap off the main thread: in a prepare worker taken from (and
 * handed back to) the process's idle workers, in-process only where no worker can start.
 */
export async function writeEvidenceHeatmapOffThread(job: HeatmapJob): Promise<string> {
  const pool = await PreparePool.start(1);
  if (!pool) return writeEvidenceHeatmap(job);
  try {
    return await pool.heatmap(job);
  } finally {
    await pool.close();
  }
}
