// Scores every image of a labelled set with every detector, once clean and once per robustness
// level, reusing the analyse pipeline's pieces: readAndDecode (read once, hash, decode once; no
// ELA), a bounded queue between the parallel decoders and the one inference stage, Detector's
// cross-image batching, and the job progress tracker. Each image is decoded once; its pixels are
// perturbed in memory for each level and dropped after its batch, so memory stays at about one
// batch whatever the number of levels. An unreadable image is recorded and the run goes on.
import { availableParallelism } from 'node:os';
import type { FileError, LocalizationMap } from '../../contract/evidence';
import type { ItemFileFacts, Perturbation } from '../../contract/evaluation';
import { toFileError } from '../errors';
import { DEFAULT_INGEST_OPTIONS, type IngestOptions } from '../ingest';
import type { DecodedImage } from '../ingest/decoded';
import type { Detector } from '../inference';
import { ProgressTracker, type JobProgress } from '../jobs/progress';
import { BoundedQueue } from '../jobs/queue';
import { PrepareFailure, readAndDecode } from '../pipeline/prepare';
import { perturb } from './perturb';

export interface ScoringOptions {
  /** Images read and decoded in parallel (default: up to 4). */
  concurrency?: number;
  /** Images per inference call (default 16). */
  batchSize?: number;
  ingest?: Partial<IngestOptions>;
  /** Writes gallery thumbnails (named by SHA-256) from the decoded pixels, for FP/FN galleries. */
  thumbnailDir?: string;
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
  /** Called for each image that cannot be read or decoded. */
  onItemError?: (path: string, error: FileError) => void;
}

/** What scoring learned about one image. Scores are indexed [detector] and [perturbation][detector]. */
export interface ItemOutcome {
  sha256?: string;
  /** Format, size and JPEG quality of the file (for the format-leakage check). */
  file?: ItemFileFacts;
  error?: FileError;
  clean: (number | null)[];
  perturbed: (number | null)[][];
  /** Why a detector has no clean score for this image, per detector. */
  failures: (string | null)[];
  /** Localisation models: the clean pass's heatmap, per detector (null for the others). */
  maps: (LocalizationMap | null)[];
  /** The decoded (orientation-applied) size, which a heatmap's region refers to. */
  size?: { width: number; height: number };
}

/** Raised when the signal aborts before every image was scored: partial metrics would mislead. */
export class EvaluationCancelledError extends Error {
  constructor(done: number, total: number) {
    super(`evaluation cancelled after ${done} of ${total} images; nothing was saved`);
    this.name = 'AbortError';
  }
}

interface Prepared {
  index: number;
  image: DecodedImage;
  sha256: string;
  file: ItemFileFacts;
}

/** One detector over a batch; when the batch fails, image by image so one bad image costs only itself. */
async function scoreWith(detector: Detector, images: (DecodedImage | Error)[]): Promise<{ scores: (number | null)[]; failures: (string | null)[]; maps: (LocalizationMap | null)[] }> {
  const scores: (number | null)[] = images.map(() => null);
  const maps: (LocalizationMap | null)[] = images.map(() => null);
  const failures: (string | null)[] = images.map((img) => (img instanceof Error ? img.message : null));
  const usable = images.flatMap((img, i) => (img instanceof Error ? [] : [i]));
  if (usable.length === 0) return { scores, failures, maps };
  try {
    const out = await detector.score(usable.map((i) => images[i] as DecodedImage));
    usable.forEach((i, k) => {
      scores[i] = out[k].score;
      maps[i] = out[k].localization ?? null;
    });
  } catch {
    for (const i of usable) {
      try {
        const [one] = await detector.score([images[i] as DecodedImage]);
        scores[i] = one.score;
        maps[i] = one.localization ?? null;
      } catch (err) {
        failures[i] = err instanceof Error ? err.message : String(err);
      }
    }
  }
  return { scores, failures, maps };
}

export async function scoreItems(
  paths: readonly string[],
  detectors: readonly Detector[],
  perturbations: readonly Perturbation[],
  opts: ScoringOptions = {},
): Promise<{ outcomes: ItemOutcome[]; seconds: number }> {
  const concurrency = Math.max(1, opts.concurrency ?? Math.min(4, availableParallelism()));
  const batchSize = Math.max(1, opts.batchSize ?? 16);
  const ingest: IngestOptions = { ...DEFAULT_INGEST_OPTIONS, ...opts.ingest };
  const started = performance.now();
  const progress = new ProgressTracker();
  progress.setTotal(paths.length);
  opts.onProgress?.(progress.snapshot());
  const outcomes: ItemOutcome[] = paths.map(() => ({ clean: [], perturbed: [], failures: [], maps: [] }));

  const queue = new BoundedQueue<Prepared>(batchSize * 2);
  let next = 0;
  const producer = async (): Promise<void> => {
    while (next < paths.length && !opts.signal?.aborted) {
      const index = next++;
      try {
        const prepared = await readAndDecode(paths[index], { ingest, thumbnailDir: opts.thumbnailDir });
        const m = prepared.metadata;
        const file: ItemFileFacts = { format: m.format, bytes: m.sizeBytes, width: m.width, height: m.height };
        if (m.jpegQuality) file.jpegQuality = m.jpegQuality.quality;
        await queue.put({ index, image: prepared.image, sha256: m.sha256, file });
      } catch (err) {
        const reason = err instanceof PrepareFailure ? err.reason : err;
        const error = toFileError(reason);
        outcomes[index].error = error;
        if (err instanceof PrepareFailure && err.metadata) outcomes[index].sha256 = err.metadata.sha256;
        progress.finish(paths[index], false);
        opts.onItemError?.(paths[index], error);
        opts.onProgress?.(progress.snapshot());
      }
    }
  };
  const producers = Promise.all(Array.from({ length: concurrency }, producer)).finally(() => queue.close());

  const scoreBatch = async (batch: Prepared[]): Promise<void> => {
    for (const detector of detectors) {
      const { scores, failures, maps } = await scoreWith(detector, batch.map((b) => b.image));
      batch.forEach((b, i) => {
        outcomes[b.index].clean.push(scores[i]);
        outcomes[b.index].failures.push(failures[i]);
        outcomes[b.index].maps.push(maps[i]);
      });
    }
    for (const p of perturbations) {
      // Perturbations run in sharp's thread pool, all images of the batch at once.
      const images = await Promise.all(batch.map((b) => perturb(b.image, p).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))));
      const perDetector: (number | null)[][] = [];
      for (const detector of detectors) perDetector.push((await scoreWith(detector, images)).scores);
      batch.forEach((b, i) => outcomes[b.index].perturbed.push(perDetector.map((scores) => scores[i])));
    }
    for (const b of batch) {
      outcomes[b.index].sha256 = b.sha256;
      outcomes[b.index].size = { width: b.image.width, height: b.image.height };
      outcomes[b.index].file = b.file;
      progress.finish(paths[b.index], true);
    }
    opts.onProgress?.(progress.snapshot());
  };

  const consumer = async (): Promise<void> => {
    try {
      for (;;) {
        const first = await queue.take();
        if (first.done) return;
        await scoreBatch([first.value, ...queue.drain(batchSize - 1)]);
      }
    } catch (err) {
      // Keep taking so producers blocked on a full queue can finish, then report the failure.
      while (!(await queue.take()).done);
      throw err;
    }
  };

  await Promise.all([producers, consumer()]);
  const finished = outcomes.filter((o) => o.error || o.sha256 !== undefined).length;
  if (finished < paths.length) throw new EvaluationCancelledError(finished, paths.length);
  return { outcomes, seconds: (performance.now() - started) / 1000 };
}
