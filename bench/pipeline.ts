// Goals 1, 2, 3 and 6 of issue 15: the analyse pipeline against the least work it must do,
// measured in the same process on the same files.
//   1. CPU of the full pipeline per image vs the minimal ELA work (decode, JPEG q90 encode,
//      re-decode, difference), on 12 MP JPEGs; and on 256×256 JPEGs vs that work plus model
//      inference (the fixture models on the CPU, one intra-op thread, in-process).
//   2. The main thread during the pipeline: event-loop utilisation and worst event-loop delay,
//      next to the previous layout (prepare and inference on the main thread) for comparison.
//   3. Process CPU / wall time of the pipeline: how many cores it keeps busy.
//   6. On a machine with WebGPU: pipeline rate vs the model-only rate of the same detector.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { DEFAULT_ELA_PARAMETERS } from '../src/main/analysis';
import { installLayoutFrom, loadConfig } from '../src/main/config';
import { Detector, preprocess, type RegisteredModel } from '../src/main/inference';
import { ModelCatalogue } from '../src/main/inference/catalogue';
import { inProcessHost } from '../src/main/inference/inferenceHost';
import { decodeImage, DEFAULT_INGEST_OPTIONS } from '../src/main/ingest';
import type { DecodedImage } from '../src/main/ingest/decoded';
import { analyzeBatch } from '../src/main/pipeline/analyzeBatch';
import { defaultPrepareWorkers } from '../src/main/pipeline/preparePool';
import { makeJpeg } from '../tests/fixtures/images';
import { fmt, LoadSampler, measure, spread, type GoalRow, type Sample } from './measure';

const ELA_JPEG = { mozjpeg: false, chromaSubsampling: '4:2:0', quantisationTable: 0, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, optimiseCoding: false, progressive: false } as const;

export interface PipelineOptions {
  large: number;
  small: number;
  rounds: number;
  /** 'auto' | 'cpu' | 'webgpu' ... for the pipeline's detectors. */
  ep: string;
  /** Worker counts to sweep for goal 3 (a many-core machine); empty: the default only. */
  workerSweep: number[];
  log: (line: string) => void;
}

/** JPEGs kept between runs (generating 12 MP test pictures takes longer than analysing them). */
async function imageSet(tag: string, count: number, width: number, height: number): Promise<string> {
  const dir = join(tmpdir(), 'provenance-bench-images', `${tag}-${width}x${height}-${count}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${tag}-${String(i).padStart(4, '0')}.jpg`);
    if (!existsSync(path)) await makeJpeg(path, { width, height, quality: 80 + (i % 16), seed: i + 1 + (width === 256 ? 10_000 : 0) });
  }
  return dir;
}

function files(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(dir, f));
}

/**
 * The minimal ELA work for one file, written the straightforward way the issue measured it:
 * decode to RGB, encode at q90 with the ELA settings, decode that, absolute difference into a
 * new buffer. `reuse` writes the difference into one buffer kept between files instead (the
 * stricter baseline).
 */
async function minimalEla(path: string, reuse?: { buffer: Uint8Array }): Promise<void> {
  const { data, info } = await sharp(readFileSync(path)).raw().toBuffer({ resolveWithObject: true });
  const jpeg = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 90, ...ELA_JPEG }).toBuffer();
  const again = await sharp(jpeg).raw().toBuffer();
  let diff: Uint8Array;
  if (reuse) {
    if (reuse.buffer.length < data.length) reuse.buffer = new Uint8Array(data.length);
    diff = reuse.buffer;
  } else diff = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) {
    const d = data[i]! - again[i]!;
    diff[i] = d < 0 ? -d : d;
  }
}

/** Runs `work` over the files with two in flight, as the pipeline has at least two prepare workers. */
async function overFiles(paths: string[], work: (p: string) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 2 }, async () => {
    while (next < paths.length) await work(paths[next++]!);
  }));
}

interface PipelineRun extends Sample {
  /** Main-thread event-loop utilisation (0..1) and worst event-loop delay (ms) during the run. */
  elu: number;
  maxDelayMs: number;
}

async function runPipeline(dir: string, detectors: Detector[], workers: number, heatmapDir: string): Promise<PipelineRun> {
  rmSync(heatmapDir, { recursive: true, force: true });
  mkdirSync(heatmapDir, { recursive: true });
  const n = files(dir).length;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  let ok = 0;
  const sample = await measure(
    () =>
      analyzeBatch([dir], {
        detectors,
        ingest: DEFAULT_INGEST_OPTIONS,
        ela: DEFAULT_ELA_PARAMETERS,
        heatmapDir,
        workers,
        onRecord: (r) => {
          if (r.status !== 'ok') throw new Error(`bench image failed: ${r.path}: ${r.error?.message}`);
          ok++;
        },
      }),
    n,
  );
  const elu = performance.eventLoopUtilization(elu0).utilization;
  delay.disable();
  if (ok !== n) throw new Error(`pipeline analysed ${ok} of ${n} images`);
  return { ...sample, elu, maxDelayMs: delay.max / 1e6 };
}

async function openAll(models: RegisteredModel[], options: Parameters<typeof Detector.open>[1]): Promise<Detector[]> {
  return Promise.all(models.map((m) => Detector.open(m, options)));
}

export async function pipelineGoals(opts: PipelineOptions): Promise<{ rows: GoalRow[]; notes: string[] }> {
  const rows: GoalRow[] = [];
  const notes: string[] = [];
  const cores = availableParallelism();
  const work = join(tmpdir(), `provenance-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  opts.log(`# test pictures: ${opts.large} JPEGs of 4000x3000 (12 MP), ${opts.small} of 256x256`);
  const largeDir = await imageSet('large', opts.large, 4000, 3000);
  const smallDir = await imageSet('small', opts.small, 256, 256);

  // The installed models of the configuration (PROVENANCE_MODELS_DIR, settings.json), fixtures included.
  const config = loadConfig({ install: installLayoutFrom(import.meta.url), overrides: { provider: opts.ep as 'auto', showFixtureModels: true } });
  const registry = (await ModelCatalogue.fromConfig(config).select()).chosen;
  const detectors = await openAll(registry, { provider: opts.ep as 'auto', strict: opts.ep !== 'auto' });
  // The least inference can cost: sessions in this thread, one intra-op thread, no worker hop.
  const minimalDetectors = await openAll(registry, { provider: opts.ep as 'auto', strict: opts.ep !== 'auto', threads: 1, host: inProcessHost });
  notes.push(`detectors: ${detectors.map((d) => `${d.manifest.id} on ${d.provider} (${d.runsIn})`).join(', ') || 'none'}`);
  const workers = defaultPrepareWorkers();

  // Warm-up: worker threads started, modules loaded, sessions run once.
  await runPipeline(smallDir, detectors, workers, join(work, 'warm'));
  const smallFiles = files(smallDir);
  const largeFiles = files(largeDir);
  const decodedSmall: DecodedImage[] = await Promise.all(smallFiles.map(async (f) => decodeImage(readFileSync(f), { maxPixels: 1e9 })));

  const large = { minimal: [] as Sample[], minimalReused: [] as Sample[], full: [] as PipelineRun[] };
  const small = { minimal: [] as Sample[], full: [] as PipelineRun[] };
  const legacy: PipelineRun[] = [];
  const load = new LoadSampler();
  for (let r = 0; r < opts.rounds; r++) {
    large.minimal.push(await measure(() => overFiles(largeFiles, (p) => minimalEla(p)), largeFiles.length));
    const reuse = [{ buffer: new Uint8Array(0) }, { buffer: new Uint8Array(0) }];
    let k = 0;
    large.minimalReused.push(await measure(() => overFiles(largeFiles, (p) => minimalEla(p, reuse[k++ % 2])), largeFiles.length));
    large.full.push(await runPipeline(largeDir, detectors, workers, join(work, `large-${r}`)));
    small.minimal.push(
      await measure(async () => {
        await overFiles(smallFiles, (p) => minimalEla(p));
        for (let i = 0; i < decodedSmall.length; i += 16) {
          const batch = decodedSmall.slice(i, i + 16);
          for (const d of minimalDetectors) await d.scoreInputs(await Promise.all(batch.map((img) => preprocess(img, d.manifest))), batch);
        }
      }, smallFiles.length),
    );
    small.full.push(await runPipeline(smallDir, detectors, workers, join(work, `small-${r}`)));
    // The layout before this work: prepare and inference on the main thread.
    legacy.push(await runPipeline(smallDir, minimalDetectors, 0, join(work, `legacy-${r}`)));
  }
  const loadSpread = load.stop();
  const loadText = fmt(loadSpread, 1);

  const ratio = (full: Sample[], base: Sample[]) => spread(full.map((f, i) => f.cpuMs / base[i]!.cpuMs));
  const r1 = ratio(large.full, large.minimal);
  rows.push({
    goal: '1',
    measurement: 'full analyze / minimal ELA work, CPU, 12 MP JPEG',
    value: `${fmt(r1, 2)}x`,
    target: '<= 1.25x',
    met: r1.median <= 1.25,
    cpu: `${fmt(spread(large.full.map((s) => s.cpuMs)))} vs ${fmt(spread(large.minimal.map((s) => s.cpuMs)))} ms/img`,
    wall: `${fmt(spread(large.full.map((s) => s.wallMs)))} vs ${fmt(spread(large.minimal.map((s) => s.wallMs)))} ms/img`,
    load: loadText,
  });
  const r1s = ratio(large.full, large.minimalReused);
  rows.push({
    goal: '1',
    measurement: '  same, minimal with one reused difference buffer (stricter)',
    value: `${fmt(r1s, 2)}x`,
    target: '(reference)',
    met: null,
    cpu: `${fmt(spread(large.full.map((s) => s.cpuMs)))} vs ${fmt(spread(large.minimalReused.map((s) => s.cpuMs)))} ms/img`,
    wall: `${fmt(spread(large.minimalReused.map((s) => s.wallMs)))} ms/img (minimal)`,
    load: loadText,
  });
  const r1b = ratio(small.full, small.minimal);
  rows.push({
    goal: '1',
    measurement: 'full analyze / (minimal ELA + inference), CPU, 256x256',
    value: `${fmt(r1b, 2)}x`,
    target: '<= 1.25x',
    met: r1b.median <= 1.25,
    cpu: `${fmt(spread(small.full.map((s) => s.cpuMs)), 1)} vs ${fmt(spread(small.minimal.map((s) => s.cpuMs)), 1)} ms/img`,
    wall: `${fmt(spread(small.full.map((s) => s.wallMs)), 1)} vs ${fmt(spread(small.minimal.map((s) => s.wallMs)), 1)} ms/img`,
    load: loadText,
  });
  const elu = spread([...large.full, ...small.full].map((s) => s.elu * 100));
  const delay = spread([...large.full, ...small.full].map((s) => s.maxDelayMs));
  rows.push({
    goal: '2',
    measurement: 'main thread busy during the pipeline (event-loop utilisation)',
    value: `${fmt(elu)} %`,
    target: 'no pixel work, no inference',
    met: null,
    cpu: `worst event-loop delay ${fmt(delay)} ms`,
    wall: `previous layout: ${fmt(spread(legacy.map((s) => s.elu * 100)))} %, delay ${fmt(spread(legacy.map((s) => s.maxDelayMs)))} ms`,
    load: loadText,
  });
  const busy = spread(large.full.map((s) => s.cpuMs / s.wallMs));
  const busySmall = spread(small.full.map((s) => s.cpuMs / s.wallMs));
  rows.push({
    goal: '3',
    measurement: `process CPU / wall, pipeline, ${workers} prepare workers`,
    value: `${fmt(busy, 2)} (12 MP), ${fmt(busySmall, 2)} (256 px)`,
    target: `-> ${cores} (cores)`,
    met: null,
    cpu: `previous layout ${fmt(spread(legacy.map((s) => s.cpuMs / s.wallMs)), 2)} (256 px)`,
    wall: '',
    load: loadText,
  });

  for (const n of opts.workerSweep) {
    const sweep = new LoadSampler();
    const runs: PipelineRun[] = [];
    for (let r = 0; r < opts.rounds; r++) runs.push(await runPipeline(largeDir, detectors, n, join(work, `sweep-${n}-${r}`)));
    const l = sweep.stop();
    rows.push({
      goal: '3',
      measurement: `  ${n} prepare workers, 12 MP`,
      value: `${fmt(spread(runs.map((s) => 1000 / s.wallMs)), 1)} img/s`,
      target: 'scales with cores',
      met: null,
      cpu: `CPU/wall ${fmt(spread(runs.map((s) => s.cpuMs / s.wallMs)), 2)}`,
      wall: `${fmt(spread(runs.map((s) => s.wallMs)))} ms/img`,
      load: fmt(l, 1),
    });
  }

  // Goal 6: only where a detector runs on WebGPU.
  const gpu = detectors.filter((d) => d.provider === 'webgpu');
  if (gpu.length === 0) {
    rows.push({ goal: '6', measurement: 'pipeline vs model-only rate on WebGPU', value: 'skipped', target: '>= 50 %', met: null, cpu: 'no detector runs on WebGPU here', wall: '', load: '' });
  } else {
    const inputs = await Promise.all(decodedSmall.map((img) => Promise.all(gpu.map((d) => preprocess(img, d.manifest)))));
    const modelOnly = await measure(async () => {
      for (let i = 0; i < inputs.length; i += 16) for (const [k, d] of gpu.entries()) await d.scoreInputs(inputs.slice(i, i + 16).map((x) => x[k]!), decodedSmall.slice(i, i + 16));
    }, inputs.length);
    const pipe = await runPipeline(smallDir, gpu, workers, join(work, 'gpu'));
    const share = modelOnly.wallMs / pipe.wallMs;
    rows.push({
      goal: '6',
      measurement: `pipeline / model-only rate, ${gpu.map((d) => d.manifest.id).join(', ')} on WebGPU`,
      value: `${(share * 100).toFixed(0)} %`,
      target: '>= 50 %',
      met: share >= 0.5,
      cpu: `${(1000 / pipe.wallMs).toFixed(1)} vs ${(1000 / modelOnly.wallMs).toFixed(1)} img/s`,
      wall: '',
      load: '',
    });
  }

  await Promise.all([...detectors, ...minimalDetectors].map((d) => d.close()));
  rmSync(work, { recursive: true, force: true });
  return { rows, notes };
}
