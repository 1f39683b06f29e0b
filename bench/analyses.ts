// Cost of each forensic analysis (issue 14) per megapixel and per image, next to the baseline
// measured in the same run on the same files: sharp decoding the JPEG to RGB. Wall time and CPU
// time of this process are both reported (sharp decodes on libvips threads, so its CPU time can
// exceed its wall time; the analyses are single-threaded JavaScript or WebAssembly). ExifTool runs
// in a Perl child process whose CPU time is not counted here; its wall time is.
//
// Standalone: node --import tsx bench/analyses.ts [--count N] [--width W --height H] [--json FILE]
// Also run by `npm run bench` (bench/run.ts) after the pipeline benchmark.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBatchAnalyses } from '../src/main/analysis/batch';
import { analyzeC2pa } from '../src/main/analysis/c2pa';
import { analyzeCopyMove } from '../src/main/analysis/copyMove';
import { analyzeDoubleJpeg } from '../src/main/analysis/doubleJpeg';
import { ExifToolReader } from '../src/main/analysis/exiftool';
import { analyzeGeneratorTraces } from '../src/main/analysis/generatorTraces';
import { analyzeGhosts } from '../src/main/analysis/ghosts';
import { analyzeGrid } from '../src/main/analysis/grid';
import { analyzeMetadataConsistency } from '../src/main/analysis/metadataConsistency';
import { analyzeNoise, noiseResidualMap } from '../src/main/analysis/noise';
import { analyzeQuantTables } from '../src/main/analysis/quantTables';
import { analyzeThumbnail } from '../src/main/analysis/thumbnail';
import { formatTable } from '../src/main/cli/terminal';
import { decodeImage, DEFAULT_INGEST_OPTIONS } from '../src/main/ingest';
import type { DecodedImage } from '../src/main/ingest/decoded';
import { makeJpegBuffer } from '../tests/fixtures/images';

export interface AnalysesBenchRow {
  name: string;
  /** Milliseconds per megapixel (wall and this process's CPU). */
  wallMsPerMp: number;
  cpuMsPerMp: number;
  wallMsPerImage: number;
  /** Wall time relative to decoding the same files. */
  vsDecode: number;
}

export interface AnalysesBenchReport {
  images: number;
  width: number;
  height: number;
  megapixels: number;
  rows: AnalysesBenchRow[];
}

async function measure(fn: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** Runs every analysis over `count` generated JPEGs of width × height and prints the table. */
export async function runAnalysesBench(options: { count: number; width: number; height: number }): Promise<AnalysesBenchReport> {
  const { count, width, height } = options;
  console.log(`\n# analyses: generating ${count} JPEGs of ${width}x${height} (qualities 80..95, half with an EXIF thumbnail)`);
  const files: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    files.push(
      await makeJpegBuffer({
        width,
        height,
        seed: 500 + i,
        quality: 80 + (i % 16),
        ...(i % 2 === 0 ? { embedThumbnail: true, exif: { make: 'Canon', model: 'Bench' } } : { exif: { make: 'Canon', model: 'Bench', dateTimeOriginal: '2024:05:01 10:00:00' } }),
      }),
    );
  }
  const megapixels = (count * width * height) / 1e6;
  const decoded: DecodedImage[] = [];
  // Warm-up: sharp's thread pool, the JIT of every analysis, c2pa's WebAssembly and ExifTool's Perl.
  const warm = await decodeImage(files[0]!, { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels });
  analyzeNoise(warm);
  analyzeGrid(warm);
  analyzeGhosts(warm, { lastQuality: 90 });
  analyzeDoubleJpeg(files[0]!);
  await analyzeC2pa(files[0]!, 'jpeg');
  const exiftool = new ExifToolReader();
  let exiftoolAvailable = true;
  try {
    await exiftool.dump(files[0]!, 'jpg');
  } catch (err) {
    exiftoolAvailable = false;
    console.log(`  (ExifTool not measured: ${(err as Error).message})`);
  }

  const decode = await measure(async () => {
    for (const f of files) decoded.push(await decodeImage(f, { maxPixels: DEFAULT_INGEST_OPTIONS.maxPixels }));
  });
  const steps: [string, () => Promise<void>][] = [
    ['noise (block σ + region)', async () => { for (const d of decoded) analyzeNoise(d); }],
    ['noise residual map (on demand)', async () => { for (const d of decoded) noiseResidualMap(d); }],
    ['JPEG ghosts (51 qualities)', async () => { for (const d of decoded) analyzeGhosts(d, { lastQuality: 90 }); }],
    ['double JPEG (coefficients)', async () => { for (const f of files) analyzeDoubleJpeg(f); }],
    ['JPEG grid', async () => { for (const d of decoded) analyzeGrid(d); }],
    ['copy-move (keypoints, ≤1024 px)', async () => { for (const d of decoded) analyzeCopyMove(d); }],
    ['quantisation tables', async () => { for (const f of files) analyzeQuantTables(f); }],
    ['EXIF thumbnail', async () => { for (const f of files) await analyzeThumbnail(f); }],
    ['metadata consistency (exifr)', async () => { for (const f of files) await analyzeMetadataConsistency(f); }],
    ['C2PA (c2pa-rs WebAssembly)', async () => { for (const f of files) await analyzeC2pa(f, 'jpeg'); }],
    ['generator traces', async () => { for (const f of files) analyzeGeneratorTraces(f); }],
    // What an import adds per file (analysis/batch.ts): the cheap analyses, the others run on demand.
    ['on import: the batch analyses (runBatchAnalyses)', async () => { for (let i = 0; i < files.length; i++) await runBatchAnalyses({ bytes: files[i]!, image: decoded[i]!, format: 'jpeg' }); }],
  ];
  if (exiftoolAvailable) steps.push(['ExifTool full dump (Perl child, wall only)', async () => { for (const f of files) await exiftool.dump(f, 'jpg'); }]);

  const row = (name: string, m: { wall: number; cpu: number }): AnalysesBenchRow => ({
    name,
    wallMsPerMp: m.wall / megapixels,
    cpuMsPerMp: m.cpu / megapixels,
    wallMsPerImage: m.wall / count,
    vsDecode: m.wall / decode.wall,
  });
  const rows: AnalysesBenchRow[] = [row('baseline: sharp decode to RGB', decode)];
  let summaryWall = 0;
  for (const [name, fn] of steps) {
    const m = await measure(fn);
    rows.push(row(name, m));
    if (!/on demand|on import|ExifTool/.test(name)) summaryWall += m.wall;
    console.log(`  ${name}: ${(m.wall / count).toFixed(1)} ms/image`);
  }
  rows.push(row('every summary together (import + on demand)', { wall: summaryWall, cpu: NaN }));
  await exiftool.close();

  console.log(`\n${count} images of ${width}x${height} (${megapixels.toFixed(1)} MP), ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})\n`);
  console.log(
    formatTable(
      ['analysis', 'wall ms/MP', 'CPU ms/MP', 'ms/image', '× decode'],
      rows.map((r) => [r.name, r.wallMsPerMp.toFixed(1), Number.isFinite(r.cpuMsPerMp) ? r.cpuMsPerMp.toFixed(1) : '', r.wallMsPerImage.toFixed(1), r.vsDecode.toFixed(2)]),
    ),
  );
  return { images: count, width, height, megapixels, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { count: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' }, json: { type: 'string' } } });
  const report = await runAnalysesBench({ count: Number(values.count ?? 24), width: Number(values.width ?? 1024), height: Number(values.height ?? 768) });
  const out = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, ...report };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(values.json ?? join(import.meta.dirname, 'results', 'analyses-latest.json'), JSON.stringify(out, null, 2));
}
