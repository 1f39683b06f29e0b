// `npm run bench`: throughput of the analyse pipeline, each number next to a baseline measured
// in the same process on the same files (so the ratios hold across machines):
//   - baseline: sharp decoding every file to raw RGB (the least any analysis must do);
//   - ELA megapixels/s on already-decoded pixels;
//   - the full pipeline (ingest + hash + metadata + decode + ELA with heatmaps + every model),
//     and the same without heatmap files and without models, to show where time goes.
// Then bench/analyses.ts: the cost of each forensic analysis per megapixel against decoding.
// Options: --small N --large N (image counts, default 200 each), --ep auto|cpu|webgpu, --json FILE,
// --analyses N (images for the analyses benchmark, default 24; 0 skips it).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ELA_PARAMETERS, runEla } from '../src/main/analysis';
import { decodeImage, DEFAULT_INGEST_OPTIONS } from '../src/main/ingest';
import type { DecodedImage } from '../src/main/ingest/decoded';
import { analyzeBatch } from '../src/main/pipeline/analyzeBatch';
import { installLayoutFrom, loadConfig } from '../src/main/config';
import { ModelCatalogue } from '../src/main/inference/catalogue';
import { formatTable } from '../src/main/cli/terminal';
import { makeJpeg } from '../tests/fixtures/images';
import { runAnalysesBench } from './analyses';

const { values } = parseArgs({ options: { small: { type: 'string' }, large: { type: 'string' }, ep: { type: 'string' }, json: { type: 'string' }, keep: { type: 'boolean' }, analyses: { type: 'string' } } });
const counts = { large: Number(values.large ?? 200), small: Number(values.small ?? 200) };
const ep = (values.ep ?? 'auto') as 'auto' | 'cpu' | 'webgpu';

async function makeSet(dir: string): Promise<{ files: string[]; megapixels: number }> {
  const files: string[] = [];
  let megapixels = 0;
  for (const [n, w, h, tag] of [[counts.large, 1024, 768, 'large'], [counts.small, 256, 256, 'small']] as const) {
    for (let i = 0; i < n; i++) {
      const path = join(dir, `${tag}-${String(i).padStart(4, '0')}.jpg`);
      await makeJpeg(path, { width: w, height: h, quality: 80 + (i % 16), seed: i + (tag === 'large' ? 0 : 10_000) });
      files.push(path);
      megapixels += (w * h) / 1e6;
    }
  }
  return { files, megapixels };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'provenance-bench-'));
  const imagesDir = join(work, 'images');
  mkdirSync(imagesDir);
  console.log(`# generating ${counts.large} JPEGs of 1024x768 and ${counts.small} of 256x256 in ${work}`);
  const { files, megapixels } = await makeSet(imagesDir);
  const n = files.length;
  const concurrency = Math.min(4, availableParallelism());

  // Warm the page cache and sharp's thread pool so the first measurement is not penalised.
  for (const f of files.slice(0, 10)) await decodeImage(readFileSync(f), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });

  const rows: { name: string; seconds: number; perSecond: number; unit: string; vsDecode?: number }[] = [];

  const decoded: DecodedImage[] = [];
  const decode = await timed(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          decoded[i] = await decodeImage(readFileSync(files[i]), { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });
        }
      }),
    );
  });
  const decodeRate = n / decode.seconds;
  rows.push({ name: 'baseline: sharp decode to RGB', seconds: decode.seconds, perSecond: decodeRate, unit: 'img/s', vsDecode: 1 });

  const ela = await timed(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) await runEla(decoded[next++], DEFAULT_ELA_PARAMETERS);
      }),
    );
  });
  rows.push({ name: 'ELA statistics (decoded pixels)', seconds: ela.seconds, perSecond: megapixels / ela.seconds, unit: 'MP/s' });
  decoded.length = 0;

  // The installed models of the configuration (PROVENANCE_MODELS_DIR, settings.json), fixtures included.
  const config = loadConfig({ install: installLayoutFrom(import.meta.url), overrides: { provider: ep, showFixtureModels: true } });
  const { detectors } = await ModelCatalogue.fromConfig(config).openDetectors();
  const providers = detectors.map((d) => `${d.model.manifest.id}=${d.provider}`).join(', ');
  const workers = availableParallelism();
  const variants = [
    { name: 'full pipeline (ELA + heatmaps + models)', heatmaps: true, models: true, workers: 0 },
    { name: `full pipeline, prepare in ${workers} worker threads`, heatmaps: true, models: true, workers },
    { name: 'pipeline without heatmap files', heatmaps: false, models: true, workers: 0 },
    { name: 'pipeline without models', heatmaps: true, models: false, workers: 0 },
  ];
  for (const v of variants) {
    const heatmapDir = join(work, `heatmaps-${rows.length}`);
    mkdirSync(heatmapDir);
    const run = await timed(() =>
      analyzeBatch([imagesDir], {
        detectors: v.models ? detectors : [],
        ingest: DEFAULT_INGEST_OPTIONS,
        ela: DEFAULT_ELA_PARAMETERS,
        heatmapDir: v.heatmaps ? heatmapDir : undefined,
        concurrency,
        workers: v.workers,
        onRecord: (r) => {
          if (r.status !== 'ok') throw new Error(`bench image failed: ${r.path}: ${r.error?.message}`);
        },
      }),
    );
    const rate = run.value.ok / run.seconds;
    rows.push({ name: v.name, seconds: run.seconds, perSecond: rate, unit: 'img/s', vsDecode: rate / decodeRate });
  }
  await Promise.all(detectors.map((d) => d.close()));

  console.log(`\n${n} images (${megapixels.toFixed(1)} MP), ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), concurrency ${concurrency}, providers: ${providers}\n`);
  console.log(
    formatTable(
      ['measurement', 'seconds', 'rate', 'unit', 'vs decode'],
      rows.map((r) => [r.name, r.seconds.toFixed(2), r.perSecond.toFixed(1), r.unit, r.vsDecode === undefined ? '' : `${(r.vsDecode * 100).toFixed(0)}%`]),
    ),
  );
  const analysesCount = Number(values.analyses ?? 24);
  const analyses = analysesCount > 0 ? await runAnalysesBench({ count: analysesCount, width: 1024, height: 768 }) : undefined;
  const report = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, images: n, megapixels, providers, rows, analyses };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(values.json ?? join(import.meta.dirname, 'results', 'latest.json'), JSON.stringify(report, null, 2));
  if (!values.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work} (${readdirSync(imagesDir).length} images)`);
}

await main();
