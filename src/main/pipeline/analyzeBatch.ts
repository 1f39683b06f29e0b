import { availableParallelism } from 'node:os';
import type { AnalysisRecord, FileError, ModelScore } from '../../contract/evidence';
import type { BatchSummary } from '../../contract/jobs';
import { flagReasonsOf, flaggingScores } from '../../contract/flagged';
import { toFileError } from '../errors';
import { IngestRefusal, refusedFileFacts, walkEvidence } from '../ingest';
import type { Detector } from '../inference';
import { BoundedQueue } from '../jobs/queue';
import { ProgressTracker, type JobProgress } from '../jobs/progress';
import { PrepareFailure, prepareFile, type PrepareOptions, type PreparedFile } from './prepare';
import { defaultMemoryBudget, estimatePrepareBytes, MemoryBudget } from './memoryBudget';
import { defaultPrepareWorkers, PreparePool } from './preparePool';

export interface AnalyzeBatchOptions extends PrepareOptions {
  /** Detectors already opened; each scores every decoded image. */
  detectors: Detector[];
  /** Files prepared (read, hashed, decoded, ELA) at the same time. */
  concurrency?: number;
  /**
   * Worker threads for the prepare stage (default: defaultPrepareWorkers(); 0: prepare on the
   * main thread, for measuring). With workers, each prepares one file at a time and
   * `concurrency` is ignored.
   */
  workers?: number;
  /** Images per inference call (crops of several images share a batch). */
  batchSize?: number;
  /**
   * Memory the files in flight may take together, from decoding until their record is out
   * (default: defaultMemoryBudget()). Large images wait for each other instead of being decoded
   * one per worker at once.
   */
  memoryBudgetBytes?: number;
  signal?: AbortSignal;
  /** Paths finished by an earlier run (resume); they are counted as skipped. */
  alreadyDone?: (path: string) => boolean;
  /** Called once per file, in completion order, never concurrently. */
  onRecord: (record: AnalysisRecord) => void | Promise<void>;
  onProgress?: (progress: JobProgress) => void;
}

export type { BatchSummary };

/**
 * The analyse pipeline for a batch of paths: walk → (N worker threads) ingest/decode/ELA/model
 * inputs → one inference stage that batches inputs across files and runs them in the inference
 * worker → one record per file. The main thread only hands out paths and collects results, so
 * preparation, inference and whatever else the process does (database writes, IPC) overlap;
 * a bounded queue keeps memory flat.
 * A file that fails gets an error record and the batch goes on; cancellation stops taking
 * new files, lets files in flight finish, and keeps every record already delivered.
 */
export async function analyzeBatch(paths: string[], opts: AnalyzeBatchOptions): Promise<BatchSummary> {
  const concurrency = Math.max(1, opts.concurrency ?? Math.min(4, availableParallelism()));
  const batchSize = Math.max(1, opts.batchSize ?? 16);
  const progress = new ProgressTracker();
  const started = performance.now();
  const summary: BatchSummary = { total: 0, ok: 0, failed: 0, skipped: 0, cancelled: false, errors: {}, flagged: 0, models: [], elapsedSeconds: 0, filesPerSecond: 0 };
  const modelStats = new Map(opts.detectors.map((d) => [d.model.manifest.id, { modelId: d.model.manifest.id, provider: d.provider as string, scored: 0, flagged: 0, fixture: d.model.manifest.fixture }]));

  // Records go out one at a time in completion order, whatever stage produced them.
  let emitChain: Promise<void> = Promise.resolve();
  const emit = async (refusedOrDone: AnalysisRecord): Promise<void> => {
    // A refused file is still identified as far as it can be: size, and SHA-256 when readable.
    const record = refusedOrDone.status === 'error' && refusedOrDone.sha256 === undefined ? { ...refusedOrDone, ...(await refusedFileFacts(refusedOrDone.path)) } : refusedOrDone;
    if (record.status === 'ok') summary.ok += 1;
    else {
      summary.failed += 1;
      const code = record.error!.code;
      summary.errors[code] = (summary.errors[code] ?? 0) + 1;
    }
    for (const s of record.scores ?? []) {
      const m = modelStats.get(s.modelId);
      if (m) {
        m.scored += 1;
        if (flaggingScores([s]).length) m.flagged += 1;
      }
    }
    if (flagReasonsOf({ reviewerFlag: false, scores: record.scores ?? [], metadata: record.metadata ?? null }).length) summary.flagged += 1;
    progress.finish(record.path, record.status === 'ok');
    emitChain = emitChain.then(() => opts.onRecord(record)).then(() => opts.onProgress?.(progress.snapshot()));
    return emitChain;
  };

  // Discover everything first: the total makes the ETA meaningful, and walking is cheap.
  const work: string[] = [];
  for await (const entry of walkEvidence(paths)) {
    if (opts.signal?.aborted) break;
    if ('error' in entry && entry.error) {
      summary.total += 1;
      await emit(errorRecord(entry.path, entry.error, performance.now()));
    } else if (opts.alreadyDone?.(entry.path)) {
      summary.total += 1;
      summary.skipped += 1;
      progress.skip();
    } else {
      summary.total += 1;
      work.push(entry.path);
    }
  }
  progress.setTotal(summary.total);
  opts.onProgress?.(progress.snapshot());

  const pool = work.length > 0 ? await PreparePool.start(opts.workers ?? defaultPrepareWorkers()) : null;
  const prepareOptions: PrepareOptions = {
    ingest: opts.ingest,
    ela: opts.ela,
    heatmapDir: opts.heatmapDir,
    thumbnailDir: opts.thumbnailDir,
    fullHeatmaps: opts.fullHeatmaps,
    models: opts.detectors.map((d) => d.manifest),
    forensics: opts.forensics,
    faceDetectorsDir: opts.detectors.find((d) => d.faceDetectorsDir)?.faceDetectorsDir,
  };
  const prepared = new BoundedQueue<PreparedFile>(batchSize * 2);
  // Each file holds its share of the budget from before it is decoded until it is prepared: a
  // prepared file keeps only its model inputs (small tensors), never the pixels.
  const budget = new MemoryBudget(opts.memoryBudgetBytes ?? defaultMemoryBudget());
  let next = 0;
  const producer = async (): Promise<void> => {
    while (next < work.length && !opts.signal?.aborted) {
      const path = work[next++];
      const release = await budget.acquire(await estimatePrepareBytes(path, opts.ingest.maxPixels));
      const t0 = performance.now();
      try {
        const file = await (pool ? pool.prepare(path, prepareOptions) : prepareFile(path, prepareOptions)).finally(release);
        await prepared.put(file);
      } catch (err) {
        const failure = err instanceof PrepareFailure ? err : undefined;
        const record = errorRecord(path, toFileError(failure ? failure.reason : err), t0, failure?.metadata);
        // A file refused after it was read still gets the hash of the exact bytes examined.
        if (err instanceof IngestRefusal) {
          record.sha256 = err.sha256;
          record.sizeBytes = err.sizeBytes;
        }
        await emit(record);
      }
    }
  };
  const producers = Promise.all(Array.from({ length: pool ? pool.size : concurrency }, producer)).finally(() => prepared.close());

  const consumer = async (): Promise<void> => {
    for (;;) {
      const first = await prepared.take();
      if (first.done) return;
      const batch = [first.value, ...prepared.drain(batchSize - 1)];
      const scores = await scoreWithAllDetectors(opts.detectors, batch);
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i];
        const warnings = [...scores.warnings[i], ...(item.analysisProblems ?? [])];
        await emit({
          path: item.path,
          status: 'ok',
          sha256: item.metadata.sha256,
          metadata: item.metadata,
          ela: item.ela,
          scores: scores.perImage[i],
          ...(item.analyses ? { analyses: item.analyses } : {}),
          warnings: warnings.length ? warnings : undefined,
          analysedAt: new Date().toISOString(),
          elapsedMs: Math.round(performance.now() - item.startedAt),
        });
      }
    }
  };

  try {
    await Promise.all([producers, consumer()]);
    await emitChain;
  } finally {
    await pool?.close();
  }
  summary.cancelled = Boolean(opts.signal?.aborted) && summary.ok + summary.failed + summary.skipped < summary.total;
  summary.models = [...modelStats.values()];
  summary.elapsedSeconds = (performance.now() - started) / 1000;
  summary.filesPerSecond = summary.elapsedSeconds > 0 ? (summary.ok + summary.failed) / summary.elapsedSeconds : 0;
  return summary;
}

function errorRecord(path: string, error: FileError, startedAt: number, metadata?: PreparedFile['metadata']): AnalysisRecord {
  return {
    path,
    status: 'error',
    sha256: metadata?.sha256,
    sizeBytes: metadata?.sizeBytes,
    metadata,
    error,
    analysedAt: new Date().toISOString(),
    elapsedMs: Math.round(performance.now() - startedAt),
  };
}

/**
 * Every detector scores the whole batch from the inputs built during preparation. If a batched
 * run fails, the images are retried one by one so a single pathological image costs only its
 * own score; failures (and inputs that could not be built) become warnings on the affected
 * records rather than failing the file (ELA and metadata are still valid).
 */
async function scoreWithAllDetectors(detectors: Detector[], batch: PreparedFile[]) {
  const perImage: ModelScore[][] = batch.map(() => []);
  const warnings: string[][] = batch.map(() => []);
  for (const detector of detectors) {
    const id = detector.model.manifest.id;
    const usable: number[] = [];
    batch.forEach((b, i) => {
      if (b.inputs[id]) usable.push(i);
      else warnings[i].push(`Model ${id} could not score this image: ${b.inputErrors[id] ?? 'its input was not prepared'}`);
    });
    if (usable.length === 0) continue;
    const context = (i: number) => ({ ...batch[i].imageSize, faces: batch[i].faces[id] });
    try {
      const scores = await detector.scoreInputs(
        usable.map((i) => batch[i].inputs[id]),
        usable.map((i) => context(i)),
      );
      scores.forEach((s, k) => perImage[usable[k]].push(s));
    } catch {
      for (const i of usable) {
        try {
          perImage[i].push((await detector.scoreInputs([batch[i].inputs[id]], [context(i)]))[0]);
        } catch (err) {
          warnings[i].push(`Model ${id} could not score this image: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }
  return { perImage, warnings };
}
