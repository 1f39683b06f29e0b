import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EvidenceMetadata } from '../../contract/evidence';
import { primeElaDifference } from '../analysis/ela';
import { EvidenceError } from '../errors';
import { IngestRefusal } from '../ingest';
import type { DecodedImage } from '../ingest/decoded';
import { PrepareFailure, type PrepareOptions, type PreparedFile } from './prepare';
import type { PrepareReply, PrepareRequest } from './prepareWorker';

/**
 * Worker threads worth starting on this machine. Measured with bench/run.ts: on 16 cores the
 * full pipeline ran 2.5x faster with 16 prepare workers (76 vs 31 img/s); on 2 cores workers
 * were slower than the main thread (starting them and copying pixels costs more than the one
 * spare core returns), so small machines prepare in-process.
 */
export function defaultPrepareWorkers(cores = availableParallelism()): number {
  return cores >= 4 ? Math.min(cores, 16) : 0;
}

/**
 * A pool of worker threads running the prepare stage (ingest, decode, ELA, thumbnails). The
 * main thread keeps inference and bookkeeping; every per-pixel JavaScript loop of the prepare
 * stage runs beside it, one file per worker at a time. Where workers cannot start (a bundle
 * without the worker file, say) `start` returns null and callers prepare in-process.
 */
export class PreparePool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly pending = new Map<number, { resolve: (f: PreparedFile) => void; reject: (e: unknown) => void; path: string; startedAt: number }>();
  private nextId = 1;
  private broken: string | undefined;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (reply: PrepareReply) => this.settle(w, reply));
      w.on('error', (err) => this.failAll(err));
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  static async start(size: number): Promise<PreparePool | null> {
    if (size < 1) return null;
    const fromSource = import.meta.url.endsWith('.ts');
    // Source (tsx), the app's bundle (out/main/prepareWorker.js) or the command's (out/cli/prepareWorker.mjs).
    const built = import.meta.url.endsWith('.mjs') ? './prepareWorker.mjs' : './prepareWorker.js';
    const entry = new URL(fromSource ? './prepareWorker.ts' : built, import.meta.url);
    let url = entry;
    let workerData: { entry: string; tsxApi?: string } | undefined;
    if (fromSource) {
      // From source (tsx): a plain-JS bootstrap registers the TypeScript loader in the worker.
      try {
        workerData = { entry: entry.href, tsxApi: import.meta.resolve('tsx/esm/api') };
        url = new URL('./workerBootstrap.mjs', import.meta.url);
      } catch {
        // No TypeScript loader for a worker: the caller prepares on the main thread (slower, same results).
        return null;
      }
    }
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < size; i++) {
        const w = new Worker(url, { workerData });
        workers.push(w);
        await new Promise<void>((resolve, reject) => {
          w.once('online', resolve);
          w.once('error', reject);
        });
      }
    } catch {
      // Workers cannot start here: the caller prepares on the main thread (slower, same results).
      await Promise.all(workers.map((w) => w.terminate()));
      return null;
    }
    return new PreparePool(workers);
  }

  async prepare(path: string, options: PrepareOptions): Promise<PreparedFile> {
    if (this.broken) throw new EvidenceError('INTERNAL', `Preparing ${path} failed: ${this.broken}`);
    const worker = this.idle.pop() ?? (await new Promise<Worker>((r) => this.waiting.push(r)));
    const id = this.nextId++;
    return new Promise<PreparedFile>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, path, startedAt: performance.now() });
      const request: PrepareRequest = { id, path, options };
      worker.postMessage(request);
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
      const { pixels, width, height, elaDiff, ...rest } = reply.prepared;
      const image: DecodedImage = { data: Buffer.from(pixels), width, height, channels: 3 };
      if (elaDiff && rest.ela) primeElaDifference(image, rest.ela.parameters.quality, Buffer.from(elaDiff));
      // Worker clocks start elsewhere: time the file from when it was handed out.
      job.resolve({ ...rest, image, startedAt: job.startedAt });
      return;
    }
    const error = new EvidenceError(reply.error.code, reply.error.message);
    if (reply.metadata) job.reject(new PrepareFailure(error, reply.metadata as EvidenceMetadata));
    else if (reply.sha256) job.reject(new IngestRefusal(error, reply.sha256, 0));
    else job.reject(error);
  }

  private failAll(err: unknown): void {
    this.broken = `a prepare worker stopped (${err instanceof Error ? err.message : String(err)})`;
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      job.reject(new EvidenceError('INTERNAL', `The worker preparing ${job.path} stopped: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
