import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_ELA_PARAMETERS } from '../analysis';
import { defaultIntraOpThreads } from '../inference';
import { analyzeBatch, type BatchSummary } from '../pipeline/analyzeBatch';
import { defaultMemoryBudget } from '../pipeline/memoryBudget';
import { defaultPrepareWorkers } from '../pipeline/preparePool';
import { ResultsFile } from '../pipeline/resultsFile';
import type { CliContext } from './index';
import { describeHidden, describeOpened } from './models';
import { formatDuration, formatTable, ProgressLine } from './terminal';
import { parseCommandArgs, positiveInt, UsageError } from './usage';

const help = `provenance analyze <file|folder>... --out results.jsonl [options]

Hashes, describes, runs Error Level Analysis and every detector on each image, writing one
JSON line per file. Re-running with the same --out resumes: finished files are skipped.
Evidence files are only ever read.

Options:
  --out FILE            results file (JSON Lines), required
  --models ID,ID        models to run (default: every listed model; see "provenance models")
  --heatmaps DIR        where ELA heatmap previews go (default: <out>.heatmaps/); an image no
                        larger than the preview (1024 px) has its full-resolution heatmap there
  --full-heatmaps       also write every large image's full-resolution heatmap (slower; the
                        app makes them on demand when the viewer zooms in)
  --ela-quality Q       JPEG quality of the ELA re-compression, 1-100 (default ${DEFAULT_ELA_PARAMETERS.quality})
  --no-ela              skip ELA
  --concurrency N       files prepared in parallel when --workers is 0 (default: up to 4)
  --workers N           worker threads preparing files (hash, decode, ELA, model inputs);
                        0 = main thread (default ${defaultPrepareWorkers()} on this machine: one per core, at least 2)
  --batch N             images per inference batch (default 16)
  --memory-budget MB    memory the images in flight may take together (default ${Math.round(defaultMemoryBudget() / 1024 / 1024)} on
                        this machine): large images are then decoded a few at a time
  --threads N           CPU threads per model session (default ${defaultIntraOpThreads()} on this machine)
  --fresh               overwrite --out instead of resuming
  --quiet               no progress line`;

async function run(args: string[], { config, catalogue }: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    out: { type: 'string' },
    models: { type: 'string' },
    heatmaps: { type: 'string' },
    'ela-quality': { type: 'string' },
    'no-ela': { type: 'boolean' },
    'full-heatmaps': { type: 'boolean' },
    concurrency: { type: 'string' },
    workers: { type: 'string' },
    batch: { type: 'string' },
    'memory-budget': { type: 'string' },
    threads: { type: 'string' },
    fresh: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length === 0) throw new UsageError('Give at least one file or folder to analyse.');
  if (!values.out) throw new UsageError('--out is required (the JSON Lines results file).');
  const elaQuality = positiveInt(values['ela-quality'], 'ela-quality', DEFAULT_ELA_PARAMETERS.quality);
  if (elaQuality > 100) throw new UsageError('--ela-quality must be between 1 and 100');

  const outPath = resolve(values.out);
  mkdirSync(dirname(outPath), { recursive: true });
  const heatmapDir = values['no-ela'] ? undefined : resolve(values.heatmaps ?? `${outPath}.heatmaps`);
  if (heatmapDir) mkdirSync(heatmapDir, { recursive: true });

  const { detectors, skipped, hidden } = await catalogue.openDetectors({
    ids: values.models?.split(',').map((s) => s.trim()).filter(Boolean),
    threads: values.threads ? positiveInt(values.threads, 'threads', 1) : undefined,
  });
  console.error(describeOpened(detectors, skipped, config.provider));
  if (hidden.length) console.error(describeHidden(hidden));

  const results = new ResultsFile(outPath, { resume: !values.fresh });
  if (results.finished.size > 0) console.error(`resuming: ${results.finished.size} files already in ${values.out}`);
  const bar = values.quiet ? undefined : new ProgressLine();
  const controller = new AbortController();
  const onSignal = () => {
    console.error('\ninterrupted: finishing files in flight, then stopping (run again to resume)');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let summary: BatchSummary;
  try {
    summary = await analyzeBatch(positionals.map((p) => resolve(p)), {
      detectors,
      ingest: { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes },
      ela: values['no-ela'] ? null : { ...DEFAULT_ELA_PARAMETERS, quality: elaQuality },
      heatmapDir,
      fullHeatmaps: Boolean(values['full-heatmaps']),
      concurrency: values.concurrency ? positiveInt(values.concurrency, 'concurrency', 1) : undefined,
      workers: values.workers === '0' ? 0 : values.workers ? positiveInt(values.workers, 'workers', 1) : defaultPrepareWorkers(),
      batchSize: positiveInt(values.batch, 'batch', 16),
      memoryBudgetBytes: values['memory-budget'] ? positiveInt(values['memory-budget'], 'memory-budget', 1) * 1024 * 1024 : undefined,
      signal: controller.signal,
      alreadyDone: (p) => results.finished.has(p),
      onRecord: (r) => results.append(r),
      onProgress: (p) => bar?.update(p),
    });
  } finally {
    bar?.end();
    results.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(detectors.map((d) => d.close()));
  }
  console.log(formatSummary(summary, outPath));
  return summary.cancelled ? 130 : 0;
}

export function formatSummary(s: BatchSummary, outPath: string): string {
  const lines = [
    `${s.total} files: ${s.ok} analysed, ${s.failed} failed, ${s.skipped} skipped (already done)${s.cancelled ? ', CANCELLED before the end' : ''}`,
    `${s.flagged} flagged: a detector at or above its threshold (test fixtures never flag) or an analysis flag (metadata names an editor or a generator); see "What flagged means" in the README`,
    `${formatDuration(s.elapsedSeconds)} elapsed, ${s.filesPerSecond.toFixed(1)} files/s; results in ${outPath}`,
  ];
  const errors = Object.entries(s.errors);
  if (errors.length) lines.push('', formatTable(['error', 'files'], errors.map(([code, n]) => [code, n ?? 0])));
  if (s.models.length) {
    lines.push('', formatTable(['model', 'provider', 'scored', 'flagged', 'note'], s.models.map((m) => [m.modelId, m.provider, m.scored, m.fixture ? '-' : m.flagged, m.fixture ? 'TEST FIXTURE: never flags' : ''])));
  }
  return lines.join('\n');
}

export const analyzeCommand = { run, help };
